//! The rows of `origin_groups` (migration 0009), and the reads.

use crate::domain::{NextUpstreamPolicy, OriginGroupName, OriginSources, Timestamp};
use crate::error::AppError;
use crate::model::{GroupUser, OriginGroup, OriginGroupUse};
use crate::server::db::{Db, Pool, id_list, on_db, to_completion};
use edge_feed::NextUpstream;
use std::collections::HashMap;

/// Every column a [`GroupRow`] reads, for `SELECT` and `RETURNING`.
pub(super) const COLUMNS: &str =
    "id, account_id, name, sources, use_next, proxy_next_upstream, created_at, updated_at, version";

/// A row of `origin_groups`, as stored; [`OriginGroup`] once checked.
#[derive(sqlx::FromRow)]
pub(super) struct GroupRow {
    id: i64,
    account_id: i64,
    name: String,
    sources: String,
    use_next: bool,
    proxy_next_upstream: String,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl TryFrom<GroupRow> for OriginGroup {
    type Error = AppError;

    fn try_from(row: GroupRow) -> Result<Self, AppError> {
        let corrupt = |error: &dyn std::fmt::Display| {
            AppError::internal(&format!("origin_groups row {} is invalid", row.id), error.to_string())
        };
        let cases: Vec<NextUpstream> = serde_json::from_str(&row.proxy_next_upstream).map_err(|e| corrupt(&e))?;
        Ok(OriginGroup {
            id: row.id,
            account_id: row.account_id,
            name: OriginGroupName::parse(&row.name).map_err(|e| corrupt(&e))?,
            sources: decode_sources(&row.sources).map_err(|e| corrupt(&e))?,
            next_upstream: NextUpstreamPolicy::new(row.use_next, cases).map_err(|e| corrupt(&e))?,
            created_at: Timestamp::from_unix_seconds(row.created_at),
            updated_at: Timestamp::from_unix_seconds(row.updated_at),
            version: row.version,
        })
    }
}

/// Sources as `origin_groups.sources` holds them: a JSON array of
/// `{"source", "enabled", "backup"}` in the customer's order (migration 0009 writes it too).
pub(super) fn encode_sources(sources: &OriginSources) -> String {
    serde_json::to_string(sources).expect("a list of origins is JSON")
}

pub(crate) fn decode_sources(stored: &str) -> Result<OriginSources, serde_json::Error> {
    serde_json::from_str(stored)
}

/// Cases as `origin_groups.proxy_next_upstream` holds them: a JSON array of Gcore's names.
pub(super) fn encode_cases(cases: &[NextUpstream]) -> String {
    serde_json::to_string(cases).expect("a list of names is JSON")
}

/// The account's group with this id, read with `db` (a transaction's or the pool's);
/// [`AppError::NotFound`] whether it does not exist or belongs to someone else.
pub(crate) async fn get_in(db: Db<'_>, account_id: i64, id: i64) -> Result<OriginGroup, AppError> {
    on_db!(db, |e| sqlx::query_as::<_, GroupRow>(&format!(
        "SELECT {COLUMNS} FROM origin_groups WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?
    .ok_or(AppError::NotFound)?
    .try_into()
}

/// The account's group with this id; [`AppError::NotFound`] whether it does not exist or
/// belongs to someone else, so that ids reveal nothing.
pub async fn get(pool: &Pool, account_id: i64, id: i64) -> Result<OriginGroup, AppError> {
    get_in(pool.db(), account_id, id).await
}

/// The account's group named exactly `name`, if any.
pub(super) async fn named(
    db: Db<'_>,
    account_id: i64,
    name: &OriginGroupName,
) -> Result<Option<OriginGroup>, AppError> {
    on_db!(db, |e| sqlx::query_as::<_, GroupRow>(&format!(
        "SELECT {COLUMNS} FROM origin_groups WHERE account_id = $1 AND name = $2"
    ))
    .bind(account_id)
    .bind(name.as_str())
    .fetch_optional(e)
    .await)?
    .map(OriginGroup::try_from)
    .transpose()
}

/// The resources that use the group, by custom domain.
pub(super) async fn users(db: Db<'_>, group_id: i64) -> Result<Vec<GroupUser>, AppError> {
    let rows: Vec<(i64, String)> = on_db!(db, |e| sqlx::query_as(
        "SELECT id, custom_domain FROM cdn_resources WHERE origin_group_id = $1 ORDER BY custom_domain"
    )
    .bind(group_id)
    .fetch_all(e)
    .await)?;
    rows.into_iter().map(user).collect()
}

fn user((id, custom_domain): (i64, String)) -> Result<GroupUser, AppError> {
    let custom_domain = crate::domain::DomainName::parse(&custom_domain)
        .map_err(|error| AppError::internal(&format!("cdn_resources row {id} is invalid"), error.to_string()))?;
    Ok(GroupUser { id, custom_domain })
}

/// The account's group with this id and the resources that use it, read together.
pub async fn get_with_users(pool: &Pool, account_id: i64, id: i64) -> Result<OriginGroupUse, AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_read().await?;
        let group = get_in(tx.db(), account_id, id).await?;
        let used_by = users(tx.db(), id).await?;
        tx.commit().await?;
        Ok(OriginGroupUse { group, used_by })
    })
    .await
}

/// Every group of the account, by name, each with the resources that use it (by custom domain),
/// read in one transaction.
pub async fn list(pool: &Pool, account_id: i64) -> Result<Vec<OriginGroupUse>, AppError> {
    let pool = pool.clone();
    to_completion(async move { list_in(&pool, account_id).await }).await
}

async fn list_in(pool: &Pool, account_id: i64) -> Result<Vec<OriginGroupUse>, AppError> {
    let mut tx = pool.begin_read().await?;
    let groups: Vec<OriginGroup> = on_db!(tx.db(), |e| sqlx::query_as::<_, GroupRow>(&format!(
        "SELECT {COLUMNS} FROM origin_groups WHERE account_id = $1 ORDER BY name, id"
    ))
    .bind(account_id)
    .fetch_all(e)
    .await)?
    .into_iter()
    .map(OriginGroup::try_from)
    .collect::<Result<_, _>>()?;
    let rows: Vec<(i64, i64, String)> = on_db!(tx.db(), |e| sqlx::query_as(
        "SELECT origin_group_id, id, custom_domain FROM cdn_resources WHERE account_id = $1 ORDER BY custom_domain"
    )
    .bind(account_id)
    .fetch_all(e)
    .await)?;
    tx.commit().await?;
    let mut used: HashMap<i64, Vec<GroupUser>> = HashMap::new();
    for (group, id, domain) in rows {
        used.entry(group).or_default().push(user((id, domain))?);
    }
    Ok(groups
        .into_iter()
        .map(|group| OriginGroupUse { used_by: used.remove(&group.id).unwrap_or_default(), group })
        .collect())
}

/// The groups with these ids, whatever their account, by id: what the feed sends with the
/// resources that use them.
pub(crate) async fn by_ids(db: Db<'_>, ids: &[i64]) -> Result<HashMap<i64, OriginGroup>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let listed = id_list(ids.iter().copied());
    on_db!(db, |e| sqlx::query_as::<_, GroupRow>(&format!(
        "SELECT {COLUMNS} FROM origin_groups WHERE id IN ({listed})"
    ))
    .fetch_all(e)
    .await)?
    .into_iter()
    .map(|row| OriginGroup::try_from(row).map(|group| (group.id, group)))
    .collect()
}
