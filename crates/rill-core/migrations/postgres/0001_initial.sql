-- Rill's engine schema on PostgreSQL, version 1: the same tables, columns and indexes as SQLite's version 1.
-- Times are microseconds since the Unix epoch (UTC) in BIGINT, as on SQLite, so both backends agree to the
-- microsecond; flexible data is JSONB. Every text column sorts bytewise (COLLATE "C"), as SQLite's do: ids page
-- and tie-break identically on both backends, and a cid prefix range ("messaging:" up to "messaging;") means
-- what it says whatever the database's locale.

CREATE SEQUENCE app_ids START WITH 1000001;

CREATE TABLE apps (
    id BIGINT PRIMARY KEY DEFAULT nextval('app_ids'),
    name TEXT COLLATE "C" NOT NULL,
    api_key TEXT COLLATE "C" NOT NULL UNIQUE,
    api_secret TEXT COLLATE "C" NOT NULL,
    settings JSONB NOT NULL,
    created_at BIGINT NOT NULL
);
ALTER SEQUENCE app_ids OWNED BY apps.id;

CREATE TABLE users (
    app_id BIGINT NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL,
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_active BIGINT,
    deactivated_at BIGINT,
    deleted_at BIGINT,
    banned BOOLEAN NOT NULL DEFAULT FALSE,
    revoke_tokens_issued_before BIGINT,
    PRIMARY KEY (app_id, id)
);

CREATE TABLE channels (
    app_id BIGINT NOT NULL,
    cid TEXT COLLATE "C" NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C",
    data JSONB NOT NULL,
    frozen BOOLEAN NOT NULL,
    disabled BOOLEAN NOT NULL,
    team TEXT COLLATE "C",
    cooldown BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    truncated_at BIGINT,
    last_message_at BIGINT,
    member_count BIGINT NOT NULL,
    message_count BIGINT NOT NULL,
    unread_sequence BIGINT NOT NULL,
    PRIMARY KEY (app_id, cid)
);
CREATE INDEX channels_by_creator ON channels (app_id, created_by);

CREATE TABLE members (
    app_id BIGINT NOT NULL,
    cid TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    channel_role TEXT COLLATE "C" NOT NULL,
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    hidden BOOLEAN NOT NULL,
    last_read_at BIGINT NOT NULL,
    last_read_message_id TEXT COLLATE "C",
    last_read_sequence BIGINT NOT NULL,
    hide_messages_before BIGINT,
    PRIMARY KEY (app_id, cid, user_id)
);
CREATE INDEX members_by_user ON members (app_id, user_id);

CREATE TABLE messages (
    app_id BIGINT NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    cid TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    text TEXT COLLATE "C" NOT NULL,
    html TEXT COLLATE "C" NOT NULL,
    parent_id TEXT COLLATE "C",
    show_in_channel BOOLEAN NOT NULL,
    silent BOOLEAN NOT NULL,
    shadowed BOOLEAN NOT NULL,
    pinned BOOLEAN NOT NULL,
    pinned_at BIGINT,
    pinned_by TEXT COLLATE "C",
    pin_expires BIGINT,
    quoted_message_id TEXT COLLATE "C",
    attachments JSONB NOT NULL,
    mentioned_users JSONB NOT NULL,
    data JSONB NOT NULL,
    reaction_counts JSONB NOT NULL,
    reaction_scores JSONB NOT NULL,
    reply_count BIGINT NOT NULL,
    deleted_reply_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    text_updated_at BIGINT,
    sequence BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX messages_by_channel ON messages (app_id, cid, created_at, id);
CREATE INDEX messages_by_parent ON messages (app_id, parent_id, created_at, id) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_pinned ON messages (app_id, cid, pinned_at) WHERE pinned;

CREATE TABLE reactions (
    app_id BIGINT NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    score BIGINT NOT NULL,
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, message_id, user_id, type)
);
CREATE INDEX reactions_by_message ON reactions (app_id, message_id, created_at);
