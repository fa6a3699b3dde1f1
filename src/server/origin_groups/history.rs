//! How a change to an origin group is recorded (`origin_group_changes`, migration 0009) and read
//! back. Values are stored as people read them, so history needs no decoding that a later
//! version of the portal could lose: the name; the origins one a line, `source` followed by
//! ` (backup)` and/or ` (disabled)`; `on`/`off`; the cases separated by `, ` (`none` for none).

use crate::domain::{EmailAddress, NextUpstreamPolicy, OriginSources, Timestamp};
use crate::error::AppError;
use crate::model::{ChangeSource, GroupSetting, OriginGroup, OriginGroupChange, on_off};
use crate::server::db::{Db, Pool, on_db};
use crate::server::resources::Actor;
use edge_feed::NextUpstream;

/// The origins as history stores them.
pub(super) fn sources_text(sources: &OriginSources) -> String {
    sources
        .as_slice()
        .iter()
        .map(|source| {
            let mut line = source.source.to_string();
            if source.backup {
                line.push_str(" (backup)");
            }
            if !source.enabled {
                line.push_str(" (disabled)");
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cases as history stores them.
pub(super) fn cases_text(cases: &[NextUpstream]) -> String {
    if cases.is_empty() {
        return "none".to_owned();
    }
    cases.iter().map(|case| case.as_str()).collect::<Vec<_>>().join(", ")
}

/// Each setting of `group` with its value as history stores it.
pub(super) fn values(name: &str, sources: &OriginSources, policy: &NextUpstreamPolicy) -> [(GroupSetting, String); 4] {
    [
        (GroupSetting::Name, name.to_owned()),
        (GroupSetting::Sources, sources_text(sources)),
        (GroupSetting::UseNext, on_off(policy.use_next()).to_owned()),
        (GroupSetting::ProxyNextUpstream, cases_text(policy.cases())),
    ]
}

/// Writes one history record; `old_value` is `None` for the values a group was created with.
/// The database refuses a group change without it (migration 0009).
pub(super) async fn record(
    db: Db<'_>,
    actor: &Actor,
    group: &OriginGroup,
    now: Timestamp,
    setting: GroupSetting,
    old_value: Option<&str>,
    new_value: &str,
) -> Result<(), AppError> {
    let action = if old_value.is_none() { "created" } else { "updated" };
    on_db!(db, |e| sqlx::query(
        "INSERT INTO origin_group_changes (origin_group_id, version, changed_at, account_id, source, \
         api_token_name, client_address, action, setting, old_value, new_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(group.id)
    .bind(group.version)
    .bind(now.unix_seconds())
    .bind(actor.account_id)
    .bind(actor.source.as_str())
    .bind(actor.api_token_name.as_deref())
    .bind(actor.client_address.map(|address| address.to_string()))
    .bind(action)
    .bind(setting.as_str())
    .bind(old_value)
    .bind(new_value)
    .execute(e)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The history of the account's group, newest first; [`AppError::NotFound`] for another
/// account's group.
pub async fn history(pool: &Pool, account_id: i64, id: i64) -> Result<Vec<OriginGroupChange>, AppError> {
    super::get(pool, account_id, id).await?;
    on_db!(pool.db(), |e| sqlx::query_as::<_, ChangeRow>(
        "SELECT c.version, c.changed_at, a.email, c.source, c.api_token_name, c.client_address, c.action, \
                c.setting, c.old_value, c.new_value \
         FROM origin_group_changes c JOIN accounts a ON a.id = c.account_id \
         WHERE c.origin_group_id = $1 ORDER BY c.version DESC, c.id ASC",
    )
    .bind(id)
    .fetch_all(e)
    .await)?
    .into_iter()
    .map(OriginGroupChange::try_from)
    .collect()
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    version: i64,
    changed_at: i64,
    email: String,
    source: String,
    api_token_name: Option<String>,
    client_address: Option<String>,
    action: String,
    setting: String,
    old_value: Option<String>,
    new_value: String,
}

impl TryFrom<ChangeRow> for OriginGroupChange {
    type Error = AppError;

    fn try_from(row: ChangeRow) -> Result<Self, AppError> {
        let corrupt = || AppError::internal("origin_group_changes row is invalid", format!("version {}", row.version));
        Ok(OriginGroupChange {
            version: row.version,
            changed_at: Timestamp::from_unix_seconds(row.changed_at),
            changed_by: EmailAddress::parse(&row.email).map_err(|_| corrupt())?,
            source: ChangeSource::parse(&row.source).ok_or_else(corrupt)?,
            api_token_name: row.api_token_name,
            client_address: row.client_address,
            created: row.action == "created",
            setting: GroupSetting::ALL.into_iter().find(|s| s.as_str() == row.setting).ok_or_else(corrupt)?,
            old_value: row.old_value,
            new_value: row.new_value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Origin, OriginSource};

    #[test]
    fn values_read_as_people_read_them() {
        let source =
            |text: &str, enabled, backup| OriginSource { source: Origin::parse(text).unwrap(), enabled, backup };
        let sources = OriginSources::new(vec![
            source("a.example.com:8080", true, false),
            source("b.example.com", true, true),
            source("c.example.com", false, true),
        ])
        .unwrap();
        assert_eq!(
            sources_text(&sources),
            "a.example.com:8080\nb.example.com (backup)\nc.example.com (backup) (disabled)"
        );
        assert_eq!(cases_text(&[]), "none");
        assert_eq!(cases_text(&[NextUpstream::Error, NextUpstream::Http503]), "error, http_503");
    }
}
