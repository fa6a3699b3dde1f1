//! The database: SQLite (embedded, the default) or PostgreSQL (for several portal replicas),
//! chosen by `DATABASE_URL`. Queries are written once, in SQL both accept, and run on either
//! through [`on_db!`]; the few things the two do differently (taking the write lock, the schema's
//! triggers, waking other replicas) live here and in the twin migration folders.

use crate::error::AppError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a database connection before it is told the portal is
/// temporarily unavailable: long enough to ride out a burst, short enough that an outage
/// answers 503 while the customer is still looking.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite, and the turns its writers take in this process ([`WriteTurns`]).
    Sqlite(SqlitePool, WriteTurns),
    Postgres(PgPool),
}

/// SQLite's writers (of [`Pool::begin_write`] and [`Pool::begin_exclusive`]) wait here for their
/// turn, in the order they came, before they take a pooled connection. Waiting inside SQLite (its
/// busy handler) held a connection each, so that ten edges' reports left the pages none to read
/// with, and each waiter slept between tries (up to 100 ms) while the lock stood free.
#[derive(Clone, Debug, Default)]
pub struct WriteTurns(Arc<tokio::sync::Mutex<()>>);

impl WriteTurns {
    /// A write transaction on `pool` (SQLite's write lock, `BEGIN IMMEDIATE`), begun in turn.
    async fn begin_immediate(&self, pool: &SqlitePool) -> Result<Tx, sqlx::Error> {
        let turn = self.0.clone().lock_owned().await;
        Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn)))
    }
}

/// Where one query runs: a pool, or a connection (inside a transaction).
pub enum Db<'c> {
    SqlitePool(&'c SqlitePool),
    Sqlite(&'c mut SqliteConnection),
    PgPool(&'c PgPool),
    Postgres(&'c mut PgConnection),
}

/// Runs one query, written once, on whichever database `db` (a [`Db`]) is: `$e` is its executor.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$e:ident| $body:expr) => {
        match $db {
            $crate::server::db::Db::SqlitePool($e) => $body,
            $crate::server::db::Db::Sqlite($e) => $body,
            $crate::server::db::Db::PgPool($e) => $body,
            $crate::server::db::Db::Postgres($e) => $body,
        }
    };
}
pub use crate::on_db;

impl Db<'_> {
    /// The same place, for one more query.
    pub fn reborrow(&mut self) -> Db<'_> {
        match self {
            Db::SqlitePool(pool) => Db::SqlitePool(pool),
            Db::Sqlite(connection) => Db::Sqlite(connection),
            Db::PgPool(pool) => Db::PgPool(pool),
            Db::Postgres(connection) => Db::Postgres(connection),
        }
    }
}

pub enum Tx {
    /// A transaction, and the writers' turn it holds until it ends (none for a read). The turn is
    /// the later field, so it is given up after the transaction is.
    Sqlite(Transaction<'static, Sqlite>, Option<OwnedMutexGuard<()>>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn db(&mut self) -> Db<'_> {
        match self {
            Tx::Sqlite(tx, _) => Db::Sqlite(tx),
            Tx::Postgres(tx) => Db::Postgres(tx),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx, _turn) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

impl Pool {
    /// A SQLite pool, with writers' turns of its own.
    pub fn sqlite(pool: SqlitePool) -> Pool {
        Pool::Sqlite(pool, WriteTurns::default())
    }

    pub fn db(&self) -> Db<'_> {
        match self {
            Pool::Sqlite(pool, _) => Db::SqlitePool(pool),
            Pool::Postgres(pool) => Db::PgPool(pool),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Pool::Postgres(_))
    }

    /// A transaction that sees one moment of the database throughout, for reads that must agree
    /// with each other (the feed's version and its rows).
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, _) => Tx::Sqlite(pool.begin().await?, None),
            Pool::Postgres(pool) => {
                Tx::Postgres(pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?)
            }
        })
    }

    /// A transaction for changing CDN resources. Writers take turns: each reads the version it
    /// checks and writes the next one without another writer in between, in this process or any
    /// other replica. SQLite: its one write lock, taken at BEGIN so nothing is read before it.
    /// PostgreSQL: a lock on `cdn_resources` that only writers of resources take (readers,
    /// sessions and tokens never wait for it), held until commit.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, turns) => turns.begin_immediate(pool).await?,
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("LOCK TABLE cdn_resources IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
                Tx::Postgres(tx)
            }
        })
    }

    /// A transaction for writers of `table` alone, which take turns as [`Pool::begin_write`]'s
    /// do, but without waiting for writers of resources (PostgreSQL: a lock on `table` only;
    /// SQLite has one write lock for everything). `table` is a name from the schema, never input.
    pub async fn begin_exclusive(&self, table: &'static str) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool, turns) => turns.begin_immediate(pool).await?,
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")).execute(&mut *tx).await?;
                Tx::Postgres(tx)
            }
        })
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool, _) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Runs a transaction to its end even if the request that began it goes away. Dropped half-way
/// (the client hung up while its save waited for the write lock), a transaction can leave its
/// pooled connection inside an open `BEGIN`: holding SQLite's write lock, and answering every
/// later `BEGIN` on that connection with an error. Measured: after 50 clients saving were cut off
/// at once, later saves failed with 500 until the portal restarted.
pub async fn to_completion<T: Send + 'static>(
    work: impl Future<Output = Result<T, AppError>> + Send + 'static,
) -> Result<T, AppError> {
    tokio::spawn(super::error_log::carried(work))
        .await
        .map_err(|error| AppError::internal("a database task stopped", error))?
}

