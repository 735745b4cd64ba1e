-- The Hub's own tables (never an engine table). Times are microseconds since the Unix epoch. Text that is
-- sorted uses COLLATE "C", so orders are bytewise as on SQLite.

CREATE TABLE hub_members (
    id TEXT COLLATE "C" PRIMARY KEY,
    email TEXT COLLATE "C" NOT NULL,
    -- The email in lower case: unique among members who are not removed, so a removed member can be invited again.
    email_key TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE UNIQUE INDEX hub_members_email ON hub_members (email_key) WHERE removed_at IS NULL;

CREATE TABLE hub_sessions (
    token_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX hub_sessions_member ON hub_sessions (member_id);

CREATE TABLE hub_links (
    token_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('sign_in', 'invite')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX hub_links_member ON hub_links (member_id);

CREATE TABLE hub_projects (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    -- The name in lower case: two projects never differ by case alone.
    name_key TEXT COLLATE "C" NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE hub_project_members (
    project_id TEXT COLLATE "C" NOT NULL,
    member_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (project_id, member_id)
);
CREATE INDEX hub_project_members_member ON hub_project_members (member_id);

CREATE TABLE hub_settings (
    key TEXT COLLATE "C" PRIMARY KEY,
    -- JSON text.
    value TEXT NOT NULL,
    -- A secret sealed with the data directory's key (rill_core::secret::SealingKey), bound to the key's name.
    sealed TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE hub_audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    result TEXT NOT NULL
);
