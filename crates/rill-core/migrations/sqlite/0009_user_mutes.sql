-- Version 9: users mute other users (`POST /moderation/mute`), for a while or until they unmute. A mute is the
-- muter's own: it hides nothing from anyone else.

CREATE TABLE user_mutes (
    app_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (app_id, user_id, target_id)
);
