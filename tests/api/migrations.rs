//! The twin migration folders, `migrations/sqlite` and `migrations/postgres` (rules in
//! migrations/README.md): the same files by name, the same columns, and the same behaviour.
//! Each behaviour test is one body run on the database of the pass: a fresh SQLite database in
//! the normal pass, a fresh PostgreSQL one in the PostgreSQL pass.

use crate::helpers::{ScratchDatabase, fresh_database};
use cdn_portal::on_db;
use cdn_portal::server::db::{POSTGRES_MIGRATOR, Pool, SQLITE_MIGRATOR};
use sqlx::migrate::Migrator;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::str::FromStr;

/// The newest migration written before the twin rule asked for a first line naming the twin.
/// It and those before it keep their bytes forever: sqlx refuses to start over a database whose
/// applied migration changed.
const LAST_MIGRATION_WITHOUT_TWIN_LINE: u32 = 4;

/// Columns of `cdn_resources` that no statement may change without taking the next version and
/// writing a record of it first (the history trigger of migrations 0002, 0004, 0006 and 0007),
/// each with an SQL expression for another valid value.
const GUARDED: [(&str, &str); 16] = [
    ("account_id", "2"),
    ("custom_domain", "'elsewhere.example.com'"),
    // A group of account 2, which the resource belongs to by then.
    ("origin_group_id", "2"),
    ("integration", "'static_assets'"),
    ("websockets", "NOT websockets"),
    ("active", "NOT active"),
    ("websockets_enabled", "NOT websockets_enabled"),
    ("websockets_value", "NOT websockets_value"),
    ("name", "'Images'"),
    ("description", "'Served from the EU'"),
    ("secondary_hostnames", "'[\"www.example.com\"]'"),
    // A certificate of account 2 (0010), then HTTPS on with it.
    ("ssl_data_id", "2"),
    ("ssl_enabled", "NOT ssl_enabled"),
    ("origin_protocol", "'MATCH'"),
    // A trusted CA of account 2 (0011).
    ("proxy_ssl_ca_id", "2"),
    ("version", "version + 1"),
];

/// Columns of `cdn_resources` that are bookkeeping, not settings: they change without a record.
const UNGUARDED: [&str; 3] = ["id", "created_at", "updated_at"];

const REFUSAL: &str = "needs the next version and a record";

fn folder(dialect: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect)
}

