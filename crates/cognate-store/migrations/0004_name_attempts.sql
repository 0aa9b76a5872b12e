-- Issue 6: attempt counters for names that match no user, so that under
-- PreventUserExistenceErrors a made-up name reaches the same limits as a real user. No key to
-- users on purpose; rows whose window has passed are pruned as new ones are counted.
CREATE TABLE name_attempts (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name_key TEXT NOT NULL,
    action TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name_key, action)
);
CREATE INDEX name_attempts_by_age ON name_attempts(window_start);
