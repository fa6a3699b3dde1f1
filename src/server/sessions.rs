//! Sessions are kept in the portal's own database, whichever it is, so that every replica on
//! one PostgreSQL server knows every customer's session.

use super::db::Pool;
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Clone, Debug)]
pub enum SessionStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionStore {
    pub fn new(pool: &Pool) -> Self {
        match pool {
            Pool::Sqlite(pool, _) => Self::Sqlite(SqliteStore::new(pool.clone())),
            Pool::Postgres(pool) => Self::Postgres(PostgresStore::new(pool.clone())),
        }
    }

    /// Creates the session table if it is missing. Replicas starting together may race to
    /// create it (PostgreSQL's `IF NOT EXISTS` is not safe against that), so a failure is tried
    /// again once the other has finished.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut attempts = 0;
        loop {
            let result = match self {
                Self::Sqlite(store) => store.migrate().await,
                Self::Postgres(store) => store.migrate().await,
            };
            attempts += 1;
            match result {
                Err(error) if attempts < 3 => {
                    tracing::warn!(%error, "creating the session table failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                result => return result,
            }
        }
    }
}

#[async_trait]
impl tower_sessions::SessionStore for SessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete_expired().await,
            Self::Postgres(store) => store.delete_expired().await,
        }
    }
}
