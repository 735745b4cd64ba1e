//! The Hub's SQL, written once for both backends over [`Tx`]: `?` placeholders, integer microseconds for times,
//! JSON as text, and nothing either dialect lacks (`RETURNING` and partial indexes exist in both).

use crate::error::{HubError, HubResult};
use crate::model::{
    email_key, project_key, AuditEntry, Link, LinkPurpose, Member, MemberChanges, NewAudit, Project, ProjectChanges,
    ProjectStatus, Role, Session,
};
use crate::store::{Param, Row, Tx};
use chrono::{DateTime, Utc};
use rill_core::secret::Secret;
use std::collections::BTreeMap;

const MEMBER_COLUMNS: &str = "id, email, name, role, password_hash, created_at, removed_at";

fn member_from(row: &Row, at: usize) -> HubResult<Member> {
    let role = row.text(at + 3)?;
    Ok(Member {
        id: row.text(at)?,
        email: row.text(at + 1)?,
        name: row.text(at + 2)?,
        role: Role::parse(&role).ok_or_else(|| HubError::internal(format!("stored role {role:?}")))?,
        password_hash: row.optional_text(at + 4)?.map(Secret::new),
        created_at: row.time(at + 5)?,
        removed_at: row.optional_time(at + 6)?,
    })
}

/// A unique violation as the caller's conflict; anything else as it was.
fn on_conflict(result: HubResult<u64>, code: &'static str, message: &str) -> HubResult<u64> {
    result.map_err(|error| if error.code == "conflict" { HubError::conflict(code, message) } else { error })
}

pub(crate) async fn insert_member(tx: &mut dyn Tx, member: &Member) -> HubResult<()> {
    let inserted = tx
        .execute(
            "INSERT INTO hub_members (id, email, email_key, name, role, password_hash, created_at, removed_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                (&member.id).into(),
                (&member.email).into(),
                email_key(&member.email).into(),
                (&member.name).into(),
                member.role.as_str().into(),
                member.password_hash.as_ref().map(|hash| hash.expose().to_owned()).into(),
                member.created_at.into(),
                member.removed_at.into(),
            ],
        )
        .await;
    on_conflict(inserted, "email_taken", "a member with this email exists").map(drop)
}

async fn one_member(tx: &mut dyn Tx, condition: &str, params: &[Param]) -> HubResult<Option<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM hub_members WHERE removed_at IS NULL AND {condition}");
    tx.query(&sql, params).await?.first().map(|row| member_from(row, 0)).transpose()
}

pub(crate) async fn member(tx: &mut dyn Tx, id: &str) -> HubResult<Option<Member>> {
    one_member(tx, "id = ?", &[id.into()]).await
}

pub(crate) async fn member_by_email(tx: &mut dyn Tx, key: &str) -> HubResult<Option<Member>> {
    one_member(tx, "email_key = ?", &[key.into()]).await
}

pub(crate) async fn members(tx: &mut dyn Tx) -> HubResult<Vec<Member>> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM hub_members WHERE removed_at IS NULL ORDER BY email_key, id");
    tx.query(&sql, &[]).await?.iter().map(|row| member_from(row, 0)).collect()
}

/// Removed members, most recently removed first: provisioning takes them out of the chat backend. Cost: the
/// members table (a workspace has hundreds).
pub(crate) async fn former_members(tx: &mut dyn Tx) -> HubResult<Vec<Member>> {
    let sql =
        format!("SELECT {MEMBER_COLUMNS} FROM hub_members WHERE removed_at IS NOT NULL ORDER BY removed_at DESC, id");
    tx.query(&sql, &[]).await?.iter().map(|row| member_from(row, 0)).collect()
}

/// Refuses a change that would leave no admin. The admins' rows are locked first (on PostgreSQL), so two admins
/// demoting or removing each other at once cannot both succeed.
async fn keep_an_admin(tx: &mut dyn Tx, leaving_id: &str) -> HubResult<()> {
    let sql = format!(
        "SELECT id FROM hub_members WHERE role = 'admin' AND removed_at IS NULL ORDER BY id{}",
        tx.for_update()
    );
    let admins = tx.query(&sql, &[]).await?;
    let others = admins.iter().map(|row| row.text(0)).collect::<HubResult<Vec<_>>>()?;
    if others.iter().any(|id| id == leaving_id) && others.len() == 1 {
        return Err(HubError::conflict("last_admin", "the workspace needs at least one admin"));
    }
    Ok(())
}

