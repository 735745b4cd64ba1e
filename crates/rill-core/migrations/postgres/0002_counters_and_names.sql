-- Version 2, as on SQLite. Reaction totals get a table of their own, changed by amounts (never rewritten from a
-- value read earlier); a user's name gets a column (indexed, and held unique per app when the app asks for
-- it); hidden memberships get an index, so a new message shows a hidden channel again without reading every
-- member.

CREATE TABLE reaction_totals (
    app_id BIGINT NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    count BIGINT NOT NULL,
    score BIGINT NOT NULL,
    PRIMARY KEY (app_id, message_id, type)
);
INSERT INTO reaction_totals (app_id, message_id, type, count, score)
    SELECT app_id, message_id, type, COUNT(*), SUM(score) FROM reactions GROUP BY app_id, message_id, type;
ALTER TABLE messages DROP COLUMN reaction_counts;
ALTER TABLE messages DROP COLUMN reaction_scores;

ALTER TABLE users ADD COLUMN name TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN unique_name TEXT COLLATE "C";
UPDATE users SET name = data->>'name' WHERE jsonb_typeof(data->'name') = 'string';
CREATE INDEX users_by_name ON users (app_id, name);
CREATE UNIQUE INDEX users_unique_name ON users (app_id, unique_name) WHERE unique_name IS NOT NULL;

CREATE INDEX members_hidden ON members (app_id, cid) WHERE hidden;
