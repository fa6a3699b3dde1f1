//! Databases made for one test and removed after it: a SQLite file in its own folder, or, when
//! `TEST_POSTGRES_URL` names a PostgreSQL server (`scripts/test-postgres.sh` starts a throwaway
//! one), a new database on that server. Every database test runs on whichever the environment chose.
//!
//! Test code only, and written once for two crates: the integration tests include it as a module
//! of their fixture, and the library's own unit tests as `server::db::testing` (under
//! `#[cfg(test)]`, by `#[path]`), so none of it is compiled into the portal. It uses only what the
//! library makes public; both parents bring [`Pool`] and [`connect`] into scope for it.

use super::{Pool, connect};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that names the PostgreSQL server of a PostgreSQL pass.
const POSTGRES_URL_VARIABLE: &str = "TEST_POSTGRES_URL";

/// One test's database, dropped (folder deleted, or `DROP DATABASE … WITH (FORCE)`) with this value.
pub struct ScratchDatabase {
    url: String,
    /// SQLite: the folder holding the file. PostgreSQL: the server and the database's name.
    place: Place,
}

enum Place {
    Folder(std::path::PathBuf),
    Server { admin_url: String, name: String },
}

impl ScratchDatabase {
    /// A new database on PostgreSQL when `TEST_POSTGRES_URL` is set (and not empty), else SQLite.
    /// Panics if the PostgreSQL server named cannot be reached.
    pub async fn new() -> Self {
        match postgres_server() {
            Some(admin_url) => Self::on_server(admin_url).await,
            None => Self::sqlite(),
        }
    }

    /// A new database on the PostgreSQL server of a PostgreSQL pass. Panics, failing the test,
    /// when no server is named: a test that needs PostgreSQL never passes without one.
    pub async fn postgres() -> Self {
        let admin_url = postgres_server().unwrap_or_else(|| {
            panic!("{POSTGRES_URL_VARIABLE} is not set: this test needs PostgreSQL; run it through scripts/test-postgres.sh")
        });
        Self::on_server(admin_url).await
    }

    /// A new SQLite database, whatever the environment names.
    pub fn sqlite() -> Self {
        let folder = std::env::temp_dir().join(format!("portal-test-{}", unique()));
        std::fs::create_dir_all(&folder).unwrap();
        let url = format!("sqlite://{}", folder.join("portal.db").display());
        Self { url, place: Place::Folder(folder) }
    }

    async fn on_server(admin_url: String) -> Self {
        let name = format!("portal_test_{}", unique());
        let mut admin = PgConnection::connect_with(&PgConnectOptions::from_str(&admin_url).unwrap())
            .await
            .unwrap_or_else(|error| panic!("{POSTGRES_URL_VARIABLE} {admin_url}: {error}"));
        sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        let url = database_url_for(&admin_url, &name);
        Self { url, place: Place::Server { admin_url, name } }
    }

    /// `sqlite://…/portal.db` or `postgres://…/portal_test_…`, for `DATABASE_URL` or [`connect`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database, migrated, as the portal opens it.
    pub async fn connect(&self) -> Pool {
        connect(self.url()).await.expect("a scratch database opens and migrates")
    }
}

/// The PostgreSQL server the environment names, if any.
fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_URL_VARIABLE).ok().filter(|url| !url.is_empty())
}

/// Unique across this process's tests and across processes that run at once.
fn unique() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
    )
}

/// `admin_url` with its database name replaced by `name`.
pub(super) fn database_url_for(admin_url: &str, name: &str) -> String {
    let (before_query, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let server = match before_query.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &before_query[..slash],
        _ => before_query,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        match &self.place {
            Place::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            // Dropped inside a runtime, so the removal runs on a thread of its own. The
            // throwaway server is removed after the tests anyway; this keeps it small.
            Place::Server { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(async {
                        if let Ok(options) = PgConnectOptions::from_str(&admin_url)
                            && let Ok(mut admin) = PgConnection::connect_with(&options).await
                        {
                            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::Executor::execute(&mut admin, drop.as_str()).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A new, migrated database on whichever the environment chose, removed when the guard drops.
pub async fn fresh_database() -> (Pool, ScratchDatabase) {
    let scratch = ScratchDatabase::new().await;
    (scratch.connect().await, scratch)
}
