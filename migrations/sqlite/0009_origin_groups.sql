-- Twin: migrations/postgres/0009_origin_groups.sql
-- Origin groups (Gcore's `/cdn/origin_groups`): a resource's content comes from the origins of
-- one group of its account, which is the one home of a resource's origin. `cdn_resources.origin`
-- goes: each distinct (account, origin) becomes a group of that one origin, named after it (as
-- Gcore does when a resource is created with `origin`), and its resources use it.
--
-- `sources` is a JSON array of `{"source": "host[:port]", "enabled": bool, "backup": bool}` in
-- the customer's order; `proxy_next_upstream` a JSON array of Gcore's case names. The portal
-- checks the rest (at least one enabled primary, a case when `use_next`).

CREATE TABLE origin_groups (
    id                  INTEGER PRIMARY KEY,
    account_id          INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL CHECK (name <> '' AND length(name) <= 100),
    sources             TEXT    NOT NULL
        CHECK (json_valid(sources)
           AND json_type(sources) = 'array'
           AND json_array_length(sources) BETWEEN 1 AND 10),
    use_next            BOOLEAN NOT NULL,
    proxy_next_upstream TEXT    NOT NULL
        CHECK (json_valid(proxy_next_upstream) AND json_type(proxy_next_upstream) = 'array'),
    version             BIGINT  NOT NULL DEFAULT 1,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    -- Gcore: "If you enable it, you must specify cases in proxy_next_upstream".
    CHECK (NOT use_next OR json_array_length(proxy_next_upstream) > 0),
    UNIQUE (account_id, name)
);

-- Every resource's origin, now a group of one.
INSERT INTO origin_groups (account_id, name, sources, use_next, proxy_next_upstream, version, created_at, updated_at)
SELECT account_id,
       -- An origin too long for a name (over 100 characters) is named after its first resource.
       CASE WHEN length(origin) <= 100 THEN origin ELSE 'Origin of resource ' || MIN(id) END,
       json_array(json_object('source', origin, 'enabled', json('true'), 'backup', json('false'))),
       FALSE, '["error","timeout"]', 1, MIN(created_at), MIN(created_at)
FROM cdn_resources
GROUP BY account_id, origin
ORDER BY MIN(id);

-- An origin group's id names it forever, as a resource's does (0005): the largest id ever given
-- is kept here, the portal gives each new group the next one, and a trigger refuses any insert
-- of an id at or below it. Writers take turns (`Pool::begin_write`).
CREATE TABLE origin_group_ids (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id BIGINT  NOT NULL
);

INSERT INTO origin_group_ids (one, last_id) SELECT 1, COALESCE(MAX(id), 0) FROM origin_groups;

CREATE TRIGGER origin_group_ids_are_never_reused
AFTER INSERT ON origin_groups
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'origin_groups: this id was given to another origin group before')
    WHERE NEW.id <= (SELECT last_id FROM origin_group_ids);
    UPDATE origin_group_ids SET last_id = NEW.id;
END;

-- Who changed what in a group, and when, as `resource_changes` for resources. `setting` is
-- `name`, `sources`, `use_next` or `proxy_next_upstream`; values are as people read them.
CREATE TABLE origin_group_changes (
    id              INTEGER PRIMARY KEY,
    origin_group_id INTEGER NOT NULL REFERENCES origin_groups (id) ON DELETE CASCADE,
    -- The group's version once this change was made.
    version         BIGINT  NOT NULL,
    changed_at      BIGINT  NOT NULL,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source          TEXT    NOT NULL CHECK (source IN ('portal', 'api')),
    api_token_name  TEXT    CHECK ((source = 'api') = (api_token_name IS NOT NULL)),
    client_address  TEXT,
    action          TEXT    NOT NULL CHECK (action IN ('created', 'updated')),
    setting         TEXT    NOT NULL CHECK (setting IN ('name', 'sources', 'use_next', 'proxy_next_upstream')),
    old_value       TEXT,
    new_value       TEXT    NOT NULL,
    CHECK ((action = 'created') = (old_value IS NULL)),
    UNIQUE (origin_group_id, version, setting)
);

-- The groups made above were created with these values.
INSERT INTO origin_group_changes
    (origin_group_id, version, changed_at, account_id, source, action, setting, old_value, new_value)
SELECT id, 1, created_at, account_id, 'portal', 'created', 'name', NULL, name FROM origin_groups;
INSERT INTO origin_group_changes
    (origin_group_id, version, changed_at, account_id, source, action, setting, old_value, new_value)
SELECT id, 1, created_at, account_id, 'portal', 'created', 'sources', NULL, json_extract(sources, '$[0].source')
FROM origin_groups;
INSERT INTO origin_group_changes
    (origin_group_id, version, changed_at, account_id, source, action, setting, old_value, new_value)
