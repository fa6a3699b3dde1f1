-- Twin: migrations/postgres/0010_ssl_certificates.sql
-- SSL certificates (Gcore's `/cdn/sslData`) and a resource's HTTPS settings (Gcore's
-- `sslEnabled`, `sslData`, `originProtocol`).
--
-- A certificate keeps its chain as PEM and its private key sealed by the portal
-- (`server::certificates::sealing`: `v1:<key id>:<base64>`, never the key in clear), and what
-- the lists show of it, read from the chain when it was uploaded. `subject_alt` is a JSON array
-- of the DNS names it covers, as written.

CREATE TABLE ssl_certificates (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL CHECK (name <> '' AND length(name) <= 100),
    certificate_chain  TEXT    NOT NULL CHECK (certificate_chain <> ''),
    sealed_private_key TEXT    NOT NULL CHECK (sealed_private_key LIKE 'v1:%'),
    subject_cn         TEXT    NOT NULL,
    subject_alt        TEXT    NOT NULL CHECK (json_valid(subject_alt) AND json_type(subject_alt) = 'array'),
    issuer             TEXT    NOT NULL,
    not_before         BIGINT  NOT NULL,
    not_after          BIGINT  NOT NULL,
    version            BIGINT  NOT NULL DEFAULT 1,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);

-- A certificate's id names it forever, as a resource's (0005) and a group's (0009) do.
CREATE TABLE ssl_certificate_ids (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id BIGINT  NOT NULL
);

INSERT INTO ssl_certificate_ids (one, last_id) VALUES (1, 0);

CREATE TRIGGER ssl_certificate_ids_are_never_reused
AFTER INSERT ON ssl_certificates
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'ssl_certificates: this id was given to another certificate before')
    WHERE NEW.id <= (SELECT last_id FROM ssl_certificate_ids);
    UPDATE ssl_certificate_ids SET last_id = NEW.id;
END;

-- A replaced certificate reaches the edges for every resource that uses it, in the same
-- transaction as the replacement.
CREATE TRIGGER ssl_certificate_replacements_reach_the_edges
AFTER UPDATE ON ssl_certificates
WHEN NEW.certificate_chain IS NOT OLD.certificate_chain
  OR NEW.sealed_private_key IS NOT OLD.sealed_private_key
BEGIN
    INSERT INTO config_changes (resource_id) SELECT id FROM cdn_resources WHERE ssl_data_id = NEW.id ORDER BY id;
END;

-- A resource's HTTPS settings. `ssl_data_id` is nullable (no certificate); a certificate in use
-- cannot be deleted (NO ACTION). The trigger below keeps it a certificate of the resource's
-- account, and HTTPS on only with one.
ALTER TABLE cdn_resources ADD COLUMN ssl_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cdn_resources ADD COLUMN ssl_data_id INTEGER REFERENCES ssl_certificates (id);
ALTER TABLE cdn_resources ADD COLUMN origin_protocol TEXT NOT NULL DEFAULT 'HTTP'
    CHECK (origin_protocol IN ('HTTP', 'HTTPS', 'MATCH'));

CREATE INDEX cdn_resources_by_ssl_data ON cdn_resources (ssl_data_id);

CREATE TRIGGER cdn_resources_use_a_certificate_of_their_account
BEFORE INSERT ON cdn_resources
BEGIN
    SELECT RAISE(ABORT, 'cdn_resources: ssl_data_id must name a certificate of the same account, and ssl_enabled needs one')
    WHERE (NEW.ssl_data_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ssl_certificates WHERE id = NEW.ssl_data_id AND account_id = NEW.account_id))
       OR (NEW.ssl_enabled AND NEW.ssl_data_id IS NULL);
END;

CREATE TRIGGER cdn_resources_keep_a_certificate_of_their_account
BEFORE UPDATE OF ssl_data_id, ssl_enabled, account_id ON cdn_resources
BEGIN
    SELECT RAISE(ABORT, 'cdn_resources: ssl_data_id must name a certificate of the same account, and ssl_enabled needs one')
    WHERE (NEW.ssl_data_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ssl_certificates WHERE id = NEW.ssl_data_id AND account_id = NEW.account_id))
       OR (NEW.ssl_enabled AND NEW.ssl_data_id IS NULL);
END;

-- History records the HTTPS settings ('ssl_enabled', 'ssl_data', 'origin_protocol'). SQLite
-- cannot widen a CHECK in place, so the table is rebuilt, as 0007 and 0009 did; the triggers
-- that name it go first and come back after.
DROP TRIGGER cdn_resource_changes_are_recorded;
DROP TRIGGER resource_changes_reach_the_edges;

CREATE TABLE resource_changes_v5 (
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
        ('websockets', 'origin', 'active', 'name', 'description', 'secondary_hostnames', 'origin_group',
         'ssl_enabled', 'ssl_data', 'origin_protocol')),
    old_value      TEXT,
    new_value      TEXT    NOT NULL,
    UNIQUE (resource_id, version, setting)
);

INSERT INTO resource_changes_v5
    (id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
     action, setting, old_value, new_value)
SELECT id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
       action, setting, old_value, new_value
FROM resource_changes;

DROP TABLE resource_changes;
ALTER TABLE resource_changes_v5 RENAME TO resource_changes;

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
  OR NEW.ssl_enabled IS NOT OLD.ssl_enabled
  OR NEW.ssl_data_id IS NOT OLD.ssl_data_id
  OR NEW.origin_protocol IS NOT OLD.origin_protocol
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
