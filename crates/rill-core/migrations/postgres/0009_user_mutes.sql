-- Version 9: users mute other users (`POST /moderation/mute`), for a while or until they unmute. A mute is the
-- muter's own: it hides nothing from anyone else.

CREATE TABLE user_mutes (
    app_id BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    target_id TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (app_id, user_id, target_id)
);
