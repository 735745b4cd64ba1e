-- Version 11: flags (`POST /moderation/flag`): a user reports a message or another user, with a reason and
-- custom data, once per target. A message's flags carry its channel and author, so the review queue
-- (`GET /moderation/flags/message`) pages them by time or by channel without reading messages; deleting the
-- message marks its flags (`message_deleted_at`), and a moderator's deletion reviews and rejects them.

CREATE TABLE flags (
    app_id BIGINT NOT NULL,
    target_kind TEXT COLLATE "C" NOT NULL,
    target_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    channel_cid TEXT COLLATE "C" NOT NULL,
    target_user_id TEXT COLLATE "C" NOT NULL,
    reason TEXT COLLATE "C",
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    reviewed_at BIGINT,
    reviewed_by TEXT COLLATE "C",
    approved_at BIGINT,
    rejected_at BIGINT,
    message_deleted_at BIGINT,
    PRIMARY KEY (app_id, target_kind, target_id, user_id)
);
CREATE UNIQUE INDEX flags_by_id ON flags (app_id, id);
CREATE INDEX flags_by_time ON flags (app_id, target_kind, created_at);
CREATE INDEX flags_by_channel ON flags (app_id, channel_cid, created_at);