pub(crate) async fn update_member(tx: &mut dyn Tx, id: &str, changes: &MemberChanges) -> HubResult<Option<Member>> {
    if changes.role == Some(Role::Member) {
        keep_an_admin(tx, id).await?;
    }
    let changed = tx
        .execute(
            "UPDATE hub_members SET name = COALESCE(?, name), role = COALESCE(?, role) \
             WHERE id = ? AND removed_at IS NULL",
            &[changes.name.clone().into(), changes.role.map(Role::as_str).into(), id.into()],
        )
        .await?;
    if changed == 0 {
        return Ok(None);
    }
    member(tx, id).await
}

pub(crate) async fn set_password(tx: &mut dyn Tx, id: &str, hash: &Secret) -> HubResult<bool> {
    let changed = tx
        .execute(
            "UPDATE hub_members SET password_hash = ? WHERE id = ? AND removed_at IS NULL",
            &[hash.expose().into(), id.into()],
        )
        .await?;
    Ok(changed > 0)
}

pub(crate) async fn remove_member(tx: &mut dyn Tx, id: &str, at: DateTime<Utc>) -> HubResult<Option<Member>> {
    let Some(mut removed) = member(tx, id).await? else { return Ok(None) };
    if removed.is_admin() {
        keep_an_admin(tx, id).await?;
    }
    tx.execute("UPDATE hub_members SET removed_at = ? WHERE id = ?", &[at.into(), id.into()]).await?;
    tx.execute("DELETE FROM hub_sessions WHERE member_id = ?", &[id.into()]).await?;
    tx.execute("DELETE FROM hub_links WHERE member_id = ?", &[id.into()]).await?;
    tx.execute("DELETE FROM hub_project_members WHERE member_id = ?", &[id.into()]).await?;
    removed.removed_at = Some(at);
    Ok(Some(removed))
}

pub(crate) async fn insert_session(tx: &mut dyn Tx, session: &Session) -> HubResult<()> {
    tx.execute(
        "INSERT INTO hub_sessions (token_hash, member_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        &[
            (&session.token_hash).into(),
            (&session.member_id).into(),
            session.csrf_token.expose().into(),
            session.created_at.into(),
            session.expires_at.into(),
        ],
    )
    .await
    .map(drop)
}

pub(crate) async fn session(
    tx: &mut dyn Tx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> HubResult<Option<(Session, Member)>> {
    let sql = format!(
        "SELECT s.token_hash, s.member_id, s.csrf_token, s.created_at, s.expires_at, {} \
         FROM hub_sessions s JOIN hub_members m ON m.id = s.member_id \
         WHERE s.token_hash = ? AND s.expires_at > ? AND m.removed_at IS NULL",
        MEMBER_COLUMNS.split(", ").map(|column| format!("m.{column}")).collect::<Vec<_>>().join(", ")
    );
    let rows = tx.query(&sql, &[token_hash.into(), now.into()]).await?;
    let Some(row) = rows.first() else { return Ok(None) };
    let session = Session {
        token_hash: row.text(0)?,
        member_id: row.text(1)?,
        csrf_token: Secret::new(row.text(2)?),
        created_at: row.time(3)?,
        expires_at: row.time(4)?,
    };
    Ok(Some((session, member_from(row, 5)?)))
}

/// Moves a session's expiry to `expires_at` if that is later. O(1): the primary key.
pub(crate) async fn extend_session(tx: &mut dyn Tx, token_hash: &str, expires_at: DateTime<Utc>) -> HubResult<bool> {
    let sql = "UPDATE hub_sessions SET expires_at = ? WHERE token_hash = ? AND expires_at < ?";
    Ok(tx.execute(sql, &[expires_at.into(), token_hash.into(), expires_at.into()]).await? > 0)
}

pub(crate) async fn delete_session(tx: &mut dyn Tx, token_hash: &str) -> HubResult<bool> {
    Ok(tx.execute("DELETE FROM hub_sessions WHERE token_hash = ?", &[token_hash.into()]).await? > 0)
}

pub(crate) async fn delete_expired(tx: &mut dyn Tx, now: DateTime<Utc>) -> HubResult<u64> {
    let sessions = tx.execute("DELETE FROM hub_sessions WHERE expires_at <= ?", &[now.into()]).await?;
    let links = tx.execute("DELETE FROM hub_links WHERE expires_at <= ?", &[now.into()]).await?;
    Ok(sessions + links)
}

const LINK_COLUMNS: &str = "l.token_hash, l.member_id, l.purpose, l.created_at, l.expires_at, l.used_at";

fn link_from(row: &Row) -> HubResult<Link> {
    let purpose = row.text(2)?;
    Ok(Link {
        token_hash: row.text(0)?,
        member_id: row.text(1)?,
        purpose: LinkPurpose::parse(&purpose).ok_or_else(|| HubError::internal(format!("link purpose {purpose:?}")))?,
        created_at: row.time(3)?,
        expires_at: row.time(4)?,
        used_at: row.optional_time(5)?,
    })
}

pub(crate) async fn insert_link(tx: &mut dyn Tx, link: &Link) -> HubResult<()> {
    tx.execute(
        "INSERT INTO hub_links (token_hash, member_id, purpose, created_at, expires_at, used_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        &[
            (&link.token_hash).into(),
            (&link.member_id).into(),
            link.purpose.as_str().into(),
            link.created_at.into(),
            link.expires_at.into(),
            link.used_at.into(),
        ],
    )
    .await
    .map(drop)
}

