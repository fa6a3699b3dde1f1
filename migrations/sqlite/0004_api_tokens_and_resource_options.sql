-- The public REST API: tokens that act for one account, and the resource settings it can change
-- (origin, whether the resource is active, and whether WebSockets follow the integration's
-- default or were set by the customer).

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    -- Only a hash of the secret is kept: a copy of this table lets no one call the API.
    secret_hash  TEXT    NOT NULL UNIQUE,
    -- The first characters of the secret, so a customer can tell their tokens apart.
    secret_start TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    last_used_at BIGINT
);

-- A name names one usable token, so that a history entry's token name is unambiguous.
CREATE UNIQUE INDEX api_tokens_live_names ON api_tokens (account_id, name) WHERE revoked_at IS NULL;

ALTER TABLE cdn_resources ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
-- FALSE: `websockets` holds the integration's default; TRUE: the customer chose it.
ALTER TABLE cdn_resources ADD COLUMN websockets_explicit BOOLEAN NOT NULL DEFAULT FALSE;

-- History now records the origin and the active switch too, and changes made with an API token
-- name the token. SQLite cannot widen a CHECK in place, so the table is rebuilt.
DROP TRIGGER cdn_resource_changes_are_recorded;
DROP TRIGGER resource_changes_reach_the_edges;

CREATE TABLE resource_changes_v2 (
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
    setting        TEXT    NOT NULL CHECK (setting IN ('websockets', 'origin', 'active')),
    old_value      TEXT,
    new_value      TEXT    NOT NULL,
    UNIQUE (resource_id, version, setting)
);

INSERT INTO resource_changes_v2
    (id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
     action, setting, old_value, new_value)
SELECT id, resource_id, version, changed_at, account_id, source,
       CASE WHEN source = 'api' THEN 'unknown' END, client_address, action, setting, old_value, new_value
FROM resource_changes;

DROP TABLE resource_changes;
ALTER TABLE resource_changes_v2 RENAME TO resource_changes;

-- A switch turned in the portal or the API is the customer's choice from then on.
UPDATE cdn_resources SET websockets_explicit = TRUE
WHERE EXISTS (SELECT 1 FROM resource_changes c WHERE c.resource_id = cdn_resources.id AND c.action = 'updated');

CREATE TRIGGER cdn_resource_changes_are_recorded
BEFORE UPDATE ON cdn_resources
WHEN NEW.websockets IS NOT OLD.websockets
  OR NEW.websockets_explicit IS NOT OLD.websockets_explicit
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

CREATE TRIGGER resource_changes_reach_the_edges
AFTER INSERT ON resource_changes
BEGIN
    INSERT INTO config_changes (resource_id) VALUES (NEW.resource_id);
END;
