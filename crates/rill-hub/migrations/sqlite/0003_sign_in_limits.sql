-- Failed sign-in counts, shared by every node on this database: one row per account ('account:EMAIL') and per
-- client address ('address:IP', an IPv6 address by its /64), counting attempts in a fixed window from its first.
-- An attempt is counted before the password is checked (one atomic upsert), so parallel attempts cannot
-- overrun the limit; a success takes its attempt back.
CREATE TABLE hub_sign_in_limits (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    attempts INTEGER NOT NULL
);
CREATE INDEX hub_sign_in_limits_window ON hub_sign_in_limits (window_start);
