-- Twin: migrations/sqlite/0005_resource_ids_are_never_reused.sql
-- A CDN resource's id names it forever: an id once given is never given to another resource,
-- even after the resource that had it is deleted, so that a stale request (`DELETE
-- /cdn/resources/3` meant for a deleted resource 3) can never reach a newer one.
--
-- PostgreSQL's identity sequence never goes back, but SQLite reuses the largest id once it is
-- deleted, and its twin cannot rebuild `cdn_resources` with `AUTOINCREMENT` (dropping a
-- referenced table inside a migration cascades). So both keep the largest id ever given here, the
-- portal gives each new resource the next one (`INSERT … VALUES ((SELECT last_id + 1 FROM
-- cdn_resource_ids), …)`, the same statement on both), and a trigger refuses any insert, by any
-- path, of an id at or below it: an insert that takes its id from the sequence instead fails
-- rather than reuse one. Writers of resources take turns (`Pool::begin_write` locks
-- `cdn_resources`), so two never read the same `last_id`.

CREATE TABLE cdn_resource_ids (
    -- One row: the table is a counter.
    one     BIGINT PRIMARY KEY CHECK (one = 1),
    last_id BIGINT NOT NULL
);

INSERT INTO cdn_resource_ids (one, last_id) SELECT 1, COALESCE(MAX(id), 0) FROM cdn_resources;

CREATE FUNCTION cdn_resource_ids_are_never_reused() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <= (SELECT last_id FROM cdn_resource_ids) THEN
        RAISE EXCEPTION 'cdn_resources: this id was given to another resource before';
    END IF;
    UPDATE cdn_resource_ids SET last_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER cdn_resource_ids_are_never_reused
AFTER INSERT ON cdn_resources
FOR EACH ROW
EXECUTE FUNCTION cdn_resource_ids_are_never_reused();
