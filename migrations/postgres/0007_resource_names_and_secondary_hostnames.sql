-- Twin: migrations/sqlite/0007_resource_names_and_secondary_hostnames.sql
-- A resource's name and description (free text, none when NULL), and its secondary hostnames:
-- more custom domains it serves, as a JSON array of lower-case names in the customer's order
-- (Gcore's `secondaryHostnames`, at most ten). All three are settings: guarded by the history
-- trigger and recorded like the others.

ALTER TABLE cdn_resources ADD COLUMN name TEXT CHECK (name <> '' AND length(name) <= 100);
ALTER TABLE cdn_resources ADD COLUMN description TEXT CHECK (description <> '' AND length(description) <= 1000);
-- TEXT, as on SQLite, so that both read it alike.
ALTER TABLE cdn_resources ADD COLUMN secondary_hostnames TEXT NOT NULL DEFAULT '[]'
    CHECK (json_typeof(secondary_hostnames::json) = 'array'
       AND json_array_length(secondary_hostnames::json) <= 10);

-- Every hostname the CDN serves, custom domain or secondary, names one resource: the key below
-- refuses a second claim in the statement that makes it, whichever account or replica makes it
-- (a concurrent claim waits on the key, then fails). The portal never writes this table; the
-- triggers keep it in step with cdn_resources.
CREATE TABLE served_hostnames (
    hostname    TEXT   NOT NULL PRIMARY KEY,
    resource_id BIGINT NOT NULL REFERENCES cdn_resources (id) ON DELETE CASCADE
);

CREATE INDEX served_hostnames_by_resource ON served_hostnames (resource_id);

INSERT INTO served_hostnames (hostname, resource_id) SELECT custom_domain, id FROM cdn_resources;

CREATE FUNCTION served_hostnames_follow_resources() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM served_hostnames WHERE resource_id = OLD.id;
    END IF;
    INSERT INTO served_hostnames (hostname, resource_id) VALUES (NEW.custom_domain, NEW.id);
    INSERT INTO served_hostnames (hostname, resource_id)
        SELECT hostname, NEW.id FROM json_array_elements_text(NEW.secondary_hostnames::json) AS hostname;
    RETURN NULL;
END;
$$;

CREATE TRIGGER served_hostnames_follow_new_resources
AFTER INSERT ON cdn_resources
FOR EACH ROW
EXECUTE FUNCTION served_hostnames_follow_resources();

CREATE TRIGGER served_hostnames_follow_changed_resources
AFTER UPDATE OF custom_domain, secondary_hostnames ON cdn_resources
FOR EACH ROW
WHEN (NEW.custom_domain IS DISTINCT FROM OLD.custom_domain
   OR NEW.secondary_hostnames IS DISTINCT FROM OLD.secondary_hostnames)
EXECUTE FUNCTION served_hostnames_follow_resources();

-- History records the new settings too. PostgreSQL can widen a CHECK in place, and does: the
-- table keeps its rows, ids and columns, so nothing is rebuilt (SQLite's twin must rebuild).
ALTER TABLE resource_changes DROP CONSTRAINT resource_changes_setting_check;
ALTER TABLE resource_changes ADD CONSTRAINT resource_changes_setting_check CHECK (setting IN
    ('websockets', 'origin', 'active', 'name', 'description', 'secondary_hostnames'));

-- The function from 0002 is unchanged; the columns that count as a change now include the new ones.
DROP TRIGGER cdn_resource_changes_are_recorded ON cdn_resources;
CREATE TRIGGER cdn_resource_changes_are_recorded
BEFORE UPDATE ON cdn_resources
FOR EACH ROW
WHEN (NEW.websockets IS DISTINCT FROM OLD.websockets
   OR NEW.websockets_enabled IS DISTINCT FROM OLD.websockets_enabled
   OR NEW.websockets_value IS DISTINCT FROM OLD.websockets_value
   OR NEW.active IS DISTINCT FROM OLD.active
   OR NEW.origin IS DISTINCT FROM OLD.origin
   OR NEW.integration IS DISTINCT FROM OLD.integration
   OR NEW.custom_domain IS DISTINCT FROM OLD.custom_domain
   OR NEW.name IS DISTINCT FROM OLD.name
   OR NEW.description IS DISTINCT FROM OLD.description
   OR NEW.secondary_hostnames IS DISTINCT FROM OLD.secondary_hostnames
   OR NEW.account_id IS DISTINCT FROM OLD.account_id
   OR NEW.version IS DISTINCT FROM OLD.version)
EXECUTE FUNCTION cdn_resource_changes_are_recorded();
