-- Rill's engine schema, version 1. Times are microseconds since the Unix epoch (UTC); flexible data is JSON text.

CREATE TABLE apps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    api_secret TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    app_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    role TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_active INTEGER,
    deactivated_at INTEGER,
    deleted_at INTEGER,
    banned INTEGER NOT NULL DEFAULT 0,
    revoke_tokens_issued_before INTEGER,
    PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

CREATE TABLE channels (
    app_id INTEGER NOT NULL,
    cid TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    created_by TEXT,
    data TEXT NOT NULL,
    frozen INTEGER NOT NULL,
    disabled INTEGER NOT NULL,
    team TEXT,
    cooldown INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    truncated_at INTEGER,
    last_message_at INTEGER,
    member_count INTEGER NOT NULL,
    message_count INTEGER NOT NULL,
    unread_sequence INTEGER NOT NULL,
    PRIMARY KEY (app_id, cid)
) WITHOUT ROWID;
CREATE INDEX channels_by_creator ON channels (app_id, created_by);

CREATE TABLE members (
    app_id INTEGER NOT NULL,
    cid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_role TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    hidden INTEGER NOT NULL,
    last_read_at INTEGER NOT NULL,
    last_read_message_id TEXT,
    last_read_sequence INTEGER NOT NULL,
    hide_messages_before INTEGER,
    PRIMARY KEY (app_id, cid, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (app_id, user_id);

CREATE TABLE messages (
    app_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    cid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    html TEXT NOT NULL,
    parent_id TEXT,
    show_in_channel INTEGER NOT NULL,
    silent INTEGER NOT NULL,
    shadowed INTEGER NOT NULL,
    pinned INTEGER NOT NULL,
    pinned_at INTEGER,
    pinned_by TEXT,
    pin_expires INTEGER,
    quoted_message_id TEXT,
    attachments TEXT NOT NULL,
    mentioned_users TEXT NOT NULL,
    data TEXT NOT NULL,
    reaction_counts TEXT NOT NULL,
    reaction_scores TEXT NOT NULL,
    reply_count INTEGER NOT NULL,
    deleted_reply_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    text_updated_at INTEGER,
    sequence INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
) WITHOUT ROWID;
CREATE INDEX messages_by_channel ON messages (app_id, cid, created_at, id);
CREATE INDEX messages_by_parent ON messages (app_id, parent_id, created_at, id) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_pinned ON messages (app_id, cid, pinned_at) WHERE pinned = 1;

CREATE TABLE reactions (
    app_id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    type TEXT NOT NULL,
    score INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, message_id, user_id, type)
) WITHOUT ROWID;
CREATE INDEX reactions_by_message ON reactions (app_id, message_id, created_at);
