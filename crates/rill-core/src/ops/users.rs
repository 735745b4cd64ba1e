//! Users: upsert (full replace), partial update, query, connect-time merge, (de)activation and deletion.

use crate::error::{CoreError, CoreResult};
use crate::ids::{FieldPath, UserId};
use crate::model::{Actor, UnreadTotals, User};
use crate::ops::{
    check_custom_keys, flatten_custom, page_offset, page_size, set_path, unset_path, Context, Notice, Outcome,
};
use crate::ops::{refuse_unsortable, MAX_SORTED_IN_MEMORY, SCAN_BATCH};
use crate::query;
use crate::store::selection::{self, Condition, FieldKind, OrderKey, Page, RowQuery, WordIndex};
use crate::store::Tx;
use chrono::{DateTime, Utc};
use rill_protocol::filter::{parse_sort, Filter, Operator};
use rill_protocol::limits::{MAX_USERS_PER_CALL, QUERY_USERS_LIMIT, QUERY_USERS_MAX_OFFSET};
use rill_protocol::request::{PartialUpdate, QueryUsersRequest, UpsertUsersRequest, UserRequest};
use serde_json::{Map, Value};

/// Fields of the user object that custom data may not use.
const RESERVED: &[&str] = &[
    "id",
    "role",
    "created_at",
    "updated_at",
    "last_active",
    "deactivated_at",
    "deleted_at",
    "banned",
    "online",
    "shadow_banned",
    "devices",
    "mutes",
    "channel_mutes",
    "unread_count",
    "total_unread_count",
    "unread_channels",
    "blocked_user_ids",
    "revoke_tokens_issued_before",
];

/// Profile fields only server-side calls may set: they decide what a user may do, or (revocation) whether a
/// stolen token still works, so a user must not be able to change them with the very token in question.
const PRIVILEGED: &[&str] = &["teams", "teams_role", "revoke_tokens_issued_before"];

/// `teams_role` maps a team to the user's role in it.
fn check_teams_role(data: &Map<String, Value>) -> CoreResult<()> {
    match data.get("teams_role") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(roles)) if roles.values().all(Value::is_string) => Ok(()),
        Some(other) => Err(CoreError::input(format!("teams_role must map team names to role names, got {other}"))),
    }
}

/// Whether a partial-update path names a built-in field or reaches into one (`teams_role.x` reaches into
/// `teams_role`).
fn is_reserved_path(path: &FieldPath) -> bool {
    RESERVED.contains(&path.head())
}

fn is_privileged_path(path: &FieldPath) -> bool {
    PRIVILEGED.contains(&path.head())
}

/// Roles a user may hold.
fn check_role(role: &str) -> CoreResult<()> {
    let valid = !role.is_empty() && role.len() <= 64 && role.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(CoreError::input(format!("role {role:?} is invalid")))
    }
}

/// The flat data object of a user request: profile fields and custom data.
fn request_data(request: &UserRequest) -> CoreResult<Map<String, Value>> {
    check_custom_keys(&request.custom, RESERVED, "user")?;
    let mut data = Map::new();
    if let Some(name) = &request.name {
        data.insert("name".into(), Value::from(name.as_str()));
    }
    if let Some(image) = &request.image {
        data.insert("image".into(), Value::from(image.as_str()));
    }
    if let Some(language) = &request.language {
        data.insert("language".into(), Value::from(language.as_str()));
    }
    if let Some(teams) = &request.teams {
        data.insert("teams".into(), Value::from(teams.clone()));
    }
    if let Some(invisible) = request.invisible {
        data.insert("invisible".into(), Value::from(invisible));
    }
    if let Some(privacy) = &request.privacy_settings {
        data.insert("privacy_settings".into(), privacy.clone());
    }
    data.extend(flatten_custom(&request.custom, RESERVED, "user")?);
    Ok(data)
}

fn parse_revocation(value: &Value) -> CoreResult<Option<chrono::DateTime<chrono::Utc>>> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) if text.is_empty() => Ok(None),
        Value::String(text) => rill_protocol::time::parse(text)
            .map(Some)
            .ok_or_else(|| CoreError::input(format!("revoke_tokens_issued_before {text:?} is not an RFC 3339 time"))),
        other => Err(CoreError::input(format!("revoke_tokens_issued_before must be a time, got {other}"))),
    }
}

