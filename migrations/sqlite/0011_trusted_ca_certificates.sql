-- Twin: migrations/postgres/0011_trusted_ca_certificates.sql
-- Trusted CA certificates (Gcore's `/cdn/sslCertificates`): the CA a customer's private origin
-- is signed by, which the edges trust, beside the system's roots, for the resources that name it
-- (Gcore's resource option `proxy_ssl_ca`).
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

-- The CA a resource's edges trust for its origin (Gcore's `options.proxy_ssl_ca`), one row per
-- resource that names one; none is the system's roots only. A table of its own rather than a
-- column of cdn_resources: choosing a CA changes what the edges trust, not a versioned setting
-- of the resource's history (0002). A CA in use cannot be deleted (NO ACTION).
CREATE TABLE resource_trusted_cas (
    resource_id INTEGER PRIMARY KEY REFERENCES cdn_resources (id) ON DELETE CASCADE,
    ca_id       INTEGER NOT NULL REFERENCES trusted_ca_certificates (id)
);

CREATE INDEX resource_trusted_cas_by_ca ON resource_trusted_cas (ca_id);

CREATE TRIGGER resource_trusted_cas_are_of_the_account
BEFORE INSERT ON resource_trusted_cas
BEGIN
    SELECT RAISE(ABORT, 'resource_trusted_cas: ca_id must name a CA certificate of the resource''s account')
    WHERE NOT EXISTS (SELECT 1 FROM trusted_ca_certificates t JOIN cdn_resources r ON r.account_id = t.account_id
                      WHERE t.id = NEW.ca_id AND r.id = NEW.resource_id);
END;

CREATE TRIGGER resource_trusted_cas_stay_of_the_account
BEFORE UPDATE ON resource_trusted_cas
BEGIN
    SELECT RAISE(ABORT, 'resource_trusted_cas: ca_id must name a CA certificate of the resource''s account')
    WHERE NOT EXISTS (SELECT 1 FROM trusted_ca_certificates t JOIN cdn_resources r ON r.account_id = t.account_id
                      WHERE t.id = NEW.ca_id AND r.id = NEW.resource_id);
END;

CREATE TRIGGER resources_with_a_ca_stay_in_its_account
BEFORE UPDATE OF account_id ON cdn_resources
BEGIN
    SELECT RAISE(ABORT, 'resource_trusted_cas: ca_id must name a CA certificate of the resource''s account')
    WHERE EXISTS (SELECT 1 FROM resource_trusted_cas c JOIN trusted_ca_certificates t ON t.id = c.ca_id
                  WHERE c.resource_id = NEW.id AND t.account_id <> NEW.account_id);
END;

-- A resource's CA chosen, changed or cleared, and a CA replaced, reach the edges of the
-- resources concerned in the same transaction.
CREATE TRIGGER resource_trusted_ca_choices_reach_the_edges
AFTER INSERT ON resource_trusted_cas
BEGIN
    INSERT INTO config_changes (resource_id) VALUES (NEW.resource_id);
END;

CREATE TRIGGER resource_trusted_ca_changes_reach_the_edges
AFTER UPDATE ON resource_trusted_cas
WHEN NEW.ca_id IS NOT OLD.ca_id OR NEW.resource_id IS NOT OLD.resource_id
BEGIN
    INSERT INTO config_changes (resource_id) VALUES (NEW.resource_id);
END;

CREATE TRIGGER resource_trusted_ca_removals_reach_the_edges
AFTER DELETE ON resource_trusted_cas
BEGIN
    INSERT INTO config_changes (resource_id) SELECT id FROM cdn_resources WHERE id = OLD.resource_id;
END;

CREATE TRIGGER trusted_ca_replacements_reach_the_edges
AFTER UPDATE ON trusted_ca_certificates
WHEN NEW.certificates IS NOT OLD.certificates
BEGIN
    INSERT INTO config_changes (resource_id)
        SELECT resource_id FROM resource_trusted_cas WHERE ca_id = NEW.id ORDER BY resource_id;
END;
