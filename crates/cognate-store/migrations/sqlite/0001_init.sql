CREATE TABLE pools (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    settings TEXT NOT NULL
);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret TEXT,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    settings TEXT NOT NULL
);
CREATE INDEX clients_by_pool ON clients(pool_id, client_id);

CREATE TABLE users (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    sub TEXT NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    status TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    password_hash TEXT,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    PRIMARY KEY (pool_id, sub),
    UNIQUE (pool_id, username_key)
);

-- One row per alias a user holds; the primary key is what makes an alias unique in a pool.
CREATE TABLE aliases (
    pool_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value_key TEXT NOT NULL,
    sub TEXT NOT NULL,
    PRIMARY KEY (pool_id, kind, value_key),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX aliases_by_user ON aliases(pool_id, sub);

CREATE TABLE codes (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    attribute TEXT,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (pool_id, sub, purpose),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE attempts (
    pool_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    action TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (pool_id, sub, action),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    origin_jti TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens(pool_id, sub);

-- Messages outlive their users on purpose: the outbox is a delivery log.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pool_id TEXT NOT NULL,
    username TEXT NOT NULL,
    recipient TEXT NOT NULL,
    medium TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX outbox_by_recipient ON outbox(recipient, id);

CREATE TABLE signing_keys (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    token_use TEXT NOT NULL,
    kid TEXT NOT NULL,
    private_der BLOB NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (pool_id, token_use)
);
