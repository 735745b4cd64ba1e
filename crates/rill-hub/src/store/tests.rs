//! The Hub store's contract, on both backends: each test runs once on SQLite and once on PostgreSQL.

use crate::model::{
    Link, LinkPurpose, Member, MemberChanges, NewAudit, Project, ProjectChanges, ProjectStatus, Role, Session,
};
use crate::store::testing::{fresh_store, on_both_backends, TestBackend};
use crate::store::HubStore;
use chrono::{DateTime, Duration, Utc};
use rill_core::secret::Secret;

on_both_backends!(
    members_are_unique_by_email_in_any_case_and_listed_by_email,
    member_changes_keep_an_admin,
    removing_a_member_ends_their_sessions_links_and_projects,
    sessions_are_found_by_hash_until_they_expire,
    links_are_used_once_before_they_expire,
    projects_have_unique_names_and_current_members,
    settings_keep_their_secret_sealed,
    audit_lines_come_back_newest_first,
    initialize_runs_once,
    concurrent_writes_all_land,
    sessions_slide_forward_only,
    chat_tokens_count_each_member_once_a_month,
);

/// Times with whole microseconds, as the store keeps them.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

fn member(email: &str, role: Role) -> Member {
    Member {
        id: uuid::Uuid::new_v4().simple().to_string(),
        email: email.to_owned(),
        name: format!("Name of {email}"),
        role,
        password_hash: None,
        created_at: now(),
        removed_at: None,
    }
}

async fn added(store: &HubStore, email: &str, role: Role) -> Member {
    let member = member(email, role);
    store.insert_member(member.clone()).await.unwrap();
    member
}

fn session(member_id: &str, hash: &str, expires_at: DateTime<Utc>) -> Session {
    Session {
        token_hash: hash.to_owned(),
        member_id: member_id.to_owned(),
        csrf_token: Secret::new(format!("csrf-{hash}")),
        created_at: now(),
        expires_at,
    }
}

fn link(member_id: &str, hash: &str, purpose: LinkPurpose, expires_at: DateTime<Utc>) -> Link {
    Link {
        token_hash: hash.to_owned(),
        member_id: member_id.to_owned(),
        purpose,
        created_at: now(),
        expires_at,
        used_at: None,
    }
}

fn project(name: &str, member_ids: Vec<String>) -> Project {
    Project {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: name.to_owned(),
        status: ProjectStatus::Active,
        member_ids,
        created_at: now(),
        updated_at: now(),
    }
}

async fn members_are_unique_by_email_in_any_case_and_listed_by_email(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let bea = added(&store, "Bea@Example.com", Role::Member).await;
    let ann = added(&store, "ann@example.com", Role::Admin).await;
    let taken = store.insert_member(member("bea@EXAMPLE.com", Role::Member)).await.unwrap_err();
    assert_eq!((taken.status, taken.code), (409, "email_taken"));
    assert_eq!(store.member(&bea.id).await.unwrap(), Some(bea.clone()));
    assert_eq!(store.member_by_email(" BEA@example.COM ").await.unwrap(), Some(bea.clone()));
    assert_eq!(store.member_by_email("nobody@example.com").await.unwrap(), None);
    assert_eq!(store.members().await.unwrap(), vec![ann.clone(), bea.clone()]);
    assert!(store.set_password(&bea.id, Secret::new("$argon2id$fake")).await.unwrap());
    assert!(!store.set_password("no-such-id", Secret::new("x")).await.unwrap());
    let with_password = store.member(&bea.id).await.unwrap().unwrap();
    assert_eq!(with_password.password_hash, Some(Secret::new("$argon2id$fake")));
    // A removed member's email can be given to a new member.
    store.remove_member(&bea.id, now()).await.unwrap().unwrap();
    assert_eq!(store.member(&bea.id).await.unwrap(), None);
    added(&store, "bea@example.com", Role::Member).await;
}

