-- Issue 15: the hosted login and the OAuth 2.0 endpoints.
-- User pool domains: a name is taken across all pools; a pool has at most one prefix and one
-- custom domain (`kind`). `certificate_arn` is set for custom domains only.
CREATE TABLE domains (
    domain TEXT NOT NULL,
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    certificate_arn TEXT,
    security_policy TEXT,
    managed_login_version INTEGER NOT NULL,
    created INTEGER NOT NULL,
    CONSTRAINT domains_pkey PRIMARY KEY (domain),
    CONSTRAINT domains_one_per_kind UNIQUE (pool_id, kind)
);

-- Resource servers and their scopes (a JSON list of {name, description}).
CREATE TABLE resource_servers (
    pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created INTEGER NOT NULL,
    CONSTRAINT resource_servers_pkey PRIMARY KEY (pool_id, identifier)
);

-- The OAuth scopes a refresh token from the token endpoint was granted (space-separated);
-- NULL for sign-ins through the API.
ALTER TABLE refresh_tokens ADD COLUMN scopes TEXT;
