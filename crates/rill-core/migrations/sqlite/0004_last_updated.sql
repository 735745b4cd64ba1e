-- Version 4: a channel's `last_updated` (its last message or its last update, whichever is later: QueryChannels'
-- default order) as a column computed by the database, indexed, so that channel queries sort and page in SQL.

ALTER TABLE channels ADD COLUMN last_updated INTEGER
    GENERATED ALWAYS AS (MAX(COALESCE(last_message_at, updated_at), updated_at)) VIRTUAL;
CREATE INDEX channels_by_last_updated ON channels (app_id, last_updated);