async fn member_changes_keep_an_admin(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let ann = added(&store, "ann@example.com", Role::Admin).await;
    let bea = added(&store, "bea@example.com", Role::Member).await;
    let demote = MemberChanges { role: Some(Role::Member), ..MemberChanges::default() };
    let refused = store.update_member(&ann.id, demote.clone()).await.unwrap_err();
    assert_eq!((refused.status, refused.code), (409, "last_admin"));
    assert_eq!(store.remove_member(&ann.id, now()).await.unwrap_err().code, "last_admin");
    let renamed = MemberChanges { name: Some("Bea B.".to_owned()), role: Some(Role::Admin) };
    let bea = store.update_member(&bea.id, renamed).await.unwrap().unwrap();
    assert_eq!((bea.name.as_str(), bea.role), ("Bea B.", Role::Admin));
    let ann = store.update_member(&ann.id, demote).await.unwrap().unwrap();
    assert_eq!(ann.role, Role::Member, "another admin is left");
    assert_eq!(store.update_member("no-such-id", MemberChanges::default()).await.unwrap(), None);
}

async fn removing_a_member_ends_their_sessions_links_and_projects(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    added(&store, "ann@example.com", Role::Admin).await;
    let bea = added(&store, "bea@example.com", Role::Member).await;
    let later = now() + Duration::hours(1);
    store.insert_session(session(&bea.id, "s1", later)).await.unwrap();
    store.insert_link(link(&bea.id, "l1", LinkPurpose::SignIn, later)).await.unwrap();
    store.insert_project(project("Apollo", vec![bea.id.clone()])).await.unwrap();
    let removed = store.remove_member(&bea.id, now()).await.unwrap().unwrap();
    assert!(removed.removed_at.is_some());
    assert_eq!(store.session("s1", now()).await.unwrap(), None);
    assert_eq!(store.usable_link("l1", now()).await.unwrap(), None);
    assert!(store.project_by_name("apollo").await.unwrap().unwrap().member_ids.is_empty());
    assert_eq!(store.remove_member(&bea.id, now()).await.unwrap(), None, "already removed");
    assert_eq!(store.members().await.unwrap().len(), 1);
    let former = store.former_members().await.unwrap();
    assert_eq!(former.len(), 1, "the removed member is listed as former");
    assert_eq!((former[0].id.as_str(), former[0].removed_at), (bea.id.as_str(), removed.removed_at));
}

async fn sessions_are_found_by_hash_until_they_expire(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let ann = added(&store, "ann@example.com", Role::Admin).await;
    let start = now();
    let expires = start + Duration::hours(12);
    store.insert_session(session(&ann.id, "s1", expires)).await.unwrap();
    store.insert_session(session(&ann.id, "s2", start + Duration::minutes(1))).await.unwrap();
    let (found, owner) = store.session("s1", start).await.unwrap().unwrap();
    assert_eq!((found.member_id.as_str(), found.expires_at, owner.id), (ann.id.as_str(), expires, ann.id.clone()));
    assert_eq!(found.csrf_token, Secret::new("csrf-s1"));
    assert_eq!(store.session("s1", expires).await.unwrap(), None, "expired at its expiry");
    assert_eq!(store.session("nope", start).await.unwrap(), None);
    assert!(store.delete_session("s1").await.unwrap());
    assert!(!store.delete_session("s1").await.unwrap());
    assert_eq!(store.delete_expired(start + Duration::minutes(2)).await.unwrap(), 1, "s2 went");
    assert_eq!(store.session("s2", start).await.unwrap(), None);
}

