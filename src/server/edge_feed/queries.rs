//! The SQL behind the feed: the snapshot, the changes after a version, the edges' reports, and
//! how far a resource's change has reached them. Versions are `u64` in the feed and BIGINT
//! (`i64`) in SQL; they are converted here, and only here.

use crate::error::AppError;
use crate::model::{CdnResource, OriginGroup, Rollout};
use crate::server::db::{Db, Pool, id_list, on_db, to_completion};
use crate::server::{certificates, origin_groups, resources};
use ::edge_feed::{ConfigUpdate, EdgeResource, ResourceId, ResourceOptions, Version};
use std::collections::BTreeSet;
use std::time::Duration;

/// An edge that has not reported for this long no longer counts as serving.
pub const EDGE_SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// A resource as the edges get it, with its origin group (`group`, the one
/// `resource.origin_group` names). This is where each option's value in force (not the
/// customer's setting, which may not be enabled) meets the feed's wire format,
/// [`ResourceOptions`], and the group meets [`edge_feed::OriginGroup`]: its enabled origins
/// only, in order, and `origin` the first enabled primary, for edges from before groups. `tls`
/// is the resource's certificate with its key opened (`tls_of`), given only while HTTPS is on.
///
/// `origin_ca` is the PEM of the trusted CA the resource names (Gcore's `proxy_ssl_ca`,
/// migration 0011), which the edge trusts beside the system's roots for an HTTPS origin.
fn edge_resource(
    resource: CdnResource,
    group: &OriginGroup,
    tls: Option<::edge_feed::TlsCertificate>,
    origin_ca: Option<String>,
) -> EdgeResource {
    EdgeResource {
        id: resource.id,
        domain: resource.custom_domain.to_string(),
        secondary_hostnames: resource.secondary_hostnames.as_slice().iter().map(ToString::to_string).collect(),
        origin: group.sources.first_primary().to_string(),
        origin_group: Some(::edge_feed::OriginGroup {
            id: group.id,
            sources: group
                .sources
                .enabled()
                .map(|source| ::edge_feed::OriginSource { source: source.source.to_string(), backup: source.backup })
                .collect(),
            use_next: group.next_upstream.use_next(),
            proxy_next_upstream: group.next_upstream.cases().to_vec(),
        }),
        origin_protocol: resource.origin_protocol,
        tls,
        origin_ca,
        options: ResourceOptions { websockets: resource.options_in_force.websockets },
    }
}

/// The active resources (all, or those changed after `changed_after`) as the edges get them,
/// each with its origin group, read with `db` (one transaction).
async fn edge_resources(db: &mut Db<'_>, changed_after: Option<i64>) -> Result<Vec<EdgeResource>, AppError> {
    let resources = resources::active(db.reborrow(), changed_after).await?;
    let groups =
        origin_groups::by_ids(db.reborrow(), &distinct_ids(resources.iter().map(|r| Some(r.origin_group.id)))).await?;
    let in_use = distinct_ids(resources.iter().map(|r| r.ssl_data.filter(|_| r.ssl_enabled)));
    let certificates = certificates::tls_by_ids(db.reborrow(), &in_use).await?;
    let trusted = distinct_ids(resources.iter().map(|r| r.proxy_ssl_ca));
    let origin_cas = certificates::origin_cas_by_ids(db.reborrow(), &trusted).await?;
    resources
        .into_iter()
        .map(|resource| {
            let group = groups.get(&resource.origin_group.id).ok_or_else(|| {
                AppError::internal("a resource's origin group is missing", resource.origin_group.id.to_string())
            })?;
            let tls =
                match resource.ssl_data.filter(|_| resource.ssl_enabled) {
                    Some(id) => Some(certificates.get(&id).cloned().ok_or_else(|| {
                        AppError::internal("a resource's SSL certificate is missing", id.to_string())
                    })?),
                    None => None,
                };
            let origin_ca = match resource.proxy_ssl_ca {
                Some(id) => Some(origin_cas.get(&id).cloned().ok_or_else(|| {
                    AppError::internal("a resource's trusted CA certificate is missing", id.to_string())
                })?),
                None => None,
            };
            Ok(edge_resource(resource, group, tls, origin_ca))
        })
        .collect()
}

/// The ids named, each once and in order, for one `IN (…)` query per kind.
fn distinct_ids(ids: impl Iterator<Item = Option<i64>>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.flatten().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A version as SQL stores it, or [`AppError::BadRequest`] past `i64::MAX`: no portal's version
/// gets there, so whoever sent it sent nonsense.
fn version_to_sql(version: Version) -> Result<i64, AppError> {
    i64::try_from(version).map_err(|_| AppError::BadRequest)
}

/// A version from SQL, or [`AppError::Internal`] (logged) for a negative one, which the
/// migrations' sequence never gives.
fn version_from_sql(version: i64) -> Result<Version, AppError> {
    Version::try_from(version)
        .map_err(|_| AppError::internal("a negative configuration version in the database", version.to_string()))
}

/// Every active resource, at the version they make up, read in one transaction.
pub async fn snapshot(pool: &Pool) -> Result<ConfigUpdate, AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_read().await?;
        let update = snapshot_in(&mut tx.db()).await?;
        tx.commit().await?;
        Ok(update)
    })
    .await
}

