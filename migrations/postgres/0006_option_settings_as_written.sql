-- Twin: migrations/sqlite/0006_option_settings_as_written.sql
-- A resource's option is stored as the customer wrote it, in Gcore's shape `{enabled, value}`, or
-- not at all (Gcore's `null`): `websockets_enabled` and `websockets_value`, both NULL while the
-- option is not set. `enabled = FALSE` keeps the setting without applying it. `websockets` keeps
-- the value in force (the setting's value when enabled, else the integration's default), which
-- the edges get. They replace `websockets_explicit`, which said only whether the value in force
-- was the customer's.

-- The guard names the column that goes; it is recreated below with the new ones.
DROP TRIGGER cdn_resource_changes_are_recorded ON cdn_resources;

ALTER TABLE cdn_resources ADD COLUMN websockets_value BOOLEAN;
ALTER TABLE cdn_resources ADD COLUMN websockets_enabled BOOLEAN;
-- A setting has both fields; an option not set has neither.
ALTER TABLE cdn_resources ADD CONSTRAINT cdn_resources_websockets_setting_check
    CHECK ((websockets_enabled IS NULL) = (websockets_value IS NULL));

-- A value the customer chose is a setting that is enabled; the others were never set. Nothing in
-- force changes, so this takes no version, no history record and nothing for the edges.
UPDATE cdn_resources SET websockets_enabled = TRUE, websockets_value = websockets WHERE websockets_explicit;

ALTER TABLE cdn_resources DROP COLUMN websockets_explicit;

-- The function from 0002 is unchanged; the columns that count as a change now include the new ones.
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
   OR NEW.account_id IS DISTINCT FROM OLD.account_id
   OR NEW.version IS DISTINCT FROM OLD.version)
EXECUTE FUNCTION cdn_resource_changes_are_recorded();