/// The `.sql` files of `migrations/<dialect>`, by name.
fn sql_files(dialect: &str) -> BTreeSet<String> {
    std::fs::read_dir(folder(dialect))
        .unwrap_or_else(|error| panic!("migrations/{dialect}: {error}"))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

#[test]
fn every_migration_has_a_twin_of_the_same_name() {
    let (sqlite, postgres) = (sql_files("sqlite"), sql_files("postgres"));
    assert!(!sqlite.is_empty());
    let alone: Vec<&String> = sqlite.symmetric_difference(&postgres).collect();
    assert!(alone.is_empty(), "migrations without a twin of the same name in the other folder: {alone:?}");
    // What the portal embeds (sqlx::migrate! reads the folders at build time) agrees.
    let names =
        |migrator: &Migrator| migrator.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
    assert_eq!(names(&SQLITE_MIGRATOR), names(&POSTGRES_MIGRATOR));
}

#[test]
fn a_new_migration_names_its_twin_on_its_first_line() {
    for (dialect, twin) in [("sqlite", "postgres"), ("postgres", "sqlite")] {
        for name in sql_files(dialect) {
            let number: u32 = name
                .split('_')
                .next()
                .and_then(|number| number.parse().ok())
                .unwrap_or_else(|| panic!("migrations/{dialect}/{name} does not start with its number"));
            if number <= LAST_MIGRATION_WITHOUT_TWIN_LINE {
                continue;
            }
            let text = std::fs::read_to_string(folder(dialect).join(&name)).unwrap();
            let expected = format!("-- Twin: migrations/{twin}/{name}");
            assert_eq!(text.lines().next(), Some(expected.as_str()), "the first line of migrations/{dialect}/{name}");
        }
    }
}

/// SHA-384 of each released migration, as sqlx recorded it in every database it migrated.
const RELEASED: [(&str, i64, &str); 8] = [
    ("sqlite", 1, "f334f77dff336e208272b8b11d690031ef22446ebf2d44f3926d8c28b8808ca51c8bee24c6dad9827572c94dc7faac18"),
    ("sqlite", 2, "dc245a359513594f15b79688d08bc9771cd095c145b52aef965fc4feb68f0b09ce160b30f98d57148118e5b6d569f7ae"),
    ("sqlite", 3, "8d0e4019b944a356d6c2e22b322afba1782bae2d10237d987bfeec14205d33e6e41c50302206a9cf72ef9a68a6071f00"),
    ("sqlite", 4, "558884f38ac151394890642b67dd737e6ad23f549244b3bba01741a167c70a2a9740f3835a5bbfaf5a11e56bb870cce3"),
    ("postgres", 1, "c23f5bf096f0e26607ab9daae711d2c95aa7aab7c711c9ce9c40f0ced926c0070281e47b0ba3f82d5be5aca9435a1e74"),
    ("postgres", 2, "e922d83c2544f40f3e86d74d874dd174dff5d315dec80572470f1e0b5275a51f07548136345055d82d7bb02e5d3ef879"),
    ("postgres", 3, "928a6f1445c401bf738d30336e3a7ba9c5ac5264c2dc86b9e61169df0fd9407942c6808bb6b260f434b75538ae16f733"),
    ("postgres", 4, "d69c94c4dcd5c9a625e79f9117be9e214fc7c4bfad6b13f109e7e517d537cf5c7974d4577a8efcca5375e50432d8ba4c"),
];

/// sqlx refuses to start over a database whose applied migration changed, so a released
/// migration keeps its bytes, comments included (migrations/README.md).
#[test]
fn released_migrations_keep_their_bytes() {
    for (dialect, version, expected) in RELEASED {
        let migrator = if dialect == "sqlite" { &SQLITE_MIGRATOR } else { &POSTGRES_MIGRATOR };
        let migration = migrator.iter().find(|m| m.version == version).expect("a released migration is still there");
        let checksum: String = migration.checksum.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(checksum, expected, "migrations/{dialect}/{version:04}_*.sql changed: add a migration instead");
    }
}

/// Every (table, column, nullable) of the portal's own tables (not sqlx's, not the sessions').
/// SQLite says an INTEGER PRIMARY KEY may be null, though it never is, so keys count as not null.
async fn columns(pool: &Pool) -> BTreeSet<(String, String, bool)> {
    let rows: Result<Vec<(String, String, bool)>, _> = match pool {
        Pool::Sqlite(sqlite, _) => sqlx::query_as(
            "SELECT m.name, c.name, c.\"notnull\" = 0 AND c.pk = 0 FROM sqlite_master m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
                 AND m.name <> 'tower_sessions'",
        )
        .fetch_all(sqlite)
        .await,
        Pool::Postgres(postgres) => sqlx::query_as(
            "SELECT c.table_name::TEXT, c.column_name::TEXT, c.is_nullable = 'YES' FROM information_schema.columns c \
                 WHERE c.table_schema = 'public' AND c.table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(postgres)
        .await,
    };
    rows.unwrap().into_iter().collect()
}

/// The same tables with the same columns, each as nullable in one as in the other; column order
/// is not compared (no query depends on it).
#[tokio::test]
#[ignore = "needs PostgreSQL: run by scripts/test-postgres.sh"]
async fn both_databases_get_the_same_columns() {
    let postgres = ScratchDatabase::postgres().await;
    let sqlite = ScratchDatabase::sqlite();
    let (postgres_columns, sqlite_columns) =
        (columns(&postgres.connect().await).await, columns(&sqlite.connect().await).await);
    assert!(sqlite_columns.len() > 20, "{sqlite_columns:?}");
    let only_sqlite: Vec<_> = sqlite_columns.difference(&postgres_columns).collect();
    let only_postgres: Vec<_> = postgres_columns.difference(&sqlite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "(table, column, nullable) only on SQLite: {only_sqlite:?}; only on PostgreSQL: {only_postgres:?}"
    );
}

async fn execute(pool: &Pool, sql: &str) -> Result<(), sqlx::Error> {
    on_db!(pool.db(), |e| sqlx::query(sql).execute(e).await.map(|_| ()))
}

async fn accepted(pool: &Pool, sql: &str) {
    execute(pool, sql).await.unwrap_or_else(|error| panic!("refused ({error}): {sql}"));
}

async fn refused(pool: &Pool, sql: &str) -> sqlx::Error {
    execute(pool, sql).await.err().unwrap_or_else(|| panic!("accepted: {sql}"))
}

/// [`resource_row`] with secondary hostnames, SQL for the JSON text (`'["a.example.com"]'`).
fn resource_row_with_hostnames(id: i64, domain: &str, hostnames: &str) -> String {
    format!(
        "INSERT INTO cdn_resources (id, account_id, custom_domain, origin_group_id, integration, websockets, created_at, updated_at, secondary_hostnames) \
         VALUES ({id}, 1, '{domain}', 1, 'entire_website', TRUE, 0, 0, {hostnames})"
    )
}

/// A resource whose WebSockets setting is stored but not enabled (`{enabled: false, value: false}`).
fn resource_row(id: i64, domain: &str, integration: &str) -> String {
    resource_row_with_setting(id, domain, integration, "FALSE", "FALSE")
}

/// A resource whose WebSockets setting's `enabled` and `value` are these SQL values.
fn resource_row_with_setting(id: i64, domain: &str, integration: &str, enabled: &str, value: &str) -> String {
    format!(
        "INSERT INTO cdn_resources (id, account_id, custom_domain, origin_group_id, integration, websockets, \
         websockets_enabled, websockets_value, created_at, updated_at) \
         VALUES ({id}, 1, '{domain}', 1, '{integration}', TRUE, {enabled}, {value}, 0, 0)"
    )
}

/// A history record; `api_token_name` and `new_value` are SQL (`NULL`, `'deploy'`).
fn change_row(resource: i64, version: i64, source: &str, api_token_name: &str, action: &str, setting: &str) -> String {
    change_row_with(resource, version, source, api_token_name, action, setting, "'off'")
}

fn change_row_with(
    resource: i64,
    version: i64,
    source: &str,
    api_token_name: &str,
    action: &str,
    setting: &str,
    new_value: &str,
) -> String {
    format!(
        "INSERT INTO resource_changes \
         (resource_id, version, changed_at, account_id, source, api_token_name, action, setting, old_value, new_value) \
         VALUES ({resource}, {version}, 0, 1, '{source}', {api_token_name}, '{action}', '{setting}', 'on', {new_value})"
    )
}

/// The record of a change made in the portal to `resource` at `version`.
fn record(resource: i64, version: i64) -> String {
    change_row(resource, version, "portal", "NULL", "updated", "websockets")
}

fn token_row(id: i64, name: &str, revoked_at: &str) -> String {
    format!(
        "INSERT INTO api_tokens (id, account_id, name, secret_hash, secret_start, created_at, revoked_at) \
         VALUES ({id}, 1, '{name}', 'hash-{id}', 'cdnp_{id}', 0, {revoked_at})"
    )
}

/// Origin group `id` of `account`: `origin.example.com` alone.
fn group_row(id: i64, account: i64) -> String {
    format!(
        "INSERT INTO origin_groups (id, account_id, name, sources, use_next, proxy_next_upstream, created_at, updated_at) \
         VALUES ({id}, {account}, 'origin.example.com', '[{{\"source\":\"origin.example.com\",\"enabled\":true,\"backup\":false}}]', \
         FALSE, '[]', 0, 0)"
    )
}

fn certificate_row(id: i64, account: i64) -> String {
    format!(
        "INSERT INTO ssl_certificates (id, account_id, name, certificate_chain, sealed_private_key, subject_cn, \
         subject_alt, issuer, not_before, not_after, created_at, updated_at) \
         VALUES ({id}, {account}, 'Site', 'PEM', 'v1:k:sealed', 'example.com', '[]', 'CN=CA', 0, 1, 0, 0)"
    )
}

fn trusted_ca_row(id: i64, account: i64) -> String {
    format!(
        "INSERT INTO trusted_ca_certificates (id, account_id, name, certificates, subject_cn, subject_alt, issuer, \
         not_before, not_after, created_at, updated_at) \
         VALUES ({id}, {account}, 'Private', 'PEM', 'Origin CA', '[]', 'CN=Origin CA', 0, 1, 0, 0)"
    )
}

/// Accounts 1 and 2 with origin groups, certificates and trusted CAs 1 and 2, and resource 1 of
/// account 1 (in group 1) at version 1 with the record of its creation.
async fn one_resource(pool: &Pool) {
    for account in [1, 2] {
        let sql = format!(
            "INSERT INTO accounts (id, email, password_hash, created_at) VALUES ({account}, 'user{account}@example.com', 'x', 0)"
        );
        accepted(pool, &sql).await;
        accepted(pool, &group_row(account, account)).await;
        accepted(pool, &certificate_row(account, account)).await;
        accepted(pool, &trusted_ca_row(account, account)).await;
    }
    accepted(pool, &resource_row(1, "cdn.example.com", "entire_website")).await;
    accepted(pool, &change_row(1, 1, "portal", "NULL", "created", "websockets")).await;
}

/// Resource 1's settings and version.
type Settings =
    (i64, String, i64, String, bool, bool, Option<bool>, Option<bool>, i64, Option<String>, Option<String>, String);

async fn settings(pool: &Pool) -> Settings {
    on_db!(pool.db(), |e| sqlx::query_as(
        "SELECT account_id, custom_domain, origin_group_id, integration, websockets, active, websockets_enabled, \
         websockets_value, version, name, description, secondary_hostnames FROM cdn_resources WHERE id = 1"
    )
    .fetch_one(e)
    .await)
    .unwrap()
}

#[tokio::test]
async fn no_guarded_column_changes_without_the_next_version_and_its_record() {
    let (pool, _guard) = fresh_database().await;
    one_resource(&pool).await;
    let resource_columns: BTreeSet<String> = columns(&pool)
        .await
        .into_iter()
        .filter(|(table, ..)| table == "cdn_resources")
        .map(|(_, column, _)| column)
        .collect();
    let classified: BTreeSet<String> =
        GUARDED.iter().map(|(column, _)| *column).chain(UNGUARDED).map(str::to_owned).collect();
    assert_eq!(
        resource_columns, classified,
        "each column of cdn_resources is guarded by the history trigger, or bookkeeping"
    );

    for (version, (column, other)) in (1..).zip(GUARDED) {
        let before = settings(&pool).await;
        let (next, skipping) = (version + 1, version + 2);
        let alone = format!("UPDATE cdn_resources SET {column} = {other} WHERE id = 1");
        let (with_next, with_skip) = if column == "version" {
            (alone.clone(), format!("UPDATE cdn_resources SET version = {skipping} WHERE id = 1"))
        } else {
            (
                format!("UPDATE cdn_resources SET {column} = {other}, version = {next} WHERE id = 1"),
                format!("UPDATE cdn_resources SET {column} = {other}, version = {skipping} WHERE id = 1"),
            )
        };
        // No record: refused with the version as it was, and with the next.
        for change in [&alone, &with_next] {
            let error = refused(&pool, change).await;
            assert!(error.to_string().contains(REFUSAL), "{change}: {error}");
        }
        // A record of a version that skips one lets no change skip to it.
        accepted(&pool, &record(1, skipping)).await;
        let error = refused(&pool, &with_skip).await;
        assert!(error.to_string().contains(REFUSAL), "{with_skip}: {error}");
        accepted(&pool, &format!("DELETE FROM resource_changes WHERE resource_id = 1 AND version = {skipping}")).await;
        assert_eq!(settings(&pool).await, before, "{column}: refused changes change nothing");

        // Setting a column to what it holds is no change.
        accepted(&pool, &format!("UPDATE cdn_resources SET {column} = {column} WHERE id = 1")).await;
        // With the record written first, the change goes through.
        accepted(&pool, &record(1, next)).await;
        accepted(&pool, &with_next).await;
        assert_ne!(settings(&pool).await, before, "{column} changed");
    }
    assert_eq!(
        settings(&pool).await,
        (
            2,
            "elsewhere.example.com".into(),
            2,
            "static_assets".into(),
            false,
            false,
            Some(true),
            Some(true),
            17,
            Some("Images".into()),
            Some("Served from the EU".into()),
            r#"["www.example.com"]"#.into()
        )
    );
    // Bookkeeping changes need no record.
    accepted(&pool, "UPDATE cdn_resources SET updated_at = updated_at + 1, created_at = created_at + 1 WHERE id = 1")
        .await;
}

/// (version, resource) of every configuration change, oldest first.
async fn config_changes(pool: &Pool) -> Vec<(i64, i64)> {
    on_db!(pool.db(), |e| sqlx::query_as("SELECT version, resource_id FROM config_changes ORDER BY version")
        .fetch_all(e)
        .await)
    .unwrap()
}

#[tokio::test]
async fn each_record_and_each_removal_takes_the_next_configuration_version_and_none_is_used_twice() {
    let (pool, _guard) = fresh_database().await;
    one_resource(&pool).await;
    accepted(&pool, &resource_row(2, "other.example.com", "static_assets")).await;
    accepted(&pool, &change_row(2, 1, "api", "'deploy'", "created", "websockets")).await;
    accepted(&pool, &record(1, 2)).await;
    accepted(&pool, "DELETE FROM cdn_resources WHERE id = 2").await;

    let changes = config_changes(&pool).await;
    let resources: Vec<i64> = changes.iter().map(|(_, resource)| *resource).collect();
    assert_eq!(resources, [1, 2, 1, 2], "three records and a removal, in order: {changes:?}");
    assert!(changes.windows(2).all(|pair| pair[0].0 < pair[1].0), "versions only grow: {changes:?}");

    // Edges ask "what changed after N?": a version handed out is never handed out again, even
    // once the newest rows are gone.
    let newest = changes.last().unwrap().0;
    accepted(&pool, &format!("DELETE FROM config_changes WHERE version >= {}", newest - 1)).await;
    accepted(&pool, &record(1, 3)).await;
    let after = config_changes(&pool).await;
    let (version, resource) = *after.last().unwrap();
    assert!(version > newest && resource == 1, "{after:?} after deleting from version {}", newest - 1);
}

#[tokio::test]
async fn checks_and_keys_refuse_rows_the_portal_never_writes() {
    let (pool, _guard) = fresh_database().await;
    one_resource(&pool).await;
    accepted(&pool, &token_row(1, "deploy", "NULL")).await;

    let rows = [
        // cdn_resources: a known integration, one resource per custom domain, an owner that exists.
        resource_row(2, "new.example.com", "everything"),
        resource_row(2, "cdn.example.com", "static_assets"),
        resource_row(2, "new.example.com", "static_assets").replace("VALUES (2, 1,", "VALUES (2, 9,"),
        // cdn_resources (0009): an origin group of the resource's account.
        resource_row(2, "new.example.com", "static_assets").replace("'new.example.com', 1,", "'new.example.com', NULL,"),
        resource_row(2, "new.example.com", "static_assets").replace("'new.example.com', 1,", "'new.example.com', 2,"),
        resource_row(2, "new.example.com", "static_assets").replace("'new.example.com', 1,", "'new.example.com', 9,"),
        // An option's setting has both `enabled` and `value`, or neither (not set).
        resource_row_with_setting(2, "new.example.com", "static_assets", "NULL", "FALSE"),
        resource_row_with_setting(2, "new.example.com", "static_assets", "TRUE", "NULL"),
        // resource_changes: known sources, actions and settings; a token name exactly for the API.
        change_row(1, 2, "email", "NULL", "updated", "websockets"),
        change_row(1, 2, "portal", "NULL", "deleted", "websockets"),
        change_row(1, 2, "portal", "NULL", "updated", "ssl"),
        change_row(1, 2, "api", "NULL", "updated", "websockets"),
        change_row(1, 2, "portal", "'deploy'", "updated", "websockets"),
        // One record per setting and version, of a resource that exists, with a new value.
        change_row(1, 1, "portal", "NULL", "updated", "websockets"),
        change_row(9, 1, "portal", "NULL", "created", "websockets"),
        change_row_with(1, 2, "portal", "NULL", "updated", "origin", "NULL"),
        // cdn_resources (0007): a name and description are none (NULL) or not empty; secondary
        // hostnames are a JSON array of at most ten.
        "INSERT INTO cdn_resources (id, account_id, custom_domain, origin_group_id, integration, websockets, created_at, updated_at, name) \
         VALUES (2, 1, 'new.example.com', 1, 'entire_website', TRUE, 0, 0, '')"
            .to_owned(),
        resource_row_with_hostnames(2, "new.example.com", "'www.example.com'"),
        resource_row_with_hostnames(2, "new.example.com", "'{\"a\": 1}'"),
        resource_row_with_hostnames(
            2,
            "new.example.com",
            &format!("'[{}]'", (0..11).map(|n| format!("\"h{n}.example.com\"")).collect::<Vec<_>>().join(",")),
        ),
        // api_tokens: one usable token of a name per account.
        token_row(2, "deploy", "NULL"),
        // origin_groups (0009): a name, unique in its account; 1 to 10 origins; a case for use_next.
        group_row(3, 1),
        group_row(3, 1).replace("'origin.example.com', '[", "'', '["),
        group_row(3, 1).replace("'origin.example.com', '[", "'G3', '[").replace("FALSE, '[]'", "TRUE, '[]'"),
        group_row(3, 1).replace("'origin.example.com', '[", "'G3', '[").replace("'[{", "'{").replace("}]'", "}'"),
        group_row(3, 9).replace("'origin.example.com', '[", "'G3', '["),
    ];
    for row in &rows {
        refused(&pool, row).await;
    }
    for (table, existing) in [("cdn_resources", 1), ("resource_changes", 1), ("api_tokens", 1), ("origin_groups", 2)] {
        let sql = format!("SELECT count(*) FROM {table}");
        let count: i64 = on_db!(pool.db(), |e| sqlx::query_scalar(&sql).fetch_one(e).await).unwrap();
        assert_eq!(count, existing, "{table}: the refused rows left nothing");
    }

    // Their allowed neighbours go through: the refusals were for the reasons above.
    for row in [
        resource_row_with_setting(2, "new.example.com", "static_assets", "NULL", "NULL"),
        change_row(1, 2, "api", "'deploy'", "defaulted", "websockets"),
        change_row(1, 2, "portal", "NULL", "updated", "origin"),
        change_row(1, 2, "portal", "NULL", "updated", "active"),
        change_row(1, 3, "portal", "NULL", "updated", "name"),
        change_row(1, 3, "portal", "NULL", "updated", "description"),
        change_row(1, 3, "portal", "NULL", "updated", "secondary_hostnames"),
        change_row(1, 3, "portal", "NULL", "updated", "origin_group"),
        group_row(3, 1).replace("'origin.example.com', '[", "'G3', '[").replace("FALSE, '[]'", "TRUE, '[\"error\"]'"),
        token_row(2, "deploy", "10"),
        token_row(3, "deploy", "NULL").replace("VALUES (3, 1,", "VALUES (3, 2,"),
    ] {
        accepted(&pool, &row).await;
    }
    // A revoked token's name is free again.
    accepted(&pool, "UPDATE api_tokens SET revoked_at = 20 WHERE id = 1").await;
    accepted(&pool, &token_row(4, "deploy", "NULL")).await;
}

/// A resource's id, WebSockets in force, its setting's `enabled` and `value`, and its version.
type OptionColumns = (i64, bool, Option<bool>, Option<bool>, i64);

/// A pool on the scratch database with only the migrations before `version` applied.
async fn migrated_before(scratch: &ScratchDatabase, version: i64) -> Pool {
    let before = |migrator: &Migrator| Migrator {
        migrations: migrator.iter().filter(|m| m.version < version).cloned().collect::<Vec<_>>().into(),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    if scratch.url().starts_with("postgres") {
        let pool = sqlx::PgPool::connect(scratch.url()).await.unwrap();
        before(&POSTGRES_MIGRATOR).run(&pool).await.unwrap();
        Pool::Postgres(pool)
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(scratch.url()).unwrap().create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        before(&SQLITE_MIGRATOR).run(&pool).await.unwrap();
        Pool::sqlite(pool)
    }
}

/// Resources from before 0006 keep what is in force: a value the customer chose (0004's
/// `websockets_explicit`) becomes a setting that is enabled, the others are not set; and since
/// nothing in force changes, no resource takes a version, a record or a configuration change.
#[tokio::test]
async fn migration_0006_keeps_each_resources_websockets_and_records_nothing() {
    let scratch = ScratchDatabase::new().await;
    let pool = migrated_before(&scratch, 6).await;
    accepted(
        &pool,
        "INSERT INTO accounts (id, email, password_hash, created_at) VALUES (1, 'ada@example.com', 'x', 0)",
    )
    .await;
    // (id, integration, websockets in force, websockets_explicit)
    let rows = [
        (1, "entire_website", false, true),
        (2, "entire_website", true, false),
        (3, "static_assets", true, true),
        (4, "static_assets", false, false),
    ];
    for (id, integration, websockets, explicit) in rows {
        accepted(
            &pool,
            &format!(
                "INSERT INTO cdn_resources (id, account_id, custom_domain, origin, integration, websockets, \
                 websockets_explicit, created_at, updated_at) \
                 VALUES ({id}, 1, 'r{id}.example.com', 'origin.example.com', '{integration}', {websockets}, {explicit}, 0, 0)"
            ),
        )
        .await;
    }
    let config_before = config_changes(&pool).await;
    pool.close().await;

    let pool = scratch.connect().await;
    let stored: Vec<OptionColumns> = on_db!(pool.db(), |e| sqlx::query_as(
        "SELECT id, websockets, websockets_enabled, websockets_value, version FROM cdn_resources ORDER BY id"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(
        stored,
        [
            (1, false, Some(true), Some(false), 1),
            (2, true, None, None, 1),
            (3, true, Some(true), Some(true), 1),
            (4, false, None, None, 1)
        ]
    );
    assert_eq!(config_changes(&pool).await, config_before, "nothing new for the edges");
    let records: i64 =
        on_db!(pool.db(), |e| sqlx::query_scalar("SELECT count(*) FROM resource_changes").fetch_one(e).await).unwrap();
    assert_eq!(records, 0);

    // The portal reads them as the API shows them: not set, or set and enabled.
    use cdn_portal::options::OptionSetting;
    let resource = |id| cdn_portal::server::resources::get(pool.db(), 1, id);
    let (chosen_off, default_on) = (resource(1).await.unwrap(), resource(2).await.unwrap());
    assert_eq!(chosen_off.options.websockets, Some(OptionSetting { enabled: true, value: false }));
    assert!(!chosen_off.options_in_force.websockets);
    assert_eq!(default_on.options.websockets, None);
    assert!(default_on.options_in_force.websockets);
}

/// Every hostname, custom domain or secondary, of any account, is served by one resource: the
/// database refuses a second claim (migration 0007), and a hostname given up is free again.
#[tokio::test]
async fn a_hostname_is_served_by_one_resource_whichever_account_claims_it() {
    let (pool, _guard) = fresh_database().await;
    one_resource(&pool).await;
    let ten = (0..10).map(|n| format!("\"h{n}.example.com\"")).collect::<Vec<_>>().join(",");
    accepted(&pool, &resource_row_with_hostnames(2, "b.example.com", &format!("'[{ten}]'"))).await;
    let of_account_2 = |sql: String| sql.replace("VALUES (3, 1,", "VALUES (3, 2,").replace(".com', 1,", ".com', 2,");
    for claim in [
        // Another's custom domain, or another's secondary hostname, as a secondary hostname.
        resource_row_with_hostnames(3, "c.example.com", "'[\"cdn.example.com\"]'"),
        resource_row_with_hostnames(3, "c.example.com", "'[\"h3.example.com\"]'"),
        // Another's secondary hostname as a custom domain.
        resource_row_with_hostnames(3, "h0.example.com", "'[]'"),
        // Its own custom domain again, or one name twice.
        resource_row_with_hostnames(3, "c.example.com", "'[\"c.example.com\"]'"),
        resource_row_with_hostnames(3, "c.example.com", "'[\"d.example.com\", \"d.example.com\"]'"),
    ] {
        let error = refused(&pool, &of_account_2(claim.clone())).await;
        let unique = error.as_database_error().is_some_and(|error| error.is_unique_violation());
        assert!(unique, "{claim}: {error}");
    }
    // A change of secondary hostnames is a change of a setting: recorded first, and then refused
    // if it claims another's hostname, leaving the record's transaction to roll back.
    accepted(&pool, &record(1, 2)).await;
    let error = refused(
        &pool,
        "UPDATE cdn_resources SET secondary_hostnames = '[\"h9.example.com\"]', version = 2 WHERE id = 1",
    )
    .await;
    assert!(error.as_database_error().is_some_and(|error| error.is_unique_violation()), "{error}");
    // Given up, a name is free for anyone: removed from a list, or with its resource deleted.
    accepted(&pool, &record(2, 2)).await;
    accepted(&pool, "UPDATE cdn_resources SET secondary_hostnames = '[]', version = 2 WHERE id = 2").await;
    accepted(&pool, "UPDATE cdn_resources SET secondary_hostnames = '[\"h9.example.com\"]', version = 2 WHERE id = 1")
        .await;
    accepted(&pool, "DELETE FROM cdn_resources WHERE id = 1").await;
    accepted(&pool, &of_account_2(resource_row_with_hostnames(3, "cdn.example.com", "'[\"h9.example.com\"]'"))).await;
    let served: Vec<(String, i64)> =
        on_db!(pool.db(), |e| sqlx::query_as("SELECT hostname, resource_id FROM served_hostnames ORDER BY hostname")
            .fetch_all(e)
            .await)
        .unwrap();
    assert_eq!(
        served,
        [("b.example.com".to_owned(), 2), ("cdn.example.com".to_owned(), 3), ("h9.example.com".to_owned(), 3)]
    );
}

/// An origin group's id, account, name, sources, `use_next`, cases, version and creation.
type GroupColumns = (i64, i64, String, String, bool, String, i64, i64);

/// Resources from before 0009 keep their origin as a group of one: one group per account and
/// origin, named after it, with Gcore's defaults and the record of its creation; the resources
/// that shared an origin share its group. What the edges do is unchanged (a group of one origin
/// without `use_next` is what an edge made of `origin` alone), so no configuration change is
/// taken, and the portal's next group gets the next id.
#[tokio::test]
async fn migration_0009_makes_each_accounts_origin_a_group_of_one() {
    let scratch = ScratchDatabase::new().await;
    let pool = migrated_before(&scratch, 9).await;
    for account in [1, 2] {
        let sql = format!(
            "INSERT INTO accounts (id, email, password_hash, created_at) VALUES ({account}, 'user{account}@example.com', 'x', 0)"
        );
        accepted(&pool, &sql).await;
    }
    let long = format!("{}.example.com:8080", "a".repeat(95));
    for (id, account, origin) in [
        (1, 1, "origin.example.com"),
        (2, 2, "origin.example.com"),
        (3, 1, "[2001:db8::1]:8443"),
        (4, 1, "origin.example.com"),
        (5, 1, long.as_str()),
    ] {
        accepted(
            &pool,
            &format!(
                "INSERT INTO cdn_resources (id, account_id, custom_domain, origin, integration, websockets, created_at, updated_at) \
                 VALUES ({id}, {account}, 'r{id}.example.com', '{origin}', 'entire_website', TRUE, {id}0, {id}0)"
            ),
        )
        .await;
        accepted(
            &pool,
            &change_row(id, 1, "portal", "NULL", "created", "websockets")
                .replace("0, 1, 'portal'", &format!("0, {account}, 'portal'")),
        )
        .await;
    }
    let config_before = config_changes(&pool).await;
    pool.close().await;

    let pool = scratch.connect().await;
    let groups: Vec<GroupColumns> = on_db!(pool.db(), |e| sqlx::query_as(
        "SELECT id, account_id, name, sources, use_next, proxy_next_upstream, version, created_at FROM origin_groups ORDER BY id"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    let one = |origin: &str| -> serde_json::Value {
        serde_json::json!([{"source": origin, "enabled": true, "backup": false}])
    };
    let read: Vec<_> = groups
        .iter()
        .map(|(id, account, name, sources, use_next, cases, version, created)| {
            let sources: serde_json::Value = serde_json::from_str(sources).unwrap();
            let cases: serde_json::Value = serde_json::from_str(cases).unwrap();
            (*id, *account, name.clone(), sources, *use_next, cases, *version, *created)
        })
        .collect();
    let defaults = serde_json::json!(["error", "timeout"]);
    assert_eq!(
        read,
        [
            (1, 1, "origin.example.com".to_owned(), one("origin.example.com"), false, defaults.clone(), 1, 10),
            (2, 2, "origin.example.com".to_owned(), one("origin.example.com"), false, defaults.clone(), 1, 20),
            (3, 1, "[2001:db8::1]:8443".to_owned(), one("[2001:db8::1]:8443"), false, defaults.clone(), 1, 30),
            (4, 1, "Origin of resource 5".to_owned(), one(&long), false, defaults.clone(), 1, 50),
        ]
    );
    let used: Vec<(i64, i64)> =
        on_db!(pool.db(), |e| sqlx::query_as("SELECT id, origin_group_id FROM cdn_resources ORDER BY id")
            .fetch_all(e)
            .await)
        .unwrap();
    assert_eq!(used, [(1, 1), (2, 2), (3, 3), (4, 1), (5, 4)]);
    let records: i64 = on_db!(pool.db(), |e| sqlx::query_scalar(
        "SELECT count(*) FROM origin_group_changes WHERE version = 1 AND action = 'created'"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(records, 4 * 4, "each group's four settings, recorded as created");
    assert_eq!(config_changes(&pool).await, config_before, "nothing changes for the edges");

    // The portal reads them back, and gives the next group the next id.
    let account = cdn_portal::server::resources::Actor::portal(1, None);
    let resource = cdn_portal::server::resources::get(pool.db(), 1, 3).await.unwrap();
    assert_eq!((resource.origin.to_string(), resource.origin_group.id), ("[2001:db8::1]:8443".to_owned(), 3));
    let settings = cdn_portal::server::origin_groups::GroupSettings::of_one(
        cdn_portal::domain::OriginGroupName::parse("New").unwrap(),
        cdn_portal::domain::Origin::parse("new.example.com").unwrap(),
    );
    assert_eq!(cdn_portal::server::origin_groups::create(&pool, &account, &settings).await.unwrap().id, 5);
}

#[tokio::test]
async fn migration_0010_keeps_certificates_in_their_account_and_replacements_reach_the_edges() {
    let (pool, _guard) = fresh_database().await;
    one_resource(&pool).await;
    accepted(&pool, &resource_row(2, "two.example.com", "entire_website")).await;
    let refusal = "ssl_data_id must name a certificate of the same account";
    let with_https = |certificate: i64, enabled: &str| {
        resource_row(3, "three.example.com", "entire_website")
            .replace("websockets_value, created_at", "websockets_value, ssl_data_id, ssl_enabled, created_at")
            .replace("FALSE, 0, 0)", &format!("FALSE, {certificate}, {enabled}, 0, 0)"))
    };
    // Another account's certificate, or HTTPS on without one, is refused on insert and update.
    assert!(refused(&pool, &with_https(2, "TRUE")).await.to_string().contains(refusal));
    assert!(
        refused(&pool, &with_https(1, "TRUE").replace(", 1, TRUE", ", NULL, TRUE")).await.to_string().contains(refusal)
    );
    accepted(&pool, &record(1, 2)).await;
    for change in ["ssl_data_id = 2", "ssl_enabled = TRUE"] {
        let error = refused(&pool, &format!("UPDATE cdn_resources SET {change}, version = 2 WHERE id = 1")).await;
        assert!(error.to_string().contains(refusal), "{change}: {error}");
    }
    let error = refused(&pool, "UPDATE cdn_resources SET origin_protocol = 'FTP', version = 2 WHERE id = 1").await;
    assert!(!error.to_string().is_empty());
    accepted(&pool, "UPDATE cdn_resources SET ssl_data_id = 1, ssl_enabled = TRUE, version = 2 WHERE id = 1").await;
    accepted(&pool, &with_https(1, "TRUE")).await;

    // Replacing the chain or key reaches every resource that uses the certificate; a rename does not.
    let before = config_changes(&pool).await.len();
    accepted(&pool, "UPDATE ssl_certificates SET name = 'Renamed', version = 2 WHERE id = 1").await;
    assert_eq!(config_changes(&pool).await.len(), before);
    accepted(
        &pool,
        "UPDATE ssl_certificates SET certificate_chain = 'PEM2', sealed_private_key = 'v1:k:2' WHERE id = 1",
    )
    .await;
    let after = config_changes(&pool).await;
    assert_eq!(after[before..].iter().map(|(_, resource)| *resource).collect::<Vec<_>>(), [1, 3]);

    // A certificate in use is not deleted; an unused one is, and its id is never given again.
    refused(&pool, "DELETE FROM ssl_certificates WHERE id = 1").await;
    accepted(&pool, "DELETE FROM ssl_certificates WHERE id = 2").await;
    let error = refused(&pool, &certificate_row(2, 2)).await;
    assert!(error.to_string().contains("was given to another certificate before"), "{error}");
    refused(&pool, &certificate_row(3, 1).replace("'[]'", "'{}'")).await;
    refused(&pool, &certificate_row(3, 1).replace("'v1:k:sealed'", "'-----BEGIN PRIVATE KEY-----'")).await;
}

#[tokio::test]
async fn migration_0011_keeps_trusted_cas_in_their_account_and_replacements_reach_the_edges() {
    let (pool, _guard) = fresh_database().await;
    one_resource(&pool).await;
    let refusal = "proxy_ssl_ca_id must name a CA certificate of the same account";
    let trusting = |ca: i64| {
        resource_row(3, "three.example.com", "entire_website")
            .replace("websockets_value, created_at", "websockets_value, proxy_ssl_ca_id, created_at")
            .replace("FALSE, 0, 0)", &format!("FALSE, {ca}, 0, 0)"))
    };
    // Another account's CA is refused on insert and on update.
    assert!(refused(&pool, &trusting(2)).await.to_string().contains(refusal));
    accepted(&pool, &record(1, 2)).await;
    let error = refused(&pool, "UPDATE cdn_resources SET proxy_ssl_ca_id = 2, version = 2 WHERE id = 1").await;
    assert!(error.to_string().contains(refusal), "{error}");
    accepted(&pool, "UPDATE cdn_resources SET proxy_ssl_ca_id = 1, version = 2 WHERE id = 1").await;
    accepted(&pool, &trusting(1)).await;

    // Replacing the certificates reaches every resource that trusts the CA; a rename does not.
    let before = config_changes(&pool).await.len();
    accepted(&pool, "UPDATE trusted_ca_certificates SET name = 'Renamed', version = 2 WHERE id = 1").await;
    assert_eq!(config_changes(&pool).await.len(), before);
    accepted(&pool, "UPDATE trusted_ca_certificates SET certificates = 'PEM2' WHERE id = 1").await;
    let after = config_changes(&pool).await;
    assert_eq!(after[before..].iter().map(|(_, resource)| *resource).collect::<Vec<_>>(), [1, 3]);

    // A CA in use is not deleted; an unused one is, and its id is never given again.
    refused(&pool, "DELETE FROM trusted_ca_certificates WHERE id = 1").await;
    accepted(&pool, "DELETE FROM trusted_ca_certificates WHERE id = 2").await;
    let error = refused(&pool, &trusted_ca_row(2, 2)).await;
    assert!(error.to_string().contains("was given to another CA certificate before"), "{error}");
    refused(&pool, &trusted_ca_row(3, 1).replace("'[]'", "'{}'")).await;
}

/// Migration 0014 turns `ws_traffic`'s rows, one per metric, into one per resource and period
/// whose `figures` hold the same values, which the portal reads back unchanged.
#[tokio::test]
async fn migration_0014_keeps_every_figure_in_one_row_per_period() {
    let scratch = ScratchDatabase::new().await;
    let pool = migrated_before(&scratch, 14).await;
    one_resource(&pool).await;
    let minute = 1_796_000_040;
    for (granularity, start, metric, value) in [
        (60, minute, "accepted", 3),
        (60, minute, "open_peak", 2),
        (60, minute + 60, "accepted", 1),
        (3600, 1_795_996_800, "accepted", 9),
    ] {
        accepted(
            &pool,
            &format!(
                "INSERT INTO ws_traffic (resource_id, granularity, period_start, metric, value) \
                 VALUES (1, {granularity}, {start}, '{metric}', {value})"
            ),
        )
        .await;
    }
    pool.close().await;

    let pool = scratch.connect().await;
    let rows: Vec<(i64, i64, String)> = on_db!(pool.db(), |e| sqlx::query_as(
        "SELECT granularity, period_start, figures FROM ws_traffic ORDER BY granularity, period_start"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    let rows: Vec<(i64, i64, serde_json::Value)> = rows
        .into_iter()
        .map(|(granularity, start, figures)| (granularity, start, serde_json::from_str(&figures).unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            (60, minute, serde_json::json!({"accepted": 3, "open_peak": 2})),
            (60, minute + 60, serde_json::json!({"accepted": 1})),
            (3600, 1_795_996_800, serde_json::json!({"accepted": 9})),
        ]
    );
    use cdn_portal::server::ws_traffic::{Granularity, Range, WsMetric, series};
    let range = Range { from: minute, to: minute + 120, granularity: Granularity::OneMinute };
    let read =
        series(&pool, &[1], &[WsMetric::from_name("accepted").unwrap(), WsMetric::OpenPeak], range).await.unwrap();
    let accepted = &read[&1][&WsMetric::from_name("accepted").unwrap()];
    assert_eq!(accepted, &vec![(minute, 3), (minute + 60, 1)]);
    assert_eq!(read[&1][&WsMetric::OpenPeak], vec![(minute, 2), (minute + 60, 0)]);
    refused(&pool, "INSERT INTO ws_traffic (resource_id, granularity, period_start, figures) VALUES (1, 60, 0, '[]')")
        .await;
}