async fn links_are_used_once_before_they_expire(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let ann = added(&store, "ann@example.com", Role::Admin).await;
    let start = now();
    let expires = start + Duration::hours(24);
    store.insert_link(link(&ann.id, "l1", LinkPurpose::Invite, expires)).await.unwrap();
    store.insert_link(link(&ann.id, "l2", LinkPurpose::SignIn, expires)).await.unwrap();
    assert_eq!(store.usable_link("l1", start).await.unwrap().unwrap().purpose, LinkPurpose::Invite);
    let (used, owner) = store.consume_link("l1", start, Some(Secret::new("$argon2id$h"))).await.unwrap().unwrap();
    assert_eq!((used.used_at, owner.password_hash), (Some(start), Some(Secret::new("$argon2id$h"))));
    assert_eq!(store.consume_link("l1", start, None).await.unwrap(), None, "once only");
    assert_eq!(store.usable_link("l1", start).await.unwrap(), None);
    assert_eq!(store.consume_link("l2", expires, None).await.unwrap(), None, "expired");
    assert_eq!(store.consume_link("l3", start, None).await.unwrap(), None, "unknown");
    // Two callers racing for one link: one of them gets it.
    store.insert_link(link(&ann.id, "l4", LinkPurpose::SignIn, expires)).await.unwrap();
    let (first, second) = tokio::join!(store.consume_link("l4", start, None), store.consume_link("l4", start, None));
    assert_eq!(usize::from(first.unwrap().is_some()) + usize::from(second.unwrap().is_some()), 1);
}

async fn projects_have_unique_names_and_current_members(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let ann = added(&store, "ann@example.com", Role::Admin).await;
    let bea = added(&store, "bea@example.com", Role::Member).await;
    let mut ids = vec![ann.id.clone(), bea.id.clone()];
    ids.sort();
    let zeta = project("Zeta", ids.clone());
    store.insert_project(zeta.clone()).await.unwrap();
    let alpha = project("Alpha", vec![]);
    store.insert_project(alpha.clone()).await.unwrap();
    assert_eq!(store.insert_project(project("zeta", vec![])).await.unwrap_err().code, "name_taken");
    let unknown = store.insert_project(project("Beta", vec!["ghost".to_owned()])).await.unwrap_err();
    assert_eq!((unknown.status, unknown.code), (400, "unknown_member"));
    assert_eq!(store.project_by_name("beta").await.unwrap(), None, "nothing of the refused project stayed");
    assert_eq!(store.projects().await.unwrap(), vec![alpha.clone(), zeta.clone()]);
    assert_eq!(store.project(&zeta.id).await.unwrap(), Some(zeta.clone()));
    let at = now() + Duration::seconds(5);
    let changes = ProjectChanges {
        name: Some("Omega".to_owned()),
        member_ids: Some(vec![bea.id.clone()]),
        status: Some(ProjectStatus::Completed),
    };
    let omega = store.update_project(&zeta.id, changes, at).await.unwrap().unwrap();
    assert_eq!((omega.name.as_str(), omega.status, omega.updated_at), ("Omega", ProjectStatus::Completed, at));
    assert_eq!(omega.member_ids, vec![bea.id.clone()]);
    let rename = ProjectChanges { name: Some("ALPHA".to_owned()), ..ProjectChanges::default() };
    assert_eq!(store.update_project(&zeta.id, rename, at).await.unwrap_err().code, "name_taken");
    assert_eq!(store.update_project("no-such-id", ProjectChanges::default(), at).await.unwrap(), None);
}

async fn settings_keep_their_secret_sealed(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let at = now();
    assert_eq!(store.setting("stream").await.unwrap(), None);
    let value = serde_json::json!({"api_key": "k", "base_url": "http://x"});
    store.put_setting("stream", &value, Some(&Secret::new("canary-secret")), at).await.unwrap();
    let setting = store.setting("stream").await.unwrap().unwrap();
    assert_eq!((setting.value, setting.secret, setting.updated_at), (value, Some(Secret::new("canary-secret")), at));
    let sealed = store.read(|tx| Box::pin(crate::store::rows::setting(tx, "stream"))).await.unwrap().unwrap();
    assert!(sealed.1.unwrap().starts_with("sealed:v1:"), "stored sealed, never in the clear");
    store.put_setting("stream", &serde_json::json!({}), None, at).await.unwrap();
    assert_eq!(store.setting("stream").await.unwrap().unwrap().secret, None);
}

