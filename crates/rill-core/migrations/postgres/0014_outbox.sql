-- Version 14: the durable outbox of webhook (and later push) jobs. A job is written in the transaction of the
-- change that causes it, so a committed change always gets its deliveries, even across a crash. A worker
-- leases due jobs by moving `available_at` past the lease's end and stamping `lease_owner` (a token unique to
-- the claim): a due job is one with `available_at <= now` that has not failed, and one index serves the scan.
-- A delivered job is deleted; one out of attempts keeps its row with `failed_at` and its last error, for the
-- operator (`rill app outbox`), until the retention sweep removes it.

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    app_id BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    delivery_id TEXT COLLATE "C" NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    timeout_ms BIGINT NOT NULL,
    event_type TEXT COLLATE "C" NOT NULL,
    body TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    available_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    last_error TEXT,
    failed_at BIGINT
);
CREATE INDEX outbox_due ON outbox (available_at, id) WHERE failed_at IS NULL;
CREATE INDEX outbox_failed ON outbox (app_id, failed_at) WHERE failed_at IS NOT NULL;
