-- Version 3, as on SQLite: word indexes, so that filters run in SQL (`store::selection`). `user_words` holds, per
-- user, the lower-cased words of their name and id and each whole value (for `$autocomplete` as an indexed
-- prefix range); `message_words` is the full-text index of message texts, a tsvector of the words Rill itself
-- splits (the `simple` configuration keeps them as they are) under a GIN index. The rows of existing users and
-- messages are indexed by the backend right after this file runs.

CREATE TABLE user_words (
    app_id BIGINT NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    word TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (app_id, field, word, user_id)
);
CREATE INDEX user_words_by_user ON user_words (app_id, user_id);

CREATE TABLE message_words (
    app_id BIGINT NOT NULL,
    message_id TEXT COLLATE "C" NOT NULL,
    words TSVECTOR NOT NULL,
    PRIMARY KEY (app_id, message_id)
);
CREATE INDEX message_words_search ON message_words USING GIN (words);