/// The name to hold unique for this user, when the app enforces unique usernames: refused (code 6) when
/// another user has it already. The store's unique index on that name then settles concurrent claims.
async fn unique_name_of(tx: &mut dyn Tx, ctx: &Context, user: &User) -> CoreResult<Option<String>> {
    if ctx.app.settings.enforce_unique_usernames == "no" {
        return Ok(None);
    }
    let Some(name) = user.name() else { return Ok(None) };
    if tx.user_name_taken(ctx.app_id(), name, &user.id).await? {
        return Err(CoreError::new(
            rill_protocol::error::ErrorCode::DuplicateUsername,
            format!("username {name:?} is already taken"),
        ));
    }
    Ok(Some(name.to_owned()))
}

/// `POST /users`: creates or fully replaces each user. A user token may only upsert itself, and cannot change
/// its own role or teams.
pub async fn upsert_users(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: UpsertUsersRequest,
) -> CoreResult<Outcome<Vec<User>>> {
    if request.users.is_empty() {
        return Err(CoreError::input("users must contain at least one user"));
    }
    if request.users.len() > MAX_USERS_PER_CALL {
        return Err(CoreError::input(format!("users may contain at most {MAX_USERS_PER_CALL} users")));
    }
    let mut outcome = Outcome::new(Vec::with_capacity(request.users.len()));
    for (key, request) in request.users {
        let id = match &request.id {
            Some(id) if *id != key => {
                return Err(CoreError::input(format!("users.{key}.id is {id:?}: it must match its key")));
            }
            _ => key,
        };
        if let Actor::User { user_id } = &ctx.actor {
            if *user_id != id.as_str() {
                return Err(CoreError::not_allowed(format!("user {user_id} may not update user {id}")));
            }
            if request.revoke_tokens_issued_before.is_some() {
                return Err(CoreError::not_allowed("only server-side calls may set revoke_tokens_issued_before"));
            }
        }
        let existing = tx.user_for_update(ctx.app_id(), &id).await?;
        let mut data = request_data(&request)?;
        let mut role = request.role.clone().unwrap_or_else(|| "user".into());
        if let (Actor::User { .. }, Some(existing)) = (&ctx.actor, &existing) {
            // Users cannot promote themselves: keep the stored role, teams and per-team roles.
            role = existing.role.clone();
            for privileged in PRIVILEGED {
                match existing.data.get(*privileged) {
                    Some(value) => data.insert((*privileged).into(), value.clone()),
                    None => data.remove(*privileged),
                };
            }
        } else if !ctx.actor.is_server() {
            role = "user".into();
            for privileged in PRIVILEGED {
                data.remove(*privileged);
            }
        }
        check_teams_role(&data)?;
        check_role(&role)?;
        let revoke = match &request.revoke_tokens_issued_before {
            Some(value) => parse_revocation(value)?,
            None => existing.as_ref().and_then(|user| user.revoke_tokens_issued_before),
        };
        let user = User {
            id: id.into_string(),
            role,
            data,
            created_at: existing.as_ref().map_or(ctx.now, |user| user.created_at),
            updated_at: ctx.now,
            last_active: existing.as_ref().and_then(|user| user.last_active),
            deactivated_at: existing.as_ref().and_then(|user| user.deactivated_at),
            deleted_at: None,
            banned: existing.as_ref().is_some_and(|user| user.banned),
            revoke_tokens_issued_before: revoke,
            shadow_banned: existing.as_ref().is_some_and(|user| user.shadow_banned),
            ban_expires: existing.as_ref().and_then(|user| user.ban_expires),
        };
        let unique_name = unique_name_of(tx, ctx, &user).await?;
        tx.upsert_user(ctx.app_id(), &user, unique_name.as_deref()).await?;
        if existing.is_some() {
            outcome.notices.push(Notice::UserUpdated { user: user.clone() });
        }
        outcome.users.insert(user.id.clone(), user.clone());
        outcome.value.push(user);
    }
    Ok(outcome)
}

