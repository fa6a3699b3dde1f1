-- Twin: migrations/postgres/0006_option_settings_as_written.sql
-- A resource's option is stored as the customer wrote it, in Gcore's shape `{enabled, value}`, or
-- not at all (Gcore's `null`): `websockets_enabled` and `websockets_value`, both NULL while the
-- option is not set. `enabled = FALSE` keeps the setting without applying it. `websockets` keeps
-- the value in force (the setting's value when enabled, else the integration's default), which
-- the edges get. They replace `websockets_explicit`, which said only whether the value in force
-- was the customer's.

-- The guard names the column that goes; it is recreated below with the new ones.
DROP TRIGGER cdn_resource_changes_are_recorded;

ALTER TABLE cdn_resources ADD COLUMN websockets_value BOOLEAN;
ALTER TABLE cdn_resources ADD COLUMN websockets_enabled BOOLEAN
    -- A setting has both fields; an option not set has neither.
    CHECK ((websockets_enabled IS NULL) = (websockets_value IS NULL));

-- A value the customer chose is a setting that is enabled; the others were never set. Nothing in
-- force changes, so this takes no version, no history record and nothing for the edges.
UPDATE cdn_resources SET websockets_enabled = TRUE, websockets_value = websockets WHERE websockets_explicit;

ALTER TABLE cdn_resources DROP COLUMN websockets_explicit;

CREATE TRIGGER cdn_resource_changes_are_recorded
BEFORE UPDATE ON cdn_resources
WHEN NEW.websockets IS NOT OLD.websockets
  OR NEW.websockets_enabled IS NOT OLD.websockets_enabled
  OR NEW.websockets_value IS NOT OLD.websockets_value
  OR NEW.active IS NOT OLD.active
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
