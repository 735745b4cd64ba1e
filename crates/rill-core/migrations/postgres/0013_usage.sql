-- Version 13: monthly usage against the app's plan. `monthly_active_users` holds each user who connected or
-- made a request in a calendar month (UTC; `month` is YYYYMM), once; its count is the month's MAU.
-- `monthly_messages` counts the month's stored messages in a few shards (a send adds one to the shard of its
-- channel), so that concurrent sends in different channels do not all wait on one row; the month's count is
-- their sum. The shard-0 row also serializes the admission of new active users when the plan limits them.

CREATE TABLE monthly_active_users (
    app_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    first_seen BIGINT NOT NULL,
    PRIMARY KEY (app_id, month, user_id)
);
CREATE TABLE monthly_messages (
    app_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    shard BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (app_id, month, shard)
);