/// `PATCH /users`: sets and unsets fields (dotted paths reach into custom objects).
pub async fn partial_update_users(
    tx: &mut dyn Tx,
    ctx: &Context,
    updates: Vec<PartialUpdate>,
) -> CoreResult<Outcome<Vec<User>>> {
    if updates.is_empty() || updates.len() > MAX_USERS_PER_CALL {
        return Err(CoreError::input(format!("users must contain 1 to {MAX_USERS_PER_CALL} updates")));
    }
    let mut outcome = Outcome::new(Vec::with_capacity(updates.len()));
    for update in updates {
        if let Actor::User { user_id } = &ctx.actor {
            if *user_id != update.id.as_str() {
                return Err(CoreError::not_allowed(format!("user {user_id} may not update user {}", update.id)));
            }
            let privileged = update.set.keys().chain(update.unset.iter()).find(|path| is_privileged_path(path));
            if let Some(path) = privileged {
                return Err(CoreError::not_allowed(format!("users may not change their own {}", path.head())));
            }
        }
        let mut user = tx
            .user_for_update(ctx.app_id(), &update.id)
            .await?
            .ok_or_else(|| CoreError::not_found(format!("user {} does not exist", update.id)))?;
        for (path, value) in &update.set {
            match path.as_str() {
                "role" => {
                    if !ctx.actor.is_server() {
                        return Err(CoreError::not_allowed("users may not change their own role"));
                    }
                    let role = value.as_str().ok_or_else(|| CoreError::input("role must be a string"))?;
                    check_role(role)?;
                    user.role = role.to_owned();
                }
                "revoke_tokens_issued_before" => user.revoke_tokens_issued_before = parse_revocation(value)?,
                "id" | "created_at" | "updated_at" | "banned" | "online" | "deactivated_at" | "deleted_at"
                | "last_active" => {
                    return Err(CoreError::input(format!("field {path:?} cannot be set")));
                }
                // Built-in fields (and paths into them) are not custom data.
                _ if is_reserved_path(path) => return Err(CoreError::input(format!("field {path:?} cannot be set"))),
                _ => set_path(&mut user.data, path, value.clone()),
            }
        }
        for path in &update.unset {
            match path.as_str() {
                "revoke_tokens_issued_before" => user.revoke_tokens_issued_before = None,
                "id" | "role" | "created_at" | "updated_at" => {
                    return Err(CoreError::input(format!("field {path:?} cannot be unset")));
                }
                _ if is_reserved_path(path) => {
                    return Err(CoreError::input(format!("field {path:?} cannot be unset")));
                }
                _ => unset_path(&mut user.data, path),
            }
        }
        check_teams_role(&user.data)?;
        user.updated_at = ctx.now;
        let unique_name = unique_name_of(tx, ctx, &user).await?;
        tx.upsert_user(ctx.app_id(), &user, unique_name.as_deref()).await?;
        outcome.notices.push(Notice::UserUpdated { user: user.clone() });
        outcome.users.insert(user.id.clone(), user.clone());
        outcome.value.push(user);
    }
    Ok(outcome)
}

/// The document a user filter is evaluated against.
pub fn user_document(user: &User, online: bool) -> Map<String, Value> {
    let mut document = user.data.clone();
    document.insert("id".into(), Value::from(user.id.as_str()));
    document.insert("role".into(), Value::from(user.role.as_str()));
    document.insert("banned".into(), Value::from(user.banned));
    document.insert("online".into(), Value::from(online));
    document.insert("shadow_banned".into(), Value::from(false));
    document.insert("created_at".into(), Value::from(rill_protocol::time::format(&user.created_at)));
    document.insert("updated_at".into(), Value::from(rill_protocol::time::format(&user.updated_at)));
    if let Some(last_active) = &user.last_active {
        document.insert("last_active".into(), Value::from(rill_protocol::time::format(last_active)));
    }
    document.entry("teams").or_insert_with(|| Value::Array(Vec::new()));
    document
}

fn user_filter_allows(field: &str, operator: Operator) -> bool {
    use Operator::*;
    match field {
        "id" => matches!(operator, Eq | Ne | In | Nin | Gt | Gte | Lt | Lte | Autocomplete | Exists),
        "name" => matches!(operator, Eq | Ne | In | Nin | Autocomplete | Q | Exists | Gt | Gte | Lt | Lte),
        "role" => matches!(operator, Eq | Ne | In | Nin | Exists),
        "teams" => matches!(operator, Eq | In | Nin | Contains | Exists),
        "banned" | "online" | "shadow_banned" | "invisible" => matches!(operator, Eq | Ne | Exists),
        "last_active" | "created_at" | "updated_at" => {
            matches!(operator, Eq | Ne | Gt | Gte | Lt | Lte | Exists)
        }
        // Custom fields take every operator.
        _ => true,
    }
}