pub(crate) async fn usable_link(tx: &mut dyn Tx, token_hash: &str, now: DateTime<Utc>) -> HubResult<Option<Link>> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM hub_links l JOIN hub_members m ON m.id = l.member_id \
         WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ? AND m.removed_at IS NULL"
    );
    tx.query(&sql, &[token_hash.into(), now.into()]).await?.first().map(link_from).transpose()
}

pub(crate) async fn consume_link(
    tx: &mut dyn Tx,
    token_hash: &str,
    now: DateTime<Utc>,
    password_hash: Option<&Secret>,
) -> HubResult<Option<(Link, Member)>> {
    // The update is the claim: of two callers, one changes the row and the other finds it used.
    let used = tx
        .execute(
            "UPDATE hub_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? \
             AND member_id IN (SELECT id FROM hub_members WHERE removed_at IS NULL)",
            &[now.into(), token_hash.into(), now.into()],
        )
        .await?;
    if used == 0 {
        return Ok(None);
    }
    let sql = format!("SELECT {LINK_COLUMNS} FROM hub_links l WHERE l.token_hash = ?");
    let Some(link) = tx.query(&sql, &[token_hash.into()]).await?.first().map(link_from).transpose()? else {
        return Ok(None);
    };
    if let Some(hash) = password_hash {
        set_password(tx, &link.member_id, hash).await?;
    }
    let member = member(tx, &link.member_id).await?.ok_or_else(|| HubError::internal("a link's member vanished"))?;
    Ok(Some((link, member)))
}

/// Refuses member ids that are not current members.
async fn check_members(tx: &mut dyn Tx, member_ids: &[String]) -> HubResult<()> {
    for id in member_ids {
        if member(tx, id).await?.is_none() {
            return Err(HubError::bad_request("unknown_member", format!("no member has the id {id:?}")));
        }
    }
    Ok(())
}

