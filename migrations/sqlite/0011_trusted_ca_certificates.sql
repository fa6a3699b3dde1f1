-- Twin: migrations/postgres/0011_trusted_ca_certificates.sql
-- Trusted CA certificates (Gcore's `/cdn/sslCertificates`): the CA a customer's private origin
-- is signed by, which the edges trust, beside the system's roots, for the resources that name it
-- (Gcore's resource field `proxy_ssl_ca`).
--
-- A CA keeps its certificates as PEM (one or more `CERTIFICATE` sections, re-encoded by
-- `server::certificates::pem::check_ca`) and what the lists show of the first, read when it was
-- uploaded. `subject_alt` is a JSON array of its DNS names, as written.

CREATE TABLE trusted_ca_certificates (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (name <> '' AND length(name) <= 100),
    certificates TEXT    NOT NULL CHECK (certificates <> ''),
    subject_cn   TEXT    NOT NULL,
    subject_alt  TEXT    NOT NULL CHECK (json_valid(subject_alt) AND json_type(subject_alt) = 'array'),
    issuer       TEXT    NOT NULL,
    not_before   BIGINT  NOT NULL,
    not_after    BIGINT  NOT NULL,
    version      BIGINT  NOT NULL DEFAULT 1,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (account_id, name)
);

-- A CA's id names it forever, as a certificate's does (0010).
CREATE TABLE trusted_ca_certificate_ids (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id BIGINT  NOT NULL
);

INSERT INTO trusted_ca_certificate_ids (one, last_id) VALUES (1, 0);

CREATE TRIGGER trusted_ca_certificate_ids_are_never_reused
AFTER INSERT ON trusted_ca_certificates
FOR EACH ROW
BEGIN
    SELECT RAISE(ABORT, 'trusted_ca_certificates: this id was given to another CA certificate before')
    WHERE NEW.id <= (SELECT last_id FROM trusted_ca_certificate_ids);
    UPDATE trusted_ca_certificate_ids SET last_id = NEW.id;
END;

-- The CA a resource's edges trust for its origin, beside the system's roots (Gcore's
-- `proxy_ssl_ca`); NULL for the system's roots only. A setting like `ssl_data_id`: versioned and
-- recorded in the history (the guard below watches it), kept a CA of the resource's account by
-- the triggers below; a CA in use cannot be deleted (NO ACTION).
ALTER TABLE cdn_resources ADD COLUMN proxy_ssl_ca_id INTEGER REFERENCES trusted_ca_certificates (id);

CREATE INDEX cdn_resources_by_proxy_ssl_ca ON cdn_resources (proxy_ssl_ca_id);

CREATE TRIGGER cdn_resources_trust_a_ca_of_their_account
BEFORE INSERT ON cdn_resources
BEGIN
    SELECT RAISE(ABORT, 'cdn_resources: proxy_ssl_ca_id must name a CA certificate of the same account')
    WHERE NEW.proxy_ssl_ca_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM trusted_ca_certificates WHERE id = NEW.proxy_ssl_ca_id AND account_id = NEW.account_id);
END;

CREATE TRIGGER cdn_resources_keep_a_ca_of_their_account
BEFORE UPDATE OF proxy_ssl_ca_id, account_id ON cdn_resources
BEGIN
    SELECT RAISE(ABORT, 'cdn_resources: proxy_ssl_ca_id must name a CA certificate of the same account')
    WHERE NEW.proxy_ssl_ca_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM trusted_ca_certificates WHERE id = NEW.proxy_ssl_ca_id AND account_id = NEW.account_id);
END;

-- A replaced CA reaches the edges of every resource that trusts it, in the same transaction.
CREATE TRIGGER trusted_ca_replacements_reach_the_edges
AFTER UPDATE ON trusted_ca_certificates
WHEN NEW.certificates IS NOT OLD.certificates
BEGIN
    INSERT INTO config_changes (resource_id) SELECT id FROM cdn_resources WHERE proxy_ssl_ca_id = NEW.id ORDER BY id;
END;

-- History records the choice ('proxy_ssl_ca'). SQLite cannot widen a CHECK in place, so the
-- table is rebuilt, as 0010 did; the triggers that name it go first and come back after.
DROP TRIGGER cdn_resource_changes_are_recorded;
DROP TRIGGER resource_changes_reach_the_edges;

CREATE TABLE resource_changes_v6 (
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
         'ssl_enabled', 'ssl_data', 'origin_protocol', 'proxy_ssl_ca')),
    old_value      TEXT,
    new_value      TEXT    NOT NULL,
    UNIQUE (resource_id, version, setting)
);

INSERT INTO resource_changes_v6
    (id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
     action, setting, old_value, new_value)
SELECT id, resource_id, version, changed_at, account_id, source, api_token_name, client_address,
       action, setting, old_value, new_value
FROM resource_changes;

DROP TABLE resource_changes;
ALTER TABLE resource_changes_v6 RENAME TO resource_changes;

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
  OR NEW.proxy_ssl_ca_id IS NOT OLD.proxy_ssl_ca_id
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
