-- The floor of the most compact durable import this schema allows
-- (bench/import_floor.sh): per consent only what the product cannot do
-- without, its consents row (the record and its evidence) and its first
-- consent_events row (its history); no stored idempotency result; one audit
-- entry per 10,000 consents (a batch committing to its consents by hash, as a
-- print batch does). 1,000,000 consents generated inside SQLite with
-- time-ordered ids, one transaction, the daemon's settings (WAL,
-- synchronous=FULL). Whatever a daemon adds (parsing, validation, HMAC,
-- hashing, gRPC) comes on top.
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;
.timer on
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
INSERT INTO consents SELECT printf('cns_%012x%020d', 1700000000000 + i/1000, i), printf('CU%010d', (i*7919) % 1000000), 1 + (i%3=0), 'hikari-net', CASE WHEN i%3=0 THEN randomblob(32) END, '+81 90-****-5678', 'ad-2026-04', 1, 'scan', 1700000000000000, NULL, 'billing', 1, 1700000000000000, i, printf('req-%d', i) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
INSERT INTO consent_events SELECT printf('cns_%012x%020d', 1700000000000 + i/1000, i), 0, 1, 1700000000000000, 1, 'scan', '', i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100)
INSERT INTO audit SELECT i, 1700000000000000, 'consent.imported', 'billing', '', printf('{"batch":%d,"consents":10000,"sha256":"%064x"}', i, random()), randomblob(32), randomblob(32) FROM n;
COMMIT;
