-- Version 16: devices registered for push. A push token (`id`) belongs to one user of the app: registering it
-- again moves it. `devices_of_user` serves a user's list and the push fan-out, oldest first.

CREATE TABLE devices (
    app_id BIGINT NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    push_provider TEXT COLLATE "C" NOT NULL,
    push_provider_name TEXT,
    voip BOOLEAN NOT NULL,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX devices_of_user ON devices (app_id, user_id, created_at);
