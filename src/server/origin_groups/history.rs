//! How a change to an origin group is recorded (`origin_group_changes`, migration 0009) and read
//! back. Values are stored as people read them, so history needs no decoding that a later
//! version of the portal could lose: the name; the origins one a line, `source` followed by
//! ` (backup)` and/or ` (disabled)`; `on`/`off`; the cases separated by `, ` (`none` for none).

use crate::domain::{NextUpstreamPolicy, OriginSources, Timestamp};
use crate::error::AppError;
use crate::model::{GroupSetting, OriginGroup, OriginGroupChange, on_off};
use crate::server::change_log::{self, ChangeLog, Entry, Row};
use crate::server::db::{Db, Pool};
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
    let entry = Entry { setting: setting.as_str(), action, old_value, new_value };
    change_log::record(db, ChangeLog::OriginGroups, actor, group.id, group.version, now, entry).await
}

/// The history of the account's group, newest first; [`AppError::NotFound`] for another
/// account's group.
pub async fn history(pool: &Pool, account_id: i64, id: i64) -> Result<Vec<OriginGroupChange>, AppError> {
    super::get(pool, account_id, id).await?;
    let rows = change_log::read(pool.db(), ChangeLog::OriginGroups, id).await?;
    rows.into_iter().map(group_change).collect()
}

/// A record read back as the change it stands for.
fn group_change(row: Row) -> Result<OriginGroupChange, AppError> {
    let log = ChangeLog::OriginGroups;
    let author = row.author(log)?;
    let setting = GroupSetting::ALL.into_iter().find(|setting| setting.as_str() == row.setting);
    let setting = setting.ok_or_else(|| row.corrupt(log))?;
    Ok(OriginGroupChange {
        version: row.version,
        changed_at: author.changed_at,
        changed_by: author.changed_by,
        source: author.source,
        api_token_name: row.api_token_name,
        client_address: row.client_address,
        created: row.action == "created",
        setting,
        old_value: row.old_value,
        new_value: row.new_value,
    })
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
