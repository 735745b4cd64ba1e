-- The Hub's own tables (never an engine table). Times are microseconds since the Unix epoch.

CREATE TABLE hub_members (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    -- The email in lower case: unique among members who are not removed, so a removed member can be invited again.
    email_key TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE UNIQUE INDEX hub_members_email ON hub_members (email_key) WHERE removed_at IS NULL;

CREATE TABLE hub_sessions (
    token_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX hub_sessions_member ON hub_sessions (member_id);

CREATE TABLE hub_links (
    token_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('sign_in', 'invite')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX hub_links_member ON hub_links (member_id);

CREATE TABLE hub_projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The name in lower case: two projects never differ by case alone.
    name_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE hub_project_members (
    project_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (project_id, member_id)
);
CREATE INDEX hub_project_members_member ON hub_project_members (member_id);

CREATE TABLE hub_settings (
    key TEXT PRIMARY KEY,
    -- JSON text.
    value TEXT NOT NULL,
    -- A secret sealed with the data directory's key (rill_core::secret::SealingKey), bound to the key's name.
    sealed TEXT,
    updated_at INTEGER NOT NULL
);

CREATE TABLE hub_audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    result TEXT NOT NULL
);
