-- Twin: migrations/postgres/0005_resource_ids_are_never_reused.sql
-- A CDN resource's id names it forever: an id once given is never given to another resource,
-- even after the resource that had it is deleted, so that a stale request (`DELETE
-- /cdn/resources/3` meant for a deleted resource 3) can never reach a newer one.
--
-- SQLite gives an `INTEGER PRIMARY KEY` row the largest id in the table plus one, so deleting
-- the newest resource freed its id for the next. `AUTOINCREMENT` would fix that, but only by
-- rebuilding `cdn_resources`, and dropping it inside a migration (foreign keys on) would cascade
-- into the tables that reference it. Instead the largest id ever given is kept here, the portal
-- gives each new resource the next one (`INSERT … VALUES ((SELECT last_id + 1 FROM
-- cdn_resource_ids), …)`), and a trigger refuses any insert, by any path, of an id at or below it.
-- Writers of resources take turns (`Pool::begin_write`), so two never read the same `last_id`.

CREATE TABLE cdn_resource_ids (
    -- One row: the table is a counter.
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id BIGINT  NOT NULL
);

INSERT INTO cdn_resource_ids (one, last_id) SELECT 1, COALESCE(MAX(id), 0) FROM cdn_resources;

CREATE TRIGGER cdn_resource_ids_are_never_reused
AFTER INSERT ON cdn_resources
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'cdn_resources: this id was given to another resource before')
    WHERE NEW.id <= (SELECT last_id FROM cdn_resource_ids);
    UPDATE cdn_resource_ids SET last_id = NEW.id;
END;
