-- Issue 6: attempt counters and sign-in failures for names that match no user, so that under
-- PreventUserExistenceErrors a made-up name reaches the same limits and the same lockout as a
-- real user. No key to users on purpose; old rows are pruned as new ones are counted.
CREATE TABLE name_attempts (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name_key TEXT NOT NULL,
    action TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name_key, action)
);
CREATE INDEX name_attempts_by_age ON name_attempts(window_start);

CREATE TABLE name_signin_failures (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name_key TEXT NOT NULL,
    count INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name_key)
);
CREATE INDEX name_signin_failures_by_age ON name_signin_failures(last);
