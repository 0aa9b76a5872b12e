-- Issue 11: the code (or temporary password) of an outbox message beside its text, for
-- `cognate outbox --code`; NULL wherever the text is not kept.
ALTER TABLE outbox ADD COLUMN code TEXT;
