-- Issue 14: second factors. The factors a user turned on (`SMS_MFA,*SOFTWARE_TOKEN_MFA`, the
-- starred one preferred), the verified authenticator app (sealed secret, its name, the last
-- 30-second step accepted) and a secret waiting for its first code.
ALTER TABLE users ADD COLUMN mfa_choice TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_name TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
