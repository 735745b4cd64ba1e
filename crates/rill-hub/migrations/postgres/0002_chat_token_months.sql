-- The members given a chat token in each month (UTC, 'YYYY-MM'): the usage estimate against a backend without
-- a usage API. One row per member and month, so two first tokens issued at once count once, and counting a
-- month reads only that month's rows (the primary key's prefix).
CREATE TABLE hub_chat_token_months (
    month TEXT NOT NULL,
    member_id TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (month, member_id)
);
