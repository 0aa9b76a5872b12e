-- Issue 14: second factors. The factors a user turned on (`SMS_MFA,*SOFTWARE_TOKEN_MFA`, the
-- starred one preferred), the verified authenticator app (sealed secret, its name, the last
-- 30-second step accepted) and a secret waiting for its first code.
ALTER TABLE users ADD COLUMN mfa_choice TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_name TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_pending TEXT;

-- Devices users sign in from, with the SRP verifier ConfirmDevice gives them (sealed).
CREATE TABLE devices (
    pool_id TEXT NOT NULL,
    device_key TEXT NOT NULL,
    sub TEXT NOT NULL,
    group_key TEXT NOT NULL,
    verifier TEXT,
    name TEXT,
    remembered INTEGER NOT NULL,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    last_authenticated INTEGER NOT NULL,
    PRIMARY KEY (pool_id, device_key),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX devices_by_user ON devices(pool_id, sub, device_key);

-- Passkeys: the WebAuthn credential record (public key, counter) and what ListWebAuthnCredentials shows.
CREATE TABLE passkeys (
    pool_id TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    sub TEXT NOT NULL,
    record TEXT NOT NULL,
    name TEXT NOT NULL,
    rp_id TEXT NOT NULL,
    attachment TEXT,
    transports TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (pool_id, credential_id),
    FOREIGN KEY (pool_id, sub) REFERENCES users(pool_id, sub) ON DELETE CASCADE
);
CREATE INDEX passkeys_by_user ON passkeys(pool_id, sub, created);
