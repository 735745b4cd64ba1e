-- Version 15: uploaded files and images. Each row is one upload, found by its app and its `token` (the secret part
-- of its URL); its bytes are a blob in the uploads directory named by their SHA-256, shared by every upload of
-- the same bytes in the app, so the blob may go only when no row names it (`uploads_by_blob`).

CREATE TABLE uploads (
    app_id BIGINT NOT NULL,
    token TEXT COLLATE "C" NOT NULL,
    cid TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    content_hash TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL,
    mime_type TEXT COLLATE "C" NOT NULL,
    file_name TEXT COLLATE "C" NOT NULL,
    width BIGINT,
    height BIGINT,
    thumb_hash TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, token)
);
CREATE INDEX uploads_by_blob ON uploads (app_id, content_hash);
CREATE INDEX uploads_by_thumb ON uploads (app_id, thumb_hash) WHERE thumb_hash IS NOT NULL;