/// Where each user filter field is in the store (see `store::selection`); any other field is custom data.
pub(crate) fn user_field(field: &str) -> Option<FieldKind> {
    Some(match field {
        "id" => FieldKind::TextWithWords { column: "id", index: WordIndex::UserId },
        "role" => FieldKind::Text { column: "role", nullable: false },
        "name" => FieldKind::DataWithWords { index: WordIndex::UserName },
        "banned" => FieldKind::Bool { column: "banned" },
        "created_at" => FieldKind::Time { column: "created_at", nullable: false },
        "updated_at" => FieldKind::Time { column: "updated_at", nullable: false },
        "last_active" => FieldKind::Time { column: "last_active", nullable: true },
        "teams" => FieldKind::DataOrEmptyList,
        // Computed when the document is built: presence comes from the connection registry.
        "online" | "shadow_banned" => FieldKind::Computed,
        _ => return None,
    })
}

/// The user fields a sort can order by in SQL.
pub(crate) fn user_sort_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "id" => "id",
        "created_at" => "created_at",
        "updated_at" => "updated_at",
        "last_active" => "last_active",
        _ => return None,
    })
}

/// The order users are stored in for a stable sort: oldest first, then by id.
const USERS_BY_AGE: [OrderKey; 2] =
    [OrderKey { column: "created_at", descending: false }, OrderKey { column: "id", descending: false }];

/// `GET /users`: filters, sorts and pages users. `is_online` answers presence from the connection registry.
///
/// Cost: a filter that compiles exactly (built-in fields, `$autocomplete`/`$q` on `name` and `id`, simple custom
/// fields) with a sort on a column runs in SQL, paged: the page plus the index ranges it names. Otherwise the rows
/// the SQL selects are checked in memory, in batches, until the page is full; a sort on a field SQL cannot order
/// by reads every selected row (at most [`MAX_SORTED_IN_MEMORY`], or the query is refused).
pub async fn query_users(
    tx: &mut dyn Tx,
    ctx: &Context,
    request: &QueryUsersRequest,
    is_online: &(dyn Fn(&str) -> bool + Sync),
) -> CoreResult<Vec<User>> {
    let filter_value =
        request.filter_conditions.as_ref().ok_or_else(|| CoreError::input("filter_conditions is required"))?;
    let filter = Filter::parse(filter_value).map_err(|error| CoreError::input(error.message))?;
    filter.validate(&user_filter_allows).map_err(|error| CoreError::input(error.message))?;
    let sort =
        parse_sort(request.sort.as_ref().unwrap_or(&Value::Null)).map_err(|error| CoreError::input(error.message))?;
    let (default, max) = QUERY_USERS_LIMIT;
    let page = Page {
        limit: page_size(request.limit, default, max, "limit")?,
        offset: page_offset(request.offset, QUERY_USERS_MAX_OFFSET, "offset")?,
    };
    let compiled = selection::compile(&filter, user_field, None);
    let mut conditions = vec![Condition::Null { column: "deleted_at" }, compiled.condition];
    if !request.include_deactivated_users.unwrap_or(false) {
        conditions.push(Condition::Null { column: "deactivated_at" });
    }
    let condition = Condition::All(conditions);
    let order = if sort.is_empty() {
        // Stream's default order: newest first.
        Some(vec![OrderKey { column: "created_at", descending: true }, OrderKey { column: "id", descending: false }])
    } else {
        selection::sql_order(&sort, user_sort_column, &USERS_BY_AGE)
    };
    let passes = |user: &User| query::matches(&filter, &user_document(user, is_online(&user.id)));
    match order {
        Some(order) if compiled.exact => {
            tx.find_users(ctx.app_id(), &RowQuery { condition, order, page: Some(page) }).await
        }
        Some(order) => {
            let mut kept = Vec::new();
            let mut scanned = 0;
            loop {
                let batch = Page { offset: scanned, limit: SCAN_BATCH };
                let query = RowQuery { condition: condition.clone(), order: order.clone(), page: Some(batch) };
                let rows = tx.find_users(ctx.app_id(), &query).await?;
                scanned += rows.len();
                let done = rows.len() < SCAN_BATCH;
                kept.extend(rows.into_iter().filter(|user| passes(user)));
                if done || kept.len() >= page.offset + page.limit {
                    break;
                }
            }
            Ok(kept.into_iter().skip(page.offset).take(page.limit).collect())
        }
        None => {
            let everything = Page { offset: 0, limit: MAX_SORTED_IN_MEMORY + 1 };
            let query = RowQuery { condition, order: USERS_BY_AGE.to_vec(), page: Some(everything) };
            let rows = tx.find_users(ctx.app_id(), &query).await?;
            refuse_unsortable(rows.len(), &sort)?;
            let mut documents: Vec<(User, Map<String, Value>)> = rows
                .into_iter()
                .map(|user| {
                    let document = user_document(&user, is_online(&user.id));
                    (user, document)
                })
                .filter(|(_, document)| query::matches(&filter, document))
                .collect();
            documents.sort_by(|(_, a), (_, b)| query::compare(a, b, &sort));
            Ok(documents.into_iter().skip(page.offset).take(page.limit).map(|(user, _)| user).collect())
        }
    }
}