/// Whether an error means the database could not be reached (or refused to serve for now),
/// rather than that a query was wrong: the customer is told to try again, not that we failed.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    use sqlx::error::DatabaseError as _;
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => match error.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
            // Busy or locked past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED and their
            // extended codes, which keep the primary code in the low byte).
            Some(sqlite) => {
                sqlite.code().and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| matches!(code & 0xff, 5 | 6))
            }
            // Connection exceptions (08…), shutting down or starting up (57P0…), too many connections.
            None => {
                error.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P0") || code == "53300")
            }
        },
        _ => false,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("invalid DATABASE_URL: {0}")]
    Url(sqlx::Error),
    #[error("could not create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("could not open the database: {0}")]
    Connect(sqlx::Error),
    #[error("could not apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Two at least: one listens for other replicas' changes, the rest serve requests.
    #[error("DATABASE_MAX_CONNECTIONS must be a whole number from 2 to 1000, got {0:?}")]
    MaxConnections(String),
    #[error("could not take the migration lock {path}: {source}")]
    MigrationLock { path: String, source: std::io::Error },
}

/// `ids` as the list inside `IN (…)`: `3, 1, 4`, or `NULL` for none (which matches no row and
/// is valid SQL on both databases, where `IN ()` is not). Ids are numbers, never text from a
/// request, so they are written into the statement rather than bound one by one: a report or a
/// feed names up to a thousand, and SQLite takes at most 32,766 bound parameters.
pub fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    let listed = ids.into_iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
    if listed.is_empty() { "NULL".to_owned() } else { listed }
}

/// Whether `url` names a PostgreSQL server; anything else is taken for SQLite.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens (creating if needed) the database at `url` and brings its schema up to date.
/// Replicas starting together take turns: on PostgreSQL the migrator holds an advisory lock;
/// on SQLite, where it takes none, a lock file beside the database stands in for it.
pub async fn connect(url: &str) -> Result<Pool, DatabaseError> {
    if is_postgres_url(url) {
        let pool = connect_postgres(url).await?;
        if let Pool::Postgres(postgres) = &pool {
            POSTGRES_MIGRATOR.run(postgres).await?;
        }
        return Ok(pool);
    }
    let options = sqlite_options(url)?;
    // Held from before the first connection (which switches the file to WAL) to the last migration.
    let _turn = migration_turn(options.get_filename()).await?;
    let pool = connect_sqlite_with(options).await?;
    if let Pool::Sqlite(sqlite, _) = &pool {
        SQLITE_MIGRATOR.run(sqlite).await?;
    }
    Ok(pool)
}

/// An exclusive lock on `<database>.migrating`, released when the file handle drops. Without it,
/// two processes opening a new database at once both try to create its tables, and one fails.
async fn migration_turn(database_file: &std::path::Path) -> Result<Option<std::fs::File>, DatabaseError> {
    if database_file.as_os_str().is_empty() || database_file == std::path::Path::new(":memory:") {
        return Ok(None);
    }
    let path = std::path::PathBuf::from(format!("{}.migrating", database_file.display()));
    let lock_path = path.clone();
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::options().create(true).truncate(false).write(true).open(&lock_path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|result| result);
    locked.map(Some).map_err(|source| DatabaseError::MigrationLock { path: path.display().to_string(), source })
}

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, DatabaseError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(DatabaseError::Url)?
        .create_if_missing(true)
        // WAL lets readers carry on while one writer writes; the busy timeout makes a second
        // writer wait its turn instead of failing with "database is locked".
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if let Some(folder) = options.get_filename().parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .map_err(|source| DatabaseError::Folder { path: folder.display().to_string(), source })?;
    }
    Ok(options)
}

async fn connect_sqlite_with(options: SqliteConnectOptions) -> Result<Pool, DatabaseError> {
    let pool = SqlitePoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A SQLite connection is a file opened by this process, which no outage can break; the
        // test sqlx does by default is one more round trip to the connection's thread for every
        // query (without it a settings page went from 2,625 to 2,921 requests/s).
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(DatabaseError::Connect)?;
    Ok(Pool::sqlite(pool))
}

