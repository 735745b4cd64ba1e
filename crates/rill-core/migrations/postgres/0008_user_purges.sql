-- Version 8, as on SQLite: deleting a user's messages runs in the background, in batches. `user_purges`
-- records what is left to do (resumed after a restart); `messages_by_user` finds a user's messages in the order
-- they were written.

CREATE TABLE user_purges (
    app_id BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    hard BOOLEAN NOT NULL,
    before BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
CREATE INDEX messages_by_user ON messages (app_id, user_id, created_at);
