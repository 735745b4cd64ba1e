-- Version 18: blocklists, the word lists channel types check messages against (`/blocklists`). A list is read
-- whole by name when a message of a type that names it is sent or edited.

CREATE TABLE blocklists (
    app_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    words TEXT NOT NULL,
    substring_matching INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, name)
);
