-- Timestamps are whole seconds since the Unix epoch, written by the portal (not by the
-- database), so that the same statements work on SQLite and PostgreSQL.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE cdn_resources (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- One CDN resource per custom domain across all customers: the edge routes by it.
    custom_domain TEXT    NOT NULL UNIQUE,
    origin        TEXT    NOT NULL,
    integration   TEXT    NOT NULL CHECK (integration IN ('entire_website', 'static_assets')),
    websockets    BOOLEAN NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE INDEX cdn_resources_by_account ON cdn_resources (account_id, custom_domain);
