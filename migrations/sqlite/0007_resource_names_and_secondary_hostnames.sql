-- Twin: migrations/postgres/0007_resource_names_and_secondary_hostnames.sql
-- A resource's name and description (free text, none when NULL), and its secondary hostnames:
-- more custom domains it serves, as a JSON array of lower-case names in the customer's order
-- (Gcore's `secondaryHostnames`, at most ten). All three are settings: guarded by the history
-- trigger and recorded like the others.

ALTER TABLE cdn_resources ADD COLUMN name TEXT CHECK (name <> '' AND length(name) <= 100);
ALTER TABLE cdn_resources ADD COLUMN description TEXT CHECK (description <> '' AND length(description) <= 1000);
ALTER TABLE cdn_resources ADD COLUMN secondary_hostnames TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(secondary_hostnames)
       AND json_type(secondary_hostnames) = 'array'
       AND json_array_length(secondary_hostnames) <= 10);

-- Every hostname the CDN serves, custom domain or secondary, names one resource: the key below
-- refuses a second claim in the statement that makes it, whichever account or replica makes it.
-- The portal never writes this table; the triggers keep it in step with cdn_resources.
CREATE TABLE served_hostnames (
    hostname    TEXT    NOT NULL PRIMARY KEY,
    resource_id INTEGER NOT NULL REFERENCES cdn_resources (id) ON DELETE CASCADE
);

CREATE INDEX served_hostnames_by_resource ON served_hostnames (resource_id);

INSERT INTO served_hostnames (hostname, resource_id) SELECT custom_domain, id FROM cdn_resources;

CREATE TRIGGER served_hostnames_follow_new_resources
AFTER INSERT ON cdn_resources
BEGIN
    INSERT INTO served_hostnames (hostname, resource_id) VALUES (NEW.custom_domain, NEW.id);
    INSERT INTO served_hostnames (hostname, resource_id)
        SELECT value, NEW.id FROM json_each(NEW.secondary_hostnames);
END;

CREATE TRIGGER served_hostnames_follow_changed_resources
AFTER UPDATE OF custom_domain, secondary_hostnames ON cdn_resources
WHEN NEW.custom_domain IS NOT OLD.custom_domain OR NEW.secondary_hostnames IS NOT OLD.secondary_hostnames
BEGIN
    DELETE FROM served_hostnames WHERE resource_id = OLD.id;
    INSERT INTO served_hostnames (hostname, resource_id) VALUES (NEW.custom_domain, NEW.id);
    INSERT INTO served_hostnames (hostname, resource_id)
        SELECT value, NEW.id FROM json_each(NEW.secondary_hostnames);
END;

-- History records the new settings too. SQLite cannot widen a CHECK in place, so the table is
-- rebuilt, as 0004 did, with its triggers dropped first and made again after.
DROP TRIGGER cdn_resource_changes_are_recorded;
DROP TRIGGER resource_changes_reach_the_edges;

CREATE TABLE resource_changes_v3 (
    id             INTEGER PRIMARY KEY,
    resource_id    INTEGER NOT NULL REFERENCES cdn_resources (id) ON DELETE CASCADE,
    version        BIGINT  NOT NULL,
    changed_at     BIGINT  NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source         TEXT    NOT NULL CHECK (source IN ('portal', 'api')),
    api_token_name TEXT    CHECK ((source = 'api') = (api_token_name IS NOT NULL)),
    client_address TEXT,
    -- 'defaulted': WebSockets went back to following the integration's default.
    action         TEXT    NOT NULL CHECK (action IN ('created', 'updated', 'defaulted')),
    setting        TEXT    NOT NULL CHECK (setting IN
        ('websockets', 'origin', 'active', 'name', 'description', 'secondary_hostnames')),
    old_value      TEXT,
    new_value      TEXT    NOT NULL,
    UNIQUE (resource_id, version, setting)
);

INSERT INTO resource_changes_v3
    (id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
     action, setting, old_value, new_value)
SELECT id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
       action, setting, old_value, new_value
FROM resource_changes;

DROP TABLE resource_changes;
ALTER TABLE resource_changes_v3 RENAME TO resource_changes;

CREATE TRIGGER cdn_resource_changes_are_recorded
BEFORE UPDATE ON cdn_resources
WHEN NEW.websockets IS NOT OLD.websockets
  OR NEW.websockets_enabled IS NOT OLD.websockets_enabled
  OR NEW.websockets_value IS NOT OLD.websockets_value
  OR NEW.active IS NOT OLD.active
  OR NEW.origin IS NOT OLD.origin
  OR NEW.integration IS NOT OLD.integration
  OR NEW.custom_domain IS NOT OLD.custom_domain
  OR NEW.name IS NOT OLD.name
  OR NEW.description IS NOT OLD.description
  OR NEW.secondary_hostnames IS NOT OLD.secondary_hostnames
  OR NEW.account_id IS NOT OLD.account_id
  OR NEW.version IS NOT OLD.version
BEGIN
    SELECT RAISE(ABORT, 'a change to a CDN resource needs the next version and a record of it')
    WHERE NEW.version IS NOT OLD.version + 1
       OR NOT EXISTS (SELECT 1 FROM resource_changes WHERE resource_id = NEW.id AND version = NEW.version);
END;

CREATE TRIGGER resource_changes_reach_the_edges
AFTER INSERT ON resource_changes
BEGIN
    INSERT INTO config_changes (resource_id) VALUES (NEW.resource_id);
END;