/// What a connection's first frame tells its user about themselves.
#[derive(Debug, Clone)]
pub struct Connected {
    pub user: User,
    pub totals: UnreadTotals,
    pub mutes: crate::ops::moderation::OwnMutes,
    /// The users the mutes name.
    pub users: crate::model::UserDirectory,
    /// The user's push devices, oldest first.
    pub devices: Vec<crate::model::Device>,
}

/// Upserts the connecting user from `/connect`'s `user_details`: profile and custom fields merge into the stored
/// user, while role, teams, bans and deactivation are never taken from a client. A `device` given is registered
/// for them (a bad one refuses the connection, saying why).
pub async fn connect_user(
    tx: &mut dyn Tx,
    ctx: &Context,
    details: Option<&UserRequest>,
    device: Option<&rill_protocol::request::CreateDeviceRequest>,
) -> CoreResult<Connected> {
    let user_id = UserId::parse(ctx.acting_user_id("connect")?)?.into_string();
    let existing = tx.user_for_update(ctx.app_id(), &user_id).await?;
    if let Some(existing) = &existing {
        check_active(existing)?;
    }
    let mut user = existing.clone().unwrap_or_else(|| crate::ops::placeholder_user(&user_id, ctx.now));
    if let Some(details) = details {
        // Role, teams, per-team roles, bans and revocation come from the server only, never from a client.
        let mut incoming = request_data(details)?;
        incoming.retain(|key, _| !PRIVILEGED.contains(&key.as_str()));
        for (key, value) in incoming {
            user.data.insert(key, value);
        }
    }
    if existing.as_ref().map(|old| &old.data) != Some(&user.data) {
        user.updated_at = ctx.now;
        let unique_name = unique_name_of(tx, ctx, &user).await?;
        tx.upsert_user(ctx.app_id(), &user, unique_name.as_deref()).await?;
    }
    user.last_active = Some(ctx.now);
    tx.set_last_active(ctx.app_id(), &user_id, ctx.now).await?;
    let totals = tx
        .unread_totals(ctx.app_id(), std::slice::from_ref(&user_id), ctx.now)
        .await?
        .remove(&user_id)
        .unwrap_or_default();
    let mut users = crate::model::UserDirectory::new();
    users.insert(user.id.clone(), user.clone());
    let mutes = crate::ops::moderation::OwnMutes::of(tx, ctx, &user_id, &mut users).await?;
    if let Some(device) = device {
        crate::ops::devices::create_device(tx, ctx, device).await?;
    }
    let devices = tx.devices_of(ctx.app_id(), &user_id).await?;
    Ok(Connected { user, totals, mutes, users, devices })
}

