-- The PostgreSQL schema: the SQLite history (migrations/sqlite/0001-0006) in one step.
-- Text keys compare byte by byte (COLLATE "C") so that ordering, pagination and prefix ranges
-- agree with SQLite's whatever the database's locale.

CREATE TABLE pools (
    id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    settings TEXT NOT NULL,
    CONSTRAINT pools_pkey PRIMARY KEY (id)
);

CREATE TABLE clients (
    client_id TEXT COLLATE "C" NOT NULL,
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret TEXT,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    settings TEXT NOT NULL,
    CONSTRAINT clients_pkey PRIMARY KEY (client_id)
);
CREATE INDEX clients_by_pool ON clients(pool_id, client_id);

CREATE TABLE users (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    sub TEXT COLLATE "C" NOT NULL,
    username TEXT COLLATE "C" NOT NULL,
    username_key TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    enabled BOOLEAN NOT NULL,
    attributes TEXT NOT NULL,
    password_hash TEXT,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    srp_verifier TEXT,
    password_set BIGINT NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (pool_id, sub),
    CONSTRAINT users_username UNIQUE (pool_id, username_key)
);
-- ListUsers filters on username, email and phone number use these (exact and prefix match).
CREATE INDEX users_by_username ON users(pool_id, username);
CREATE INDEX users_by_email ON users(pool_id, ((attributes::jsonb ->> 'email') COLLATE "C"));
CREATE INDEX users_by_phone ON users(pool_id, ((attributes::jsonb ->> 'phone_number') COLLATE "C"));

-- One row per alias a user holds; the primary key is what makes an alias unique in a pool.
CREATE TABLE aliases (
    pool_id TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    value_key TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL,
    CONSTRAINT aliases_pkey PRIMARY KEY (pool_id, kind, value_key),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX aliases_by_user ON aliases(pool_id, sub);

CREATE TABLE codes (
    pool_id TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL,
    purpose TEXT COLLATE "C" NOT NULL,
    code_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    attribute TEXT,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    pending TEXT,
    PRIMARY KEY (pool_id, sub, purpose),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE attempts (
    pool_id TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (pool_id, sub, action),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE refresh_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL,
    origin_jti TEXT COLLATE "C" NOT NULL,
    auth_time BIGINT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT false,
    rotated BIGINT,
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens(pool_id, sub);
-- Every access-token check asks whether its sign-in was revoked.
CREATE INDEX refresh_tokens_by_origin ON refresh_tokens(pool_id, origin_jti);

-- Messages outlive their users on purpose: the outbox is a delivery log.
CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id TEXT COLLATE "C" NOT NULL,
    username TEXT NOT NULL,
    recipient TEXT COLLATE "C" NOT NULL,
    medium TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    created BIGINT NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    lease_until BIGINT,
    sealed TEXT
);
CREATE INDEX outbox_by_recipient ON outbox(recipient, id);
CREATE INDEX outbox_pending ON outbox(lease_until) WHERE status = 'pending';

CREATE TABLE signing_keys (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    token_use TEXT COLLATE "C" NOT NULL,
    kid TEXT NOT NULL,
    private_der BYTEA NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (pool_id, token_use)
);

CREATE TABLE auth_sessions (
    id_hash TEXT COLLATE "C" PRIMARY KEY,
    pool_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    sub TEXT,
    username TEXT NOT NULL,
    challenge TEXT NOT NULL,
    state TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX auth_sessions_by_expiry ON auth_sessions(expires);

CREATE TABLE signin_failures (
    pool_id TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL,
    count BIGINT NOT NULL,
    last BIGINT NOT NULL,
    held_until BIGINT,
    PRIMARY KEY (pool_id, sub),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);

CREATE TABLE user_groups (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL,
    description TEXT,
    role_arn TEXT,
    precedence BIGINT,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    CONSTRAINT user_groups_pkey PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    sub TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pool_id, name, sub),
    FOREIGN KEY (pool_id, name) REFERENCES user_groups(pool_id, name) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX group_members_by_user ON group_members(pool_id, sub, name);

-- Counters of names that match no user (PreventUserExistenceErrors); pruned as they are written.
CREATE TABLE name_attempts (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name_key TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name_key, action)
);
CREATE INDEX name_attempts_by_age ON name_attempts(window_start);

CREATE TABLE name_signin_failures (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    name_key TEXT COLLATE "C" NOT NULL,
    count BIGINT NOT NULL,
    last BIGINT NOT NULL,
    held_until BIGINT,
    PRIMARY KEY (pool_id, name_key)
);
CREATE INDEX name_signin_failures_by_age ON name_signin_failures(last);

CREATE TABLE meta (
    name TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);