async fn snapshot_in(db: &mut Db<'_>) -> Result<ConfigUpdate, AppError> {
    let version = current_version(db).await?;
    let resources = edge_resources(db, None).await?;
    Ok(ConfigUpdate::snapshot(version, resources))
}

/// What changed after `after`, read in one transaction so that the version and the rows agree;
/// `None` when nothing did. A version the portal never reached (its data was replaced) gets a
/// whole snapshot instead.
pub async fn changes_after(pool: &Pool, after: Version) -> Result<Option<ConfigUpdate>, AppError> {
    let pool = pool.clone();
    to_completion(async move { changes_after_in(&pool, after).await }).await
}

async fn changes_after_in(pool: &Pool, after: Version) -> Result<Option<ConfigUpdate>, AppError> {
    let mut tx = pool.begin_read().await?;
    let mut db = tx.db();
    let version = current_version(&mut db).await?;
    let update = if version == after {
        None
    } else if after > version {
        Some(snapshot_in(&mut db).await?)
    } else {
        // Each changed resource once, with its row, or without one when it was removed or
        // deactivated: edges serve only active resources.
        let after = version_to_sql(after)?;
        let changed = on_db!(db.reborrow(), |e| sqlx::query_scalar::<_, ResourceId>(
            "SELECT DISTINCT resource_id FROM config_changes WHERE version > $1 ORDER BY resource_id"
        )
        .bind(after)
        .fetch_all(e)
        .await)?;
        let resources: Vec<EdgeResource> = edge_resources(&mut db, Some(after)).await?;
        // The rest were removed or deactivated: edges serve only active resources.
        let active: BTreeSet<ResourceId> = resources.iter().map(|resource| resource.id).collect();
        let removed = changed.into_iter().filter(|id| !active.contains(id)).collect();
        Some(ConfigUpdate::changes(version, resources, removed))
    };
    tx.commit().await?;
    Ok(update)
}

/// The latest configuration version, 0 before any change.
pub(super) async fn current_version(db: &mut Db<'_>) -> Result<Version, AppError> {
    let version: i64 =
        on_db!(db.reborrow(), |e| sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM config_changes")
            .fetch_one(e)
            .await)?;
    version_from_sql(version)
}

/// Records that the edge named `edge` serves `version` now; [`AppError::BadRequest`] for a
/// version past what SQL holds.
pub async fn record_status(pool: &Pool, edge: &str, version: Version) -> Result<(), AppError> {
    let version = version_to_sql(version)?;
    let now = crate::domain::Timestamp::now().unix_seconds();
    on_db!(pool.db(), |e| {
        sqlx::query(
        "INSERT INTO edge_status (edge_id, applied_version, reported_at) VALUES ($1, $2, $3) \
         ON CONFLICT (edge_id) DO UPDATE SET applied_version = excluded.applied_version, reported_at = excluded.reported_at",
    )
    .bind(edge)
    .bind(version)
    .bind(now)
    .execute(e)
    .await.map(|_| ())
    })?;
    Ok(())
}

/// How far the resource's latest change has reached: of the edges that reported recently, how
/// many serve a configuration that includes it. The caller has checked the resource is the account's.
pub async fn rollout(pool: &Pool, resource_id: i64) -> Result<Rollout, AppError> {
    Ok(rollouts(pool, &[resource_id]).await?.pop().unwrap_or(Rollout { edges: 0, applied: 0 }))
}

/// [`rollout`] of each of `resource_ids`, in their order, read in one transaction with one
/// query for the edges and one for the resources (a page of the API's list needs them all).
pub async fn rollouts(pool: &Pool, resource_ids: &[i64]) -> Result<Vec<Rollout>, AppError> {
    let (pool, ids) = (pool.clone(), resource_ids.to_vec());
    to_completion(async move { rollouts_in(&pool, &ids).await }).await
}

