-- Version 7, as on SQLite: truncating a channel no longer rewrites every member's read position. The channel
-- keeps `read_floor`, its `unread_sequence` at the last truncation, and a member's unread count is
-- `unread_sequence` less the greater of their own read position and the floor.

ALTER TABLE channels ADD COLUMN read_floor BIGINT NOT NULL DEFAULT 0;
