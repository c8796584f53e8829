-- The floor of a durable import in SQLite on this machine (bench/import_floor.sh):
-- the rows one imported consent writes today (consents, consent_events,
-- requests, audit), 1,000,000 of each, generated inside SQLite (no client, no
-- validation, HMAC, JSON or SHA-256 work), with time-ordered ids (the best
-- case for the B-trees), all in one transaction, committed with the daemon's
-- settings (WAL, synchronous=FULL). Whatever the daemon adds comes on top.
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;
.timer on
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
INSERT INTO consents SELECT printf('cns_%012x%020d', 1700000000000 + i/1000, i), printf('CU%010d', (i*7919) % 1000000), 1 + (i%3=0), 'hikari-net', CASE WHEN i%3=0 THEN randomblob(32) END, '+81 90-****-5678', 'ad-2026-04', 1, 'scan', 1700000000000000, NULL, 'billing', 1, 1700000000000000, i, printf('req-%d', i) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
INSERT INTO consent_events SELECT printf('cns_%012x%020d', 1700000000000 + i/1000, i), 0, 1, 1700000000000000, 1, 'scan', '', i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
INSERT INTO requests SELECT 'RecordConsent', printf('req-%012d', i), randomblob(32), randomblob(300) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
INSERT INTO audit SELECT i, 1700000000000000, 'consent.recorded', 'billing', printf('CU%010d', i), printf('{"consent_id":"cns_%032x","customer_id":"CU%010d","purpose":"PURPOSE_AD_INSERT","company_id":"hikari-net","notice_id":"ad-2026-04","channel":"CONSENT_CHANNEL_PAPER_FORM","evidence_ref":"scan","collected_at":"2026-04-10T01:00:00Z","collected_by":"billing","state":"CONSENT_STATE_GRANTED","recorded_at":"2026-12-01T07:43:50.279938Z","request_id":"78a99c7287e0a45cea1e914a0655b477"}', random(), i), randomblob(32), randomblob(32) FROM n;
COMMIT;