SELECT id, 1, created_at, account_id, 'portal', 'created', 'use_next', NULL, 'off' FROM origin_groups;
INSERT INTO origin_group_changes
    (origin_group_id, version, changed_at, account_id, source, action, setting, old_value, new_value)
SELECT id, 1, created_at, account_id, 'portal', 'created', 'proxy_next_upstream', NULL, 'error, timeout'
FROM origin_groups;

-- The database refuses a change to a group that skips a version or has no record, as for resources.
CREATE TRIGGER origin_group_changes_are_recorded
BEFORE UPDATE ON origin_groups
WHEN NEW.name IS NOT OLD.name
  OR NEW.sources IS NOT OLD.sources
  OR NEW.use_next IS NOT OLD.use_next
  OR NEW.proxy_next_upstream IS NOT OLD.proxy_next_upstream
  OR NEW.account_id IS NOT OLD.account_id
  OR NEW.version IS NOT OLD.version
BEGIN
    SELECT RAISE(ABORT, 'a change to an origin group needs the next version and a record of it')
    WHERE NEW.version IS NOT OLD.version + 1
       OR NOT EXISTS (SELECT 1 FROM origin_group_changes WHERE origin_group_id = NEW.id AND version = NEW.version);
END;

-- What the edges obey of a group reaches them for every resource that uses it, in the same
-- transaction as the change (its name is the portal's alone).
CREATE TRIGGER origin_group_changes_reach_the_edges
AFTER UPDATE ON origin_groups
WHEN NEW.sources IS NOT OLD.sources
  OR NEW.use_next IS NOT OLD.use_next
  OR NEW.proxy_next_upstream IS NOT OLD.proxy_next_upstream
BEGIN
    INSERT INTO config_changes (resource_id) SELECT id FROM cdn_resources WHERE origin_group_id = NEW.id ORDER BY id;
END;

-- A resource's group. NULL only inside this migration: SQLite adds a column with REFERENCES only
-- when it defaults to NULL, so the triggers below refuse a row without a group of its account (the portal never moves a
-- resource to another account).
-- A group in use cannot be deleted (NO ACTION: checked at the end of the statement, so deleting
-- an account, which removes its resources and groups together, still works).
ALTER TABLE cdn_resources ADD COLUMN origin_group_id INTEGER REFERENCES origin_groups (id);

UPDATE cdn_resources SET origin_group_id =
    (SELECT g.id FROM origin_groups g
     WHERE g.account_id = cdn_resources.account_id AND json_extract(g.sources, '$[0].source') = cdn_resources.origin);

CREATE INDEX cdn_resources_by_origin_group ON cdn_resources (origin_group_id);

CREATE TRIGGER cdn_resources_use_a_group_of_their_account
BEFORE INSERT ON cdn_resources
BEGIN
    SELECT RAISE(ABORT, 'cdn_resources: origin_group_id must name an origin group of the same account')
    WHERE NOT EXISTS (SELECT 1 FROM origin_groups WHERE id = NEW.origin_group_id AND account_id = NEW.account_id);
END;

CREATE TRIGGER cdn_resources_keep_a_group_of_their_account
BEFORE UPDATE OF origin_group_id ON cdn_resources
WHEN NEW.origin_group_id IS NOT OLD.origin_group_id
BEGIN
    SELECT RAISE(ABORT, 'cdn_resources: origin_group_id must name an origin group of the same account')
    WHERE NOT EXISTS (SELECT 1 FROM origin_groups WHERE id = NEW.origin_group_id AND account_id = NEW.account_id);
END;

-- The origin's one home is the group now. SQLite drops a column only when no trigger names it.
DROP TRIGGER cdn_resource_changes_are_recorded;
DROP TRIGGER resource_changes_reach_the_edges;
ALTER TABLE cdn_resources DROP COLUMN origin;

-- History records a switch of group ('origin_group'; 'origin' stays for the records written
-- before). SQLite cannot widen a CHECK in place, so the table is rebuilt, as 0007 did.
CREATE TABLE resource_changes_v4 (
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
        ('websockets', 'origin', 'active', 'name', 'description', 'secondary_hostnames', 'origin_group')),
    old_value      TEXT,
    new_value      TEXT    NOT NULL,
    UNIQUE (resource_id, version, setting)
);

INSERT INTO resource_changes_v4
    (id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
     action, setting, old_value, new_value)
SELECT id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
       action, setting, old_value, new_value
FROM resource_changes;

DROP TABLE resource_changes;
ALTER TABLE resource_changes_v4 RENAME TO resource_changes;

CREATE TRIGGER cdn_resource_changes_are_recorded
BEFORE UPDATE ON cdn_resources
WHEN NEW.websockets IS NOT OLD.websockets
  OR NEW.websockets_enabled IS NOT OLD.websockets_enabled
  OR NEW.websockets_value IS NOT OLD.websockets_value
  OR NEW.active IS NOT OLD.active
  OR NEW.origin_group_id IS NOT OLD.origin_group_id
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