async fn put_project_members(tx: &mut dyn Tx, project_id: &str, member_ids: &[String]) -> HubResult<()> {
    check_members(tx, member_ids).await?;
    tx.execute("DELETE FROM hub_project_members WHERE project_id = ?", &[project_id.into()]).await?;
    for member_id in member_ids {
        tx.execute(
            "INSERT INTO hub_project_members (project_id, member_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            &[project_id.into(), member_id.into()],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn insert_project(tx: &mut dyn Tx, project: &Project) -> HubResult<()> {
    let inserted = tx
        .execute(
            "INSERT INTO hub_projects (id, name, name_key, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                (&project.id).into(),
                (&project.name).into(),
                project_key(&project.name).into(),
                project.status.as_str().into(),
                project.created_at.into(),
                project.updated_at.into(),
            ],
        )
        .await;
    on_conflict(inserted, "name_taken", "a project with this name exists")?;
    put_project_members(tx, &project.id, &project.member_ids).await
}

const PROJECT_COLUMNS: &str = "id, name, status, created_at, updated_at";

/// Projects matching `condition`, by name, each with its members.
async fn projects_where(tx: &mut dyn Tx, condition: &str, params: &[Param]) -> HubResult<Vec<Project>> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM hub_projects WHERE {condition} ORDER BY name_key, id");
    let rows = tx.query(&sql, params).await?;
    let member_sql = format!(
        "SELECT project_id, member_id FROM hub_project_members WHERE project_id IN \
         (SELECT id FROM hub_projects WHERE {condition}) ORDER BY project_id, member_id"
    );
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in tx.query(&member_sql, params).await? {
        members.entry(row.text(0)?).or_default().push(row.text(1)?);
    }
    rows.iter()
        .map(|row| {
            let (id, status) = (row.text(0)?, row.text(2)?);
            Ok(Project {
                member_ids: members.remove(&id).unwrap_or_default(),
                id,
                name: row.text(1)?,
                status: ProjectStatus::parse(&status)
                    .ok_or_else(|| HubError::internal(format!("project status {status:?}")))?,
                created_at: row.time(3)?,
                updated_at: row.time(4)?,
            })
        })
        .collect()
}

pub(crate) async fn project(tx: &mut dyn Tx, id: &str) -> HubResult<Option<Project>> {
    Ok(projects_where(tx, "id = ?", &[id.into()]).await?.into_iter().next())
}

pub(crate) async fn project_by_name(tx: &mut dyn Tx, key: &str) -> HubResult<Option<Project>> {
    Ok(projects_where(tx, "name_key = ?", &[key.into()]).await?.into_iter().next())
}

pub(crate) async fn projects(tx: &mut dyn Tx) -> HubResult<Vec<Project>> {
    projects_where(tx, "1 = 1", &[]).await
}

pub(crate) async fn update_project(
    tx: &mut dyn Tx,
    id: &str,
    changes: &ProjectChanges,
    at: DateTime<Utc>,
) -> HubResult<Option<Project>> {
    let changed = tx
        .execute(
            "UPDATE hub_projects SET name = COALESCE(?, name), name_key = COALESCE(?, name_key), \
             status = COALESCE(?, status), updated_at = ? WHERE id = ?",
            &[
                changes.name.clone().into(),
                changes.name.as_deref().map(project_key).into(),
                changes.status.map(ProjectStatus::as_str).into(),
                at.into(),
                id.into(),
            ],
        )
        .await;
    if on_conflict(changed, "name_taken", "a project with this name exists")? == 0 {
        return Ok(None);
    }
    if let Some(member_ids) = &changes.member_ids {
        put_project_members(tx, id, member_ids).await?;
    }
    project(tx, id).await
}

pub(crate) async fn setting(tx: &mut dyn Tx, key: &str) -> HubResult<Option<(String, Option<String>, DateTime<Utc>)>> {
    let rows = tx.query("SELECT value, sealed, updated_at FROM hub_settings WHERE key = ?", &[key.into()]).await?;
    rows.first().map(|row| Ok((row.text(0)?, row.optional_text(1)?, row.time(2)?))).transpose()
}

pub(crate) async fn put_setting(
    tx: &mut dyn Tx,
    key: &str,
    value: &str,
    sealed: Option<String>,
    at: DateTime<Utc>,
) -> HubResult<()> {
    tx.execute(
        "INSERT INTO hub_settings (key, value, sealed, updated_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, sealed = excluded.sealed, \
         updated_at = excluded.updated_at",
        &[key.into(), value.into(), sealed.into(), at.into()],
    )
    .await
    .map(drop)
}

pub(crate) async fn append_audit(tx: &mut dyn Tx, entry: &NewAudit) -> HubResult<i64> {
    let rows = tx
        .query(
            "INSERT INTO hub_audit (at, actor, action, target, result) VALUES (?, ?, ?, ?, ?) RETURNING id",
            &[
                entry.at.into(),
                (&entry.actor).into(),
                (&entry.action).into(),
                (&entry.target).into(),
                (&entry.result).into(),
            ],
        )
        .await?;
    rows.first().ok_or_else(|| HubError::internal("no audit id"))?.int(0)
}

