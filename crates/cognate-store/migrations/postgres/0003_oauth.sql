-- Issue 15: the hosted login and the OAuth 2.0 endpoints.
-- User pool domains: a name is taken across all pools; a pool has at most one prefix and one
-- custom domain (`kind`). `certificate_arn` is set for custom domains only.
CREATE TABLE domains (
    domain TEXT COLLATE "C" NOT NULL,
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    certificate_arn TEXT,
    security_policy TEXT,
    managed_login_version SMALLINT NOT NULL,
    created BIGINT NOT NULL,
    CONSTRAINT domains_pkey PRIMARY KEY (domain),
    CONSTRAINT domains_one_per_kind UNIQUE (pool_id, kind)
);

-- Resource servers and their scopes (a JSON list of {name, description}).
CREATE TABLE resource_servers (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    identifier TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created BIGINT NOT NULL,
    CONSTRAINT resource_servers_pkey PRIMARY KEY (pool_id, identifier)
);

-- The OAuth scopes a refresh token from the token endpoint was granted (space-separated);
-- NULL for sign-ins through the API.
ALTER TABLE refresh_tokens ADD COLUMN scopes TEXT;

-- Branding of the hosted pages: the classic UI customization (CSS and logo) per app client
-- (`ALL` for the pool's default), and managed login branding styles (a settings document and
-- assets, kept as JSON text), one per client.
CREATE TABLE ui_customizations (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    client_id TEXT COLLATE "C" NOT NULL,
    css TEXT,
    image TEXT,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    CONSTRAINT ui_customizations_pkey PRIMARY KEY (pool_id, client_id)
);

CREATE TABLE brandings (
    pool_id TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    branding_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    cognito_values BOOLEAN NOT NULL,
    settings TEXT,
    assets TEXT NOT NULL,
    created BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    CONSTRAINT brandings_pkey PRIMARY KEY (pool_id, branding_id),
    CONSTRAINT brandings_one_per_client UNIQUE (pool_id, client_id)
);