async fn rollouts_in(pool: &Pool, resource_ids: &[i64]) -> Result<Vec<Rollout>, AppError> {
    if resource_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin_read().await?;
    let mut db = tx.db();
    // The version each resource needs an edge to serve: that of its latest change.
    let listed = id_list(resource_ids.iter().copied());
    let needed: Vec<(i64, i64)> = on_db!(db.reborrow(), |e| sqlx::query_as(&format!(
        "SELECT resource_id, MAX(version) FROM config_changes WHERE resource_id IN ({listed}) GROUP BY resource_id"
    ))
    .fetch_all(e)
    .await)?;
    let since = crate::domain::Timestamp::now().unix_seconds() - EDGE_SILENCE_LIMIT.as_secs() as i64;
    let served: Vec<i64> = on_db!(db.reborrow(), |e| sqlx::query_scalar(
        "SELECT applied_version FROM edge_status WHERE reported_at >= $1"
    )
    .bind(since)
    .fetch_all(e)
    .await)?;
    tx.commit().await?;
    let needed: std::collections::HashMap<i64, i64> = needed.into_iter().collect();
    Ok(resource_ids
        .iter()
        .map(|id| {
            let needed = needed.get(id).copied().unwrap_or(0);
            let applied = served.iter().filter(|version| **version >= needed).count();
            Rollout { edges: served.len() as u32, applied: applied as u32 }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EmailAddress, Integration, Timestamp};
    use crate::server::resources::{self, Actor, NewResource};
    use crate::server::{accounts, db::testing::fresh_database};

    async fn owner(pool: &Pool) -> Actor {
        let email = EmailAddress::parse("ada@example.com").unwrap();
        let id = accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
        Actor::portal(id, None)
    }

    async fn create(pool: &Pool, actor: &Actor, domain: &str) -> i64 {
        let new = NewResource::parse(domain, "127.0.0.1:8090", Some(Integration::EntireWebsite.as_str())).unwrap();
        resources::create(pool, actor, &new).await.unwrap().id
    }

    #[tokio::test]
    async fn a_snapshot_then_only_what_changed() {
        let (pool, _guard) = fresh_database().await;
        let actor = owner(&pool).await;
        assert_eq!(snapshot(&pool).await.unwrap(), ConfigUpdate::snapshot(0, vec![]));
        let first = create(&pool, &actor, "a.example.com").await;
        let second = create(&pool, &actor, "b.example.com").await;

        let start = snapshot(&pool).await.unwrap();
        assert_eq!(start.version, 2);
        assert_eq!(
            start.resources.iter().map(|r| r.domain.as_str()).collect::<Vec<_>>(),
            ["a.example.com", "b.example.com"]
        );
        assert_eq!(changes_after(&pool, 2).await.unwrap(), None, "nothing new");

        resources::set_websockets(&pool, &actor, second, 1, false, Timestamp::now()).await.unwrap();
        let update = changes_after(&pool, 2).await.unwrap().unwrap();
        assert_eq!((update.version, update.full), (3, false));
        assert_eq!(
            update.resources,
            vec![EdgeResource {
                id: second,
                domain: "b.example.com".into(),
                secondary_hostnames: vec![],
                origin: "127.0.0.1:8090".into(),
                origin_group: Some(::edge_feed::OriginGroup {
                    id: 1,
                    sources: vec![::edge_feed::OriginSource { source: "127.0.0.1:8090".into(), backup: false }],
                    use_next: false,
                    proxy_next_upstream: vec![::edge_feed::NextUpstream::Error, ::edge_feed::NextUpstream::Timeout],
                }),
                origin_protocol: ::edge_feed::OriginProtocol::Http,
                tls: None,
                origin_ca: None,
                options: ResourceOptions { websockets: false }
            }]
        );

        on_db!(pool.db(), |e| sqlx::query("DELETE FROM cdn_resources WHERE id = $1")
            .bind(first)
            .execute(e)
            .await
            .map(|_| ()))
        .unwrap();
        let update = changes_after(&pool, 3).await.unwrap().unwrap();
        assert_eq!((update.version, update.removed.as_slice(), update.resources.len()), (4, [first].as_slice(), 0));
        assert!(changes_after(&pool, 99).await.unwrap().unwrap().full, "an unknown future version gets a snapshot");
    }

    #[tokio::test]
    async fn versions_never_repeat_even_after_deletions() {
        let (pool, _guard) = fresh_database().await;
        let actor = owner(&pool).await;
        let id = create(&pool, &actor, "a.example.com").await;
        on_db!(pool.db(), |e| sqlx::query("DELETE FROM cdn_resources WHERE id = $1")
            .bind(id)
            .execute(e)
            .await
            .map(|_| ()))
        .unwrap();
        on_db!(pool.db(), |e| sqlx::query("DELETE FROM config_changes").execute(e).await.map(|_| ())).unwrap();
        create(&pool, &actor, "b.example.com").await;
        assert_eq!(snapshot(&pool).await.unwrap().version, 3);
    }

    #[tokio::test]
    async fn a_change_is_live_once_every_reporting_edge_serves_it() {
        let (pool, _guard) = fresh_database().await;
        let actor = owner(&pool).await;
        let id = create(&pool, &actor, "a.example.com").await;
        assert_eq!(rollout(&pool, id).await.unwrap(), Rollout { edges: 0, applied: 0 });
        record_status(&pool, "edge-1", 1).await.unwrap();
        record_status(&pool, "edge-2", 0).await.unwrap();
        assert_eq!(rollout(&pool, id).await.unwrap(), Rollout { edges: 2, applied: 1 });
        record_status(&pool, "edge-2", 1).await.unwrap();
        assert!(rollout(&pool, id).await.unwrap().is_live());
        resources::set_websockets(&pool, &actor, id, 1, false, Timestamp::now()).await.unwrap();
        assert_eq!(rollout(&pool, id).await.unwrap(), Rollout { edges: 2, applied: 0 }, "pending again");
        on_db!(pool.db(), |e| sqlx::query("UPDATE edge_status SET reported_at = 0 WHERE edge_id = 'edge-1'")
            .execute(e)
            .await
            .map(|_| ()))
        .unwrap();
        assert_eq!(rollout(&pool, id).await.unwrap().edges, 1, "a silent edge no longer counts");
    }
}