pub(crate) async fn audit(tx: &mut dyn Tx, limit: u32) -> HubResult<Vec<AuditEntry>> {
    let rows = tx
        .query(
            "SELECT id, at, actor, action, target, result FROM hub_audit ORDER BY id DESC LIMIT ?",
            &[i64::from(limit).into()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.int(0)?,
                at: row.time(1)?,
                actor: row.text(2)?,
                action: row.text(3)?,
                target: row.text(4)?,
                result: row.text(5)?,
            })
        })
        .collect()
}

pub(crate) async fn initialize(tx: &mut dyn Tx, workspace: &str, admin: &Member, link: &Link) -> HubResult<bool> {
    let created = tx
        .execute(
            "INSERT INTO hub_settings (key, value, sealed, updated_at) VALUES ('workspace', ?, NULL, ?) \
             ON CONFLICT (key) DO NOTHING",
            &[workspace.into(), admin.created_at.into()],
        )
        .await?;
    if created == 0 {
        return Ok(false);
    }
    insert_member(tx, admin).await?;
    insert_link(tx, link).await?;
    Ok(true)
}

/// Records that `member_id` got a chat token in `month`; true the first time in that month.
pub(crate) async fn note_chat_token(
    tx: &mut dyn Tx,
    month: &str,
    member_id: &str,
    at: DateTime<Utc>,
) -> HubResult<bool> {
    let sql = "INSERT INTO hub_chat_token_months (month, member_id, first_at) VALUES (?, ?, ?) \
               ON CONFLICT (month, member_id) DO NOTHING";
    Ok(tx.execute(sql, &[month.into(), member_id.into(), at.into()]).await? > 0)
}

/// How many members got a chat token in `month`. O(that month's members), by the primary key's prefix.
pub(crate) async fn chat_tokens_in(tx: &mut dyn Tx, month: &str) -> HubResult<u64> {
    let rows = tx.query("SELECT COUNT(*) FROM hub_chat_token_months WHERE month = ?", &[month.into()]).await?;
    let count = rows.first().map(|row| row.int(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Counts an attempt for each key in its window (a new window when the last one has passed) and answers each
/// key's `(attempts, window_start)` after it. One upsert per key: O(1) by the primary key, atomic on both
/// backends, so parallel attempts are each counted.
pub(crate) async fn count_sign_in_attempt(
    tx: &mut dyn Tx,
    keys: &[String],
    window_micros: i64,
    now: DateTime<Utc>,
) -> HubResult<Vec<(i64, DateTime<Utc>)>> {
    let sql = "INSERT INTO hub_sign_in_limits (key, window_start, attempts) VALUES (?, ?, 1) \
               ON CONFLICT (key) DO UPDATE SET \
               attempts = CASE WHEN hub_sign_in_limits.window_start + ? <= excluded.window_start THEN 1 \
                          ELSE hub_sign_in_limits.attempts + 1 END, \
               window_start = CASE WHEN hub_sign_in_limits.window_start + ? <= excluded.window_start \
                          THEN excluded.window_start ELSE hub_sign_in_limits.window_start END \
               RETURNING attempts, window_start";
    let mut counts = Vec::with_capacity(keys.len());
    for key in keys {
        let rows =
            tx.query(sql, &[key.as_str().into(), now.into(), window_micros.into(), window_micros.into()]).await?;
        let row = rows.first().ok_or_else(|| HubError::internal("an upsert returned no row"))?;
        counts.push((row.int(0)?, row.time(1)?));
    }
    Ok(counts)
}

/// Takes back an attempt that succeeded: the account's count ends, the address's goes down by one.
pub(crate) async fn forgive_sign_in(tx: &mut dyn Tx, account_key: &str, address_key: Option<&str>) -> HubResult<()> {
    tx.execute("DELETE FROM hub_sign_in_limits WHERE key = ?", &[account_key.into()]).await?;
    if let Some(address_key) = address_key {
        let sql = "UPDATE hub_sign_in_limits SET attempts = attempts - 1 WHERE key = ? AND attempts > 0";
        tx.execute(sql, &[address_key.into()]).await?;
    }
    Ok(())
}

/// Drops the counts whose window started before `before`. O(rows dropped), by the window index.
pub(crate) async fn prune_sign_in_limits(tx: &mut dyn Tx, before: DateTime<Utc>) -> HubResult<u64> {
    tx.execute("DELETE FROM hub_sign_in_limits WHERE window_start < ?", &[before.into()]).await
}
