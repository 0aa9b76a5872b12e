-- Issue 13: delivery leases, so that a message whose instance died before sending it is sent
-- by another; the text of a message the outbox does not keep, sealed, until it is sent; and
-- facts about the database itself (the sealing key's fingerprint).
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE outbox ADD COLUMN sealed TEXT;
-- Rows left pending by earlier versions are not delivered late.
UPDATE outbox SET status = 'abandoned' WHERE status = 'pending';
CREATE INDEX outbox_pending ON outbox(lease_until) WHERE status = 'pending';

-- A password check reserved by one instance while the user is one failure from a lock.
ALTER TABLE signin_failures ADD COLUMN held_until INTEGER;
ALTER TABLE name_signin_failures ADD COLUMN held_until INTEGER;

CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
