-- Version 6, as on SQLite: deleting a channel or hard-truncating one no longer removes its messages in the
-- request's transaction. The request hides them at once (the channel's `deleted_at`, its `truncated_at`) and
-- records `purge_before`; a background task removes the messages created up to then in small batches, and
-- resumes after a restart.

ALTER TABLE channels ADD COLUMN purge_before BIGINT;
CREATE INDEX channels_purging ON channels (purge_before) WHERE purge_before IS NOT NULL;
