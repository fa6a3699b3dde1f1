use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub type Pool = sqlx::SqlitePool;

/// Runs a transaction to its end even if the request that began it goes away. Dropped half-way
/// (the client hung up while its save waited for the write lock), a transaction can leave its
/// pooled connection inside an open `BEGIN`: holding SQLite's write lock, and answering every
/// later `BEGIN` on that connection with an error. Measured: after 50 clients saving were cut off
/// at once, later saves failed with 500 until the portal restarted.
pub async fn to_completion<T: Send + 'static>(
    work: impl Future<Output = Result<T, crate::error::AppError>> + Send + 'static,
) -> Result<T, crate::error::AppError> {
    tokio::spawn(work)
        .await
        .map_err(|error| crate::error::AppError::internal("a database task stopped", error))?
}

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

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
}

/// Opens (creating if needed) the database at `url` and brings its schema up to date.
pub async fn connect(url: &str) -> Result<Pool, DatabaseError> {
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
        std::fs::create_dir_all(folder).map_err(|source| DatabaseError::Folder {
            path: folder.display().to_string(),
            source,
        })?;
    }
    let pool = SqlitePoolOptions::new().connect_with(options).await.map_err(DatabaseError::Connect)?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A new, migrated database in its own temporary folder, removed when the guard drops.
    pub async fn fresh_database() -> (Pool, tempfile::TempDir) {
        let folder = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", folder.path().join("portal.db").display());
        (connect(&url).await.expect("fresh database"), folder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that customers used before versions and history existed keeps its data, and
    /// each resource's history starts with its creation.
    #[tokio::test]
    async fn resources_from_before_the_history_get_their_creation_on_record() {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("old.db").display());
        let options = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true).foreign_keys(true);
        let pool = SqlitePoolOptions::new().connect_with(options).await.unwrap();
        let first_only = Migrator {
            migrations: MIGRATOR.migrations[..1].to_vec().into(),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        };
        first_only.run(&pool).await.unwrap();
        sqlx::query("INSERT INTO accounts (id, email, password_hash, created_at) VALUES (1, 'ada@example.com', 'x', 10)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO cdn_resources (account_id, custom_domain, origin, integration, websockets, created_at, updated_at) \
             VALUES (1, 'a.example.com', 'o.example.com', 'entire_website', 0, 20, 30)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let pool = connect(&url).await.unwrap();
        let (version,): (i64,) = sqlx::query_as("SELECT version FROM cdn_resources").fetch_one(&pool).await.unwrap();
        assert_eq!(version, 1);
        let record: (i64, i64, String, Option<String>, String) =
            sqlx::query_as("SELECT version, changed_at, action, old_value, new_value FROM resource_changes")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(record, (1, 20, "created".to_owned(), None, "off".to_owned()));
    }
}

