-- Version 8: deleting a user's messages (`DELETE /users/{id}?mark_messages_deleted=true`) runs in the
-- background, in batches, as channel purges do. `user_purges` records what is left to do (resumed after a
-- restart); `messages_by_user` finds a user's messages in the order they were written.

CREATE TABLE user_purges (
    app_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    hard INTEGER NOT NULL,
    before INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
CREATE INDEX messages_by_user ON messages (app_id, user_id, created_at);
