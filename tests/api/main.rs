//! The portal's integration tests, one binary: the portal served whole over a fresh database per
//! test (SQLite, or PostgreSQL in the PostgreSQL pass), driven over HTTP as browsers, scripts,
//! edges and visitors meet it. `helpers` is the fixture every module starts from.
//!
//! Tests that need PostgreSQL are `#[ignore]`d with that reason: `scripts/test-postgres.sh cargo
//! test --features ssr -- --include-ignored` runs them, and without `TEST_POSTGRES_URL` they fail.

mod helpers;

mod certificates;
mod changes;
mod edge;
mod limits;
mod migrations;
mod origin_groups;
mod portal;
mod replicas;
mod resource_ids;
mod rest_api;
mod rest_certificates;
mod rest_fields;
mod rest_options;
mod rest_origin_groups;
mod security;
mod trusted_cas;
mod ws_traffic;