async fn audit_lines_come_back_newest_first(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    for action in ["member.add", "member.remove", "project.add"] {
        let entry = NewAudit {
            at: now(),
            actor: "cli".to_owned(),
            action: action.to_owned(),
            target: "x".to_owned(),
            result: "ok".to_owned(),
        };
        store.append_audit(entry).await.unwrap();
    }
    let lines = store.audit(2).await.unwrap();
    let actions: Vec<&str> = lines.iter().map(|line| line.action.as_str()).collect();
    assert_eq!(actions, ["project.add", "member.remove"]);
    assert!(lines[0].id > lines[1].id);
}

async fn initialize_runs_once(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let admin = member("admin@localhost", Role::Admin);
    let first = link(&admin.id, "first", LinkPurpose::SignIn, now() + Duration::hours(24));
    assert!(store.initialize(serde_json::json!({"name": "W"}), admin.clone(), first.clone()).await.unwrap());
    let again = member("other@localhost", Role::Admin);
    let second = link(&again.id, "second", LinkPurpose::SignIn, now() + Duration::hours(24));
    assert!(!store.initialize(serde_json::json!({"name": "W"}), again, second).await.unwrap());
    assert_eq!(store.members().await.unwrap(), vec![admin]);
    assert!(store.usable_link("first", now()).await.unwrap().is_some());
    assert_eq!(store.usable_link("second", now()).await.unwrap(), None);
    assert_eq!(store.setting("workspace").await.unwrap().unwrap().value["name"], "W");
}

async fn concurrent_writes_all_land(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let writes = (0..40).map(|index| {
        let store = store.clone();
        tokio::spawn(async move { added(&store, &format!("user{index}@example.com"), Role::Member).await })
    });
    for write in writes.collect::<Vec<_>>() {
        write.await.unwrap();
    }
    assert_eq!(store.members().await.unwrap().len(), 40);
}

async fn sessions_slide_forward_only(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let ann = added(&store, "ann@example.com", Role::Admin).await;
    let start = now();
    store.insert_session(session(&ann.id, "h1", start + Duration::hours(1))).await.unwrap();
    assert!(store.extend_session("h1", start + Duration::hours(3)).await.unwrap());
    assert!(!store.extend_session("h1", start + Duration::hours(2)).await.unwrap(), "never back");
    let (kept, _) = store.session("h1", start + Duration::minutes(150)).await.unwrap().unwrap();
    assert_eq!(kept.expires_at, start + Duration::hours(3));
    assert!(!store.extend_session("missing", start + Duration::hours(3)).await.unwrap());
}

async fn chat_tokens_count_each_member_once_a_month(backend: TestBackend) {
    let (_directory, store) = fresh_store(backend).await;
    let notes = (0..12).map(|index| {
        let store = store.clone();
        let member = if index % 3 == 0 { "bea" } else { "ann" };
        tokio::spawn(async move { store.note_chat_token("2026-12", member, now()).await.unwrap() })
    });
    let mut firsts = 0;
    for note in notes.collect::<Vec<_>>() {
        firsts += usize::from(note.await.unwrap());
    }
    assert_eq!(firsts, 2, "one first token for each member, however many arrive at once");
    assert!(store.note_chat_token("2027-01", "ann", now()).await.unwrap(), "a new month counts again");
    assert_eq!(store.chat_tokens_in("2026-12").await.unwrap(), 2);
    assert_eq!(store.chat_tokens_in("2027-01").await.unwrap(), 1);
    assert_eq!(store.chat_tokens_in("2026-11").await.unwrap(), 0);
}

/// Every schema change is written for both backends under one name, and each backend runs every file.
#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend: &str| -> Vec<String> {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    let versions: Vec<i64> = sqlite.iter().map(|name| name[..4].parse().unwrap()).collect();
    let (sqlite_runs, postgres_runs) = crate::store::migration_versions();
    assert_eq!((sqlite_runs, postgres_runs), (versions.clone(), versions));
}
