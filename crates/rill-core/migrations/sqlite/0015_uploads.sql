-- Version 15: uploaded files and images. Each row is one upload, found by its app and its `token` (the secret part
-- of its URL); its bytes are a blob in the uploads directory named by their SHA-256, shared by every upload of
-- the same bytes in the app, so the blob may go only when no row names it (`uploads_by_blob`).

CREATE TABLE uploads (
    app_id INTEGER NOT NULL,
    token TEXT NOT NULL,
    cid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    thumb_hash TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, token)
);
CREATE INDEX uploads_by_blob ON uploads (app_id, content_hash);
CREATE INDEX uploads_by_thumb ON uploads (app_id, thumb_hash) WHERE thumb_hash IS NOT NULL;
