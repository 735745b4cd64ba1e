-- Version 10: bans (`POST /moderation/ban`), app-wide (`channel_cid` '') or in one channel, for a while or until
-- lifted, optionally shadow. `bans` is the record `GET /query_banned_users` pages through; an app-wide ban is
-- also kept on the user's row (`banned`, `shadow_banned`, `ban_expires_at`), which every read of a user has at
-- hand, and the expiry sweep clears it there once it runs out. A channel ban with `future_channels` also bans
-- the user from channels its author creates later.

CREATE TABLE bans (
    app_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    channel_cid TEXT NOT NULL,
    created_by TEXT,
    reason TEXT,
    shadow INTEGER NOT NULL,
    future_channels INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (app_id, user_id, channel_cid)
);
CREATE INDEX bans_by_time ON bans (app_id, created_at);
CREATE INDEX bans_by_channel ON bans (app_id, channel_cid, created_at);
CREATE INDEX bans_for_future_channels ON bans (app_id, created_by) WHERE future_channels = 1;

ALTER TABLE users ADD COLUMN shadow_banned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN ban_expires_at INTEGER;
CREATE INDEX users_by_ban_expiry ON users (ban_expires_at) WHERE ban_expires_at IS NOT NULL;