/// `POST /guest`: a new user with role `guest` from a client's own details (name, image, custom fields; never
/// a role, teams or anything privileged). An id already taken is refused: a guest never gets a token for an
/// existing user.
pub async fn create_guest(tx: &mut dyn Tx, ctx: &Context, details: &UserRequest) -> CoreResult<Outcome<User>> {
    if ctx.app.settings.guest_user_creation_disabled {
        return Err(CoreError::not_allowed("guest users are disabled for this app (guest_user_creation_disabled)"));
    }
    let user_id = details.id.as_ref().ok_or_else(|| CoreError::input("user.id is required"))?.to_string();
    let mut incoming = request_data(details)?;
    incoming.retain(|key, _| !PRIVILEGED.contains(&key.as_str()));
    let mut user = crate::ops::placeholder_user(&user_id, ctx.now);
    user.role = "guest".into();
    user.data = incoming;
    let taken = || CoreError::input(format!("user {user_id} already exists: a guest needs an id of its own"));
    if !tx.insert_user_if_absent(ctx.app_id(), &user).await? {
        return Err(taken());
    }
    if let Some(unique_name) = unique_name_of(tx, ctx, &user).await? {
        tx.upsert_user(ctx.app_id(), &user, Some(&unique_name)).await?;
    }
    let mut outcome = Outcome::new(user.clone());
    outcome.users.insert(user.id.clone(), user);
    Ok(outcome)
}

/// Refuses a deactivated or deleted user: their tokens stay valid, but they may not act.
pub fn check_active(user: &User) -> CoreResult<()> {
    if user.deleted_at.is_some() {
        return Err(CoreError::not_allowed(format!("user {} has been deleted", user.id)));
    }
    if user.deactivated_at.is_some() {
        return Err(CoreError::not_allowed(format!("user {} is deactivated", user.id)));
    }
    Ok(())
}

/// The acting user of a user token, created (role `user`) if this is the first time the app sees them.
pub async fn ensure_user(tx: &mut dyn Tx, ctx: &Context) -> CoreResult<User> {
    let user_id = UserId::parse(ctx.acting_user_id("authentication")?)?.into_string();
    if let Some(user) = tx.user(ctx.app_id(), &user_id).await? {
        return Ok(user);
    }
    let user = crate::ops::placeholder_user(&user_id, ctx.now);
    if tx.insert_user_if_absent(ctx.app_id(), &user).await? {
        return Ok(user);
    }
    // Created meanwhile by a concurrent request: that row is the user.
    tx.user(ctx.app_id(), &user_id).await?.ok_or_else(|| CoreError::internal("a user that exists could not be read"))
}

/// Records when a user was last seen (their last connection closed).
pub async fn touch_last_active(tx: &mut dyn Tx, ctx: &Context, user_id: &str) -> CoreResult<Option<User>> {
    tx.set_last_active(ctx.app_id(), user_id, ctx.now).await?;
    tx.user(ctx.app_id(), user_id).await
}

/// A user with their unread totals, for the `me` object.
pub async fn own_user(tx: &mut dyn Tx, ctx: &Context, user_id: &str) -> CoreResult<Option<(User, UnreadTotals)>> {
    let Some(user) = tx.user(ctx.app_id(), user_id).await? else { return Ok(None) };
    let totals =
        tx.unread_totals(ctx.app_id(), &[user_id.to_owned()], ctx.now).await?.remove(user_id).unwrap_or_default();
    Ok(Some((user, totals)))
}

/// Users by id, for rendering.
pub async fn users_by_id(tx: &mut dyn Tx, ctx: &Context, user_ids: &[String]) -> CoreResult<Vec<User>> {
    tx.users(ctx.app_id(), user_ids).await
}

/// `POST /users/{id}/deactivate` and `/reactivate` (server only).
pub async fn set_deactivated(
    tx: &mut dyn Tx,
    ctx: &Context,
    user_id: &str,
    deactivated: bool,
) -> CoreResult<Outcome<User>> {
    if !ctx.actor.is_server() {
        return Err(CoreError::not_allowed("only server-side calls may deactivate or reactivate users"));
    }
    let mut user = tx
        .user(ctx.app_id(), user_id)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("user {user_id} does not exist")))?;
    user.deactivated_at = if deactivated { Some(ctx.now) } else { None };
    user.updated_at = ctx.now;
    tx.set_deactivated(ctx.app_id(), user_id, user.deactivated_at, ctx.now).await?;
    let mut outcome = Outcome::new(user.clone());
    outcome.notices.push(Notice::UserActivation { user: user.clone(), deactivated });
    outcome.users.insert(user.id.clone(), user);
    Ok(outcome)
}

/// How `DELETE /users/{id}` deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserDeletion {
    /// Remove the user's row and memberships (and, with `mark_messages_deleted`, the messages themselves).
    pub hard: bool,
    /// Delete the user's messages too: in the background, in batches ([`purge_user_messages`]).
    pub mark_messages_deleted: bool,
}

