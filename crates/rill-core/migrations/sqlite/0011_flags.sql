-- Version 11: flags (`POST /moderation/flag`): a user reports a message or another user, with a reason and
-- custom data, once per target. A message's flags carry its channel and author, so the review queue
-- (`GET /moderation/flags/message`) pages them by time or by channel without reading messages; deleting the
-- message marks its flags (`message_deleted_at`), and a moderator's deletion reviews and rejects them.

CREATE TABLE flags (
    app_id INTEGER NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    channel_cid TEXT NOT NULL,
    target_user_id TEXT NOT NULL,
    reason TEXT,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    reviewed_at INTEGER,
    reviewed_by TEXT,
    approved_at INTEGER,
    rejected_at INTEGER,
    message_deleted_at INTEGER,
    PRIMARY KEY (app_id, target_kind, target_id, user_id)
);
CREATE UNIQUE INDEX flags_by_id ON flags (app_id, id);
CREATE INDEX flags_by_time ON flags (app_id, target_kind, created_at);
CREATE INDEX flags_by_channel ON flags (app_id, channel_cid, created_at);
