-- Version 16: devices registered for push. A push token (`id`) belongs to one user of the app: registering it
-- again moves it. `devices_of_user` serves a user's list and the push fan-out, oldest first.

CREATE TABLE devices (
    app_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    push_provider TEXT NOT NULL,
    push_provider_name TEXT,
    voip INTEGER NOT NULL,
    disabled_reason TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX devices_of_user ON devices (app_id, user_id, created_at);
