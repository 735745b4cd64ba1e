-- Version 12: users mute channels (`POST /moderation/mute/channel`), for a while or until they unmute. A muted
-- channel adds nothing to the user's unread totals. The expiry sweep removes mutes that ran out.

CREATE TABLE channel_mutes (
    app_id BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    channel_cid TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (app_id, user_id, channel_cid)
);
CREATE INDEX channel_mutes_by_expiry ON channel_mutes (expires_at) WHERE expires_at IS NOT NULL;
