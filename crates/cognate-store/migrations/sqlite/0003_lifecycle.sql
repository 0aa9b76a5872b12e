-- Issue 5: SRP verifiers, temporary-password age, revocable sign-ins, challenge sessions
-- and persisted sign-in failures.
ALTER TABLE users ADD COLUMN srp_verifier TEXT;
ALTER TABLE users ADD COLUMN password_set INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_set = modified;

-- A new email / phone number waiting for its verification code.
ALTER TABLE codes ADD COLUMN pending TEXT;

ALTER TABLE refresh_tokens ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refresh_tokens ADD COLUMN rotated INTEGER;
-- Every access-token check asks whether its sign-in was revoked.
CREATE INDEX refresh_tokens_by_origin ON refresh_tokens(pool_id, origin_jti);

CREATE TABLE auth_sessions (
    id_hash TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    sub TEXT,
    username TEXT NOT NULL,
    challenge TEXT NOT NULL,
    state TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX auth_sessions_by_expiry ON auth_sessions(expires);

CREATE TABLE signin_failures (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    count INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (pool_id, sub),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE user_groups (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    role_arn TEXT,
    precedence INTEGER,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id TEXT NOT NULL,
    name TEXT NOT NULL,
    sub TEXT NOT NULL,
    PRIMARY KEY (pool_id, name, sub),
    FOREIGN KEY (pool_id, name) REFERENCES user_groups(pool_id, name) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX group_members_by_user ON group_members(pool_id, sub, name);