async fn connect_postgres(url: &str) -> Result<Pool, DatabaseError> {
    let options = PgConnectOptions::from_str(url).map_err(DatabaseError::Url)?;
    let max_connections = match std::env::var("DATABASE_MAX_CONNECTIONS") {
        Err(_) => 10,
        Ok(value) => {
            value.parse::<u32>().ok().filter(|n| (2..=1000).contains(n)).ok_or(DatabaseError::MaxConnections(value))?
        }
    };
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // After an outage every pooled connection is broken at once; testing each before it is
        // handed out (one round trip) replaces them instead of failing the requests that get them.
        .test_before_acquire(true)
        .connect_with(options)
        .await
        .map_err(DatabaseError::Connect)?;
    Ok(Pool::Postgres(pool))
}

/// Databases made for one test and removed after it (`ScratchDatabase`, `fresh_database`): test
/// code, kept with the integration tests' fixture and compiled here only for the unit tests.
#[cfg(test)]
#[path = "../../tests/api/helpers/database.rs"]
pub mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    /// The list is valid SQL on both databases, empty or not, and matches what it names.
    #[tokio::test]
    async fn an_id_list_matches_its_ids_and_an_empty_one_nothing() {
        assert_eq!(id_list([3, 1, 4]), "3, 1, 4");
        let (pool, _scratch) = testing::fresh_database().await;
        let matching = |ids: Vec<i64>| {
            let sql = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 AS id UNION ALL SELECT 2) AS ids WHERE id IN ({})",
                id_list(ids)
            );
            let pool = pool.clone();
            async move { on_db!(pool.db(), |e| sqlx::query_scalar::<_, i64>(&sql).fetch_one(e).await).unwrap() }
        };
        assert_eq!(matching(vec![2, 5]).await, 1);
        assert_eq!(matching(vec![1, 2]).await, 2);
        assert_eq!(matching(Vec::new()).await, 0);
    }

    /// A database that customers used before versions and history existed keeps its data, and
    /// each resource's history starts with its creation.
    #[tokio::test]
    async fn resources_from_before_the_history_get_their_creation_on_record() {
        let scratch = testing::ScratchDatabase::new().await;
        let (pool, migrator) = match connect_raw(scratch.url()).await {
            pool @ Pool::Sqlite(..) => (pool, &SQLITE_MIGRATOR),
            pool @ Pool::Postgres(_) => (pool, &POSTGRES_MIGRATOR),
        };
        let first_only = Migrator {
            migrations: migrator.migrations[..1].to_vec().into(),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        };
        match &pool {
            Pool::Sqlite(sqlite, _) => first_only.run(sqlite).await.unwrap(),
            Pool::Postgres(postgres) => first_only.run(postgres).await.unwrap(),
        }
        on_db!(pool.db(), |e| sqlx::query(
            "INSERT INTO accounts (id, email, password_hash, created_at) VALUES (1, 'ada@example.com', 'x', 10)"
        )
        .execute(e)
        .await
        .map(|_| ()))
        .unwrap();
        on_db!(pool.db(), |e| sqlx::query(
            "INSERT INTO cdn_resources (account_id, custom_domain, origin, integration, websockets, created_at, updated_at) \
             VALUES (1, 'a.example.com', 'o.example.com', 'entire_website', FALSE, 20, 30)",
        )
        .execute(e)
        .await.map(|_| ()))
        .unwrap();
        pool.close().await;

        let pool = connect(scratch.url()).await.unwrap();
        let version: i64 =
            on_db!(pool.db(), |e| sqlx::query_scalar("SELECT version FROM cdn_resources").fetch_one(e).await).unwrap();
        assert_eq!(version, 1);
        let record: (i64, i64, String, Option<String>, String) = on_db!(pool.db(), |e| sqlx::query_as(
            "SELECT version, changed_at, action, old_value, new_value FROM resource_changes"
        )
        .fetch_one(e)
        .await)
        .unwrap();
        assert_eq!(record, (1, 20, "created".to_owned(), None, "off".to_owned()));
    }

    /// A pool without the migrations applied.
    async fn connect_raw(url: &str) -> Pool {
        if is_postgres_url(url) {
            connect_postgres(url).await.unwrap()
        } else {
            connect_sqlite_with(sqlite_options(url).unwrap()).await.unwrap()
        }
    }

    /// `make test` runs every database test twice; this says which database a run is on.
    #[tokio::test]
    async fn tests_run_on_the_database_the_environment_names() {
        let (pool, _guard) = testing::fresh_database().await;
        let postgres_named = std::env::var("TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty());
        assert_eq!(pool.is_postgres(), postgres_named);
        eprintln!("database tests run on {}", if postgres_named { "PostgreSQL" } else { "SQLite" });
    }

    #[test]
    fn unreachable_databases_are_told_apart_from_faults() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into())));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }

    #[test]
    fn scratch_databases_are_named_on_the_test_server() {
        assert_eq!(
            testing::database_url_for("postgres://portal@127.0.0.1:55432/postgres", "t1"),
            "postgres://portal@127.0.0.1:55432/t1"
        );
        assert_eq!(
            testing::database_url_for("postgres://portal@127.0.0.1:55432?sslmode=disable", "t1"),
            "postgres://portal@127.0.0.1:55432/t1?sslmode=disable"
        );
    }
}
