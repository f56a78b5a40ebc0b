-- SQLite keeps the foreign keys of webhook_deliveries (one writer: checking them locks nothing, unlike PostgreSQL, see its
-- 0002); as there, endpoints are deleted softly (deleted_at) and never lose their row.
CREATE TRIGGER webhook_endpoints_no_delete BEFORE DELETE ON webhook_endpoints BEGIN SELECT RAISE(ABORT, 'webhook_endpoints rows are never deleted (set deleted_at)'); END;
