-- Version 3: word indexes, so that filters run in SQL (`store::selection`). `user_words` holds, per user, the
-- lower-cased words of their name and id and each whole value (for `$autocomplete` as an indexed prefix range);
-- `message_words` is the full-text index of message texts (FTS5), fed the words Rill itself splits, so that
-- SQLite's tokenizer sees exactly those. An FTS5 row is addressed by an integer, which `messages.search_rowid`
-- records (messages have no rowid of their own); PostgreSQL needs no such column. The rows of existing users and
-- messages are indexed by the backend right after this file runs.

CREATE TABLE user_words (
    app_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    word TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (app_id, field, word, user_id)
) WITHOUT ROWID;
CREATE INDEX user_words_by_user ON user_words (app_id, user_id);

CREATE VIRTUAL TABLE message_words USING fts5(
    words, app_id UNINDEXED, message_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0'
);
ALTER TABLE messages ADD COLUMN search_rowid INTEGER;