/// `DELETE /users/{id}`: soft delete keeps the row marked deleted; hard delete removes it and its memberships.
/// With `mark_messages_deleted` the user's messages up to now are deleted afterwards (soft, or hard with a hard
/// delete), in batches, so the request costs the same however many there are.
pub async fn delete_user(
    tx: &mut dyn Tx,
    ctx: &Context,
    user_id: &str,
    deletion: UserDeletion,
) -> CoreResult<Outcome<User>> {
    let hard = deletion.hard;
    if !ctx.actor.is_server() {
        return Err(CoreError::not_allowed("only server-side calls may delete users"));
    }
    let mut user = tx
        .user(ctx.app_id(), user_id)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("user {user_id} does not exist")))?;
    user.deleted_at = Some(ctx.now);
    user.updated_at = ctx.now;
    if hard {
        tx.delete_memberships_of(ctx.app_id(), user_id).await?;
        tx.delete_user(ctx.app_id(), user_id).await?;
    } else {
        tx.mark_user_deleted(ctx.app_id(), user_id, ctx.now).await?;
    }
    if deletion.mark_messages_deleted {
        tx.schedule_user_purge(ctx.app_id(), user_id, hard, ctx.now).await?;
    }
    let mut outcome = Outcome::new(user.clone());
    outcome.users.insert(user.id.clone(), user);
    Ok(outcome)
}

/// How many messages one step of a user's purge deletes.
pub const USER_PURGE_BATCH: usize = 100;

/// One step of deleting a user's messages created up to `before`: up to [`USER_PURGE_BATCH`] of them, as
/// `DeleteMessage` would (soft: marked deleted; hard: removed with their reactions), with their threads' reply
/// counts; when none is left, ends the purge. Run by a background task, one batch per transaction. Clients
/// learn of it by querying again (no event per message, as with Stream's bulk deletes).
pub async fn purge_user_messages(
    tx: &mut dyn Tx,
    app_id: i64,
    user_id: &str,
    hard: bool,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> CoreResult<crate::ops::channels::PurgeStep> {
    let batch = tx.messages_to_purge(app_id, user_id, before, hard, USER_PURGE_BATCH).await?;
    for message in &batch {
        let already_deleted = message.deleted_at.is_some();
        if hard {
            tx.delete_message(app_id, &message.id).await?;
        } else {
            tx.mark_message_deleted(app_id, &message.id, now).await?;
        }
        if let Some(parent_id) = &message.parent_id {
            crate::ops::messages::uncount_reply(tx, app_id, parent_id, hard, already_deleted).await?;
        }
    }
    if batch.len() == USER_PURGE_BATCH {
        return Ok(crate::ops::channels::PurgeStep::More);
    }
    tx.finish_user_purge(app_id, user_id, hard, before).await?;
    Ok(crate::ops::channels::PurgeStep::Done)
}

/// `POST /users/{user_id}/event`: checks a server's custom event for one user (server-side only; a custom type
/// of 1 to 64 bytes that is not one of the server's own; custom fields within the limits that do not overwrite
/// built-in ones) and returns the user, who must exist.
pub async fn authorize_user_event(
    tx: &mut dyn Tx,
    ctx: &Context,
    user_id: &str,
    event_type: &str,
    custom: &serde_json::Map<String, Value>,
) -> CoreResult<User> {
    use rill_protocol::limits::MAX_EVENT_TYPE_BYTES;
    if !ctx.actor.is_server() {
        return Err(CoreError::not_allowed("only server-side calls may send events to a user"));
    }
    if event_type.is_empty() || event_type.len() > MAX_EVENT_TYPE_BYTES {
        return Err(CoreError::input(format!("event type must have 1 to {MAX_EVENT_TYPE_BYTES} bytes")));
    }
    if rill_protocol::event::kind::is_reserved(event_type) {
        return Err(CoreError::input(format!("event type {event_type:?} is reserved for the server")));
    }
    crate::ops::check_custom_keys(custom, rill_protocol::event::Event::FIELDS, "event")?;
    rill_protocol::limits::check_custom_data(custom, "event").map_err(CoreError::input)?;
    tx.user(ctx.app_id(), user_id)
        .await?
        .filter(|user| user.deleted_at.is_none())
        .ok_or_else(|| CoreError::not_found(format!("user {user_id} does not exist")))
}
