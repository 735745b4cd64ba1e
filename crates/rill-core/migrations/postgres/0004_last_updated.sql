-- Version 4, as on SQLite: a channel's `last_updated` (its last message or its last update, whichever is later:
-- QueryChannels' default order) as a column computed by the database, indexed, so that channel queries sort and
-- page in SQL.

ALTER TABLE channels ADD COLUMN last_updated BIGINT
    GENERATED ALWAYS AS (GREATEST(last_message_at, updated_at)) STORED;
CREATE INDEX channels_by_last_updated ON channels (app_id, last_updated);
