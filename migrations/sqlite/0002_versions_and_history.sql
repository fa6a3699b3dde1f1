-- Each resource counts its changes, so that a form loaded before someone else saved can be
-- told apart from a current one, and every change leaves a record of who made it.

ALTER TABLE cdn_resources ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE resource_changes (
    id             INTEGER PRIMARY KEY,
    resource_id    INTEGER NOT NULL REFERENCES cdn_resources (id) ON DELETE CASCADE,
    -- The resource's version once this change was made.
    version        BIGINT  NOT NULL,
    changed_at     BIGINT  NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source         TEXT    NOT NULL CHECK (source IN ('portal', 'api')),
    client_address TEXT,
    action         TEXT    NOT NULL CHECK (action IN ('created', 'updated')),
    setting        TEXT    NOT NULL CHECK (setting IN ('websockets')),
    old_value      TEXT,
    new_value      TEXT    NOT NULL,
    UNIQUE (resource_id, version, setting)
);

-- The database itself refuses a change to a resource that skips a version or has no record:
-- the record is written first, in the same transaction, then the resource.
CREATE TRIGGER cdn_resource_changes_are_recorded
BEFORE UPDATE ON cdn_resources
WHEN NEW.websockets IS NOT OLD.websockets
  OR NEW.origin IS NOT OLD.origin
  OR NEW.integration IS NOT OLD.integration
  OR NEW.custom_domain IS NOT OLD.custom_domain
  OR NEW.account_id IS NOT OLD.account_id
  OR NEW.version IS NOT OLD.version
BEGIN
    SELECT RAISE(ABORT, 'a change to a CDN resource needs the next version and a record of it')
    WHERE NEW.version IS NOT OLD.version + 1
       OR NOT EXISTS (SELECT 1 FROM resource_changes WHERE resource_id = NEW.id AND version = NEW.version);
END;

-- Resources that existed before versions were counted get their creation on record.
INSERT INTO resource_changes
    (resource_id, version, changed_at, account_id, source, action, setting, old_value, new_value)
SELECT id, 1, created_at, account_id, 'portal', 'created', 'websockets', NULL,
       CASE WHEN websockets THEN 'on' ELSE 'off' END
FROM cdn_resources;
