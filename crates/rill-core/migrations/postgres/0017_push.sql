-- Version 17: push. `push_providers` holds each app's push configurations: the app-level `firebase_config` and
-- `apn_config` (name '') and the named providers of `/push_providers`. Non-secret settings are JSON in `config`;
-- the credentials (a service account, a .p8 key) are sealed with the data directory's key, bound to the row.
-- `push_deliveries` records, per message and device, that the push is settled (sent, or refused for good), so
-- a retried or replayed push job never sends twice what a provider acknowledged; the sweep drops old rows.

CREATE TABLE push_providers (
    app_id BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    config TEXT NOT NULL,
    credentials TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, kind, name)
);

CREATE TABLE push_deliveries (
    app_id BIGINT NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    outcome TEXT NOT NULL,
    settled_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, message_id, device_id)
);
CREATE INDEX push_deliveries_by_time ON push_deliveries (settled_at);
