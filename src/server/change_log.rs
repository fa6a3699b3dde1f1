//! The portal's history tables, `resource_changes` (migrations 0002 to 0009) and
//! `origin_group_changes` (0009): one shape, written and read only here. Each row says who (the
//! account, and through the API the token's name), from where (the client's address), when, and
//! which setting went from what to what, as text; what the text means is the owner's
//! (`resources::history`, `origin_groups::history`).

use super::resources::Actor;
use crate::domain::{EmailAddress, Timestamp};
use crate::error::AppError;
use crate::model::ChangeSource;
use crate::server::db::{Db, on_db};

/// Which history: the table, and the column naming what changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeLog {
    Resources,
    OriginGroups,
}

impl ChangeLog {
    /// The table and its key column: fixed names, never from input.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            ChangeLog::Resources => ("resource_changes", "resource_id"),
            ChangeLog::OriginGroups => ("origin_group_changes", "origin_group_id"),
        }
    }
}

/// One change as stored: `action` is `created`, `updated` or (resources only) `defaulted`;
/// `old_value` is `None` at creation.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub setting: &'a str,
    pub action: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: &'a str,
}

/// Writes one record of the change to `id` that made `version`, in the caller's transaction: the
/// database refuses a change without its record (the history-guard triggers).
pub async fn record(
    db: Db<'_>,
    log: ChangeLog,
    actor: &Actor,
    id: i64,
    version: i64,
    now: Timestamp,
    entry: Entry<'_>,
) -> Result<(), AppError> {
    let (table, key) = log.table();
    let sql = format!(
        "INSERT INTO {table} ({key}, version, changed_at, account_id, source, \
         api_token_name, client_address, action, setting, old_value, new_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    on_db!(db, |e| sqlx::query(&sql)
        .bind(id)
        .bind(version)
        .bind(now.unix_seconds())
        .bind(actor.account_id)
        .bind(actor.source.as_str())
        .bind(actor.api_token_name.as_deref())
        .bind(actor.client_address.map(|address| address.to_string()))
        .bind(entry.action)
        .bind(entry.setting)
        .bind(entry.old_value)
        .bind(entry.new_value)
        .execute(e)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Every record of `id`, newest first (in a version, in the order written). The caller checks
/// first that `id` is the account's.
pub async fn read(db: Db<'_>, log: ChangeLog, id: i64) -> Result<Vec<Row>, AppError> {
    let (table, key) = log.table();
    let sql = format!(
        "SELECT c.version, c.changed_at, a.email, c.source, c.api_token_name, c.client_address, c.action, \
                c.setting, c.old_value, c.new_value \
         FROM {table} c JOIN accounts a ON a.id = c.account_id \
         WHERE c.{key} = $1 ORDER BY c.version DESC, c.id ASC"
    );
    Ok(on_db!(db, |e| sqlx::query_as::<_, Row>(&sql).bind(id).fetch_all(e).await)?)
}

/// One record as read.
#[derive(sqlx::FromRow)]
pub struct Row {
    pub version: i64,
    pub changed_at: i64,
    pub email: String,
    pub source: String,
    pub api_token_name: Option<String>,
    pub client_address: Option<String>,
    pub action: String,
    pub setting: String,
    pub old_value: Option<String>,
    pub new_value: String,
}

/// Who made a record's change, and when and how.
pub struct Author {
    pub changed_at: Timestamp,
    pub changed_by: EmailAddress,
    pub source: ChangeSource,
}

impl Row {
    /// The error for a row the portal could not have written, logged with the table and version.
    pub fn corrupt(&self, log: ChangeLog) -> AppError {
        AppError::internal(&format!("{} row is invalid", log.table().0), format!("version {}", self.version))
    }

    /// When, by whom and through what the change was made; [`Row::corrupt`] for a row whose email
    /// or source is not one the portal writes.
    pub fn author(&self, log: ChangeLog) -> Result<Author, AppError> {
        Ok(Author {
            changed_at: Timestamp::from_unix_seconds(self.changed_at),
            changed_by: EmailAddress::parse(&self.email).map_err(|_| self.corrupt(log))?,
            source: ChangeSource::parse(&self.source).ok_or_else(|| self.corrupt(log))?,
        })
    }
}
