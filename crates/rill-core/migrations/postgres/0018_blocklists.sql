-- Version 18: blocklists, the word lists channel types check messages against (`/blocklists`). A list is read
-- whole by name when a message of a type that names it is sent or edited.

CREATE TABLE blocklists (
    app_id BIGINT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    words TEXT NOT NULL,
    substring_matching BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, name)
);
