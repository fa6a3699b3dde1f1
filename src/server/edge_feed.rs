//! The configuration feed that CDN edges follow: a snapshot of what every resource needs at the
//! edge, then the changes after a version, answered as soon as they are committed (long
//! polling). Edges authenticate with a token shared by configuration, never with a customer's
//! session, and report back which version they serve.

use super::db::{Db, Pool, run, to_completion};
use super::http_error::{Credentials, ErrorHead};
use crate::error::AppError;
use crate::model::Rollout;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Wakes the feed's waiting requests when a change is committed in this process.
#[derive(Clone)]
pub struct ConfigChanges(Arc<watch::Sender<()>>);

impl Default for ConfigChanges {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(())))
    }
}

impl ConfigChanges {
    pub fn committed(&self) {
        self.0.send_replace(());
    }

    fn subscribe(&self) -> watch::Receiver<()> {
        self.0.subscribe()
    }
}

/// Wakes this replica's waiting edges whenever any replica on the same PostgreSQL server commits
/// a configuration change, for as long as the portal runs. While the database is unreachable it
/// tries again every second; once listening again it wakes everyone, in case a change was missed.
pub async fn wake_on_other_replicas_changes(pool: PgPool, changes: ConfigChanges) {
    loop {
        if let Err(error) = listen_for_changes(&pool, &changes).await {
            tracing::warn!(%error, "not listening for other replicas' changes; trying again");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// SQLite has no notifications: one task per process watches the configuration version, so
/// that a change saved by another process over the same file wakes this one's edges within
/// [`OTHER_PROCESSES_POLL`], for one cheap query per interval however many edges wait.
pub async fn wake_on_other_processes_changes(pool: Pool, changes: ConfigChanges) {
    let mut seen = None;
    let mut ticks = tokio::time::interval(OTHER_PROCESSES_POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Ok(version) = current_version(&mut pool.db()).await else { continue };
        if seen.is_some_and(|seen| seen != version) {
            changes.committed();
        }
        seen = Some(version);
    }
}

async fn listen_for_changes(pool: &PgPool, changes: &ConfigChanges) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANGES_CHANNEL).await?;
    changes.committed();
    loop {
        listener.recv().await?;
        changes.committed();
    }
}

#[derive(Clone)]
pub struct EdgeFeed {
    pool: Pool,
    token: Arc<str>,
    changes: ConfigChanges,
}

/// The longest an edge may ask the portal to hold a request for changes.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// Each waiting request also looks again this often, in case a wake-up was missed.
const RECHECK: Duration = Duration::from_millis(500);
/// On SQLite, how often one task per process looks for changes that other processes committed
/// (on PostgreSQL they are announced, see [`wake_on_other_replicas_changes`]).
const OTHER_PROCESSES_POLL: Duration = Duration::from_millis(50);
/// The channel that migration 0003's trigger notifies on PostgreSQL for every configuration version.
const CHANGES_CHANNEL: &str = "config_changes";
/// An edge that has not reported for this long no longer counts as serving.
pub const EDGE_SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// One message of the feed.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct ConfigUpdate {
    pub version: i64,
    /// A whole snapshot, replacing everything the edge has.
    pub full: bool,
    pub resources: Vec<EdgeResource>,
    /// Ids of resources that no longer exist.
    pub removed: Vec<i64>,
}

/// What an edge needs of a resource, and nothing more.
#[derive(Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EdgeResource {
    pub id: i64,
    pub domain: String,
    pub origin: String,
    pub websockets: bool,
}

impl EdgeFeed {
    pub fn new(pool: Pool, token: String, changes: ConfigChanges) -> Self {
        Self { pool, token: token.into(), changes }
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        constant_time_eq(presented.as_bytes(), self.token.as_bytes())
    }
}

/// Compares without stopping at the first difference, so that timing does not give the token away.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    after: Option<i64>,
    wait_ms: Option<u64>,
}

/// `GET /edge/v1/config`: the snapshot; `?after=N&wait_ms=W`: the changes after version N, held
/// up to W ms until there are some (204 if none came).
pub async fn config(State(feed): State<EdgeFeed>, headers: HeaderMap, Query(query): Query<FeedQuery>) -> Response {
    if !feed.authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, "edge feed token required\n").into_response();
    }
    let Some(after) = query.after else {
        return match snapshot(&feed.pool).await {
            Ok(update) => Json(update).into_response(),
            Err(error) => error_response(error),
        };
    };
    let wait = Duration::from_millis(query.wait_ms.unwrap_or(0)).min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribed before looking, so that a change committed in between still wakes us.
    let mut changed = feed.changes.subscribe();
    loop {
        match changes_after(&feed.pool, after).await {
            Ok(Some(update)) => return Json(update).into_response(),
            Ok(None) => {}
            Err(error) => return error_response(error),
        }
        tokio::select! {
            _ = changed.changed() => {}
            _ = tokio::time::sleep(RECHECK) => {}
            _ = tokio::time::sleep_until(deadline) => return StatusCode::NO_CONTENT.into_response(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReport {
    edge: String,
    version: i64,
}

/// `POST /edge/v1/status` `{"edge": "edge-1", "version": N}`: this edge serves version N.
pub async fn status(
    State(feed): State<EdgeFeed>,
    headers: HeaderMap,
    report: Result<Json<StatusReport>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if !feed.authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, "edge feed token required\n").into_response();
    }
    let Ok(Json(report)) = report else {
        return (StatusCode::BAD_REQUEST, "expected {\"edge\": name, \"version\": number}\n").into_response();
    };
    let valid_name = (1..=64).contains(&report.edge.len())
        && report.edge.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !valid_name || report.version < 0 {
        return (StatusCode::UNPROCESSABLE_ENTITY, "edge names are 1-64 letters, digits, '.', '_' or '-'\n")
            .into_response();
    }
    match record_status(&feed.pool, &report.edge, report.version).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error_response(error),
    }
}

/// Edges keep serving what they have and ask again; either way the details stay in our log.
fn error_response(error: AppError) -> Response {
    ErrorHead::of(&error, Credentials::Bearer).respond("the feed is unavailable, try again\n")
}

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
    let resources = run!(db.reborrow(), |e| sqlx::query_as::<_, EdgeResource>(
        "SELECT id, custom_domain AS domain, origin, websockets FROM cdn_resources WHERE active ORDER BY id",
    )
    .fetch_all(e)
    .await)?;
    Ok(ConfigUpdate { version, full: true, resources, removed: Vec::new() })
}

/// What changed after `after`, read in one transaction so that the version and the rows agree;
/// `None` when nothing did. A version the portal never reached (its data was replaced) gets a
/// whole snapshot instead.
pub async fn changes_after(pool: &Pool, after: i64) -> Result<Option<ConfigUpdate>, AppError> {
    let pool = pool.clone();
    to_completion(async move { changes_after_in(&pool, after).await }).await
}

async fn changes_after_in(pool: &Pool, after: i64) -> Result<Option<ConfigUpdate>, AppError> {
    let mut tx = pool.begin_read().await?;
    let mut db = tx.db();
    let version = current_version(&mut db).await?;
    let update = if version == after {
        None
    } else if after > version || after < 0 {
        Some(snapshot_in(&mut db).await?)
    } else {
        // Each changed resource once, with its row, or without one when it was removed or
        // deactivated: edges serve only active resources.
        let changed = run!(db.reborrow(), |e| sqlx::query_as::<_, ChangedResource>(
            "SELECT c.resource_id AS id, r.custom_domain AS domain, r.origin, r.websockets \
             FROM (SELECT DISTINCT resource_id FROM config_changes WHERE version > $1) c \
             LEFT JOIN cdn_resources r ON r.id = c.resource_id AND r.active ORDER BY c.resource_id",
        )
        .bind(after)
        .fetch_all(e)
        .await)?;
        let (mut resources, mut removed) = (Vec::new(), Vec::new());
        for row in changed {
            match row {
                ChangedResource { id, domain: Some(domain), origin: Some(origin), websockets: Some(websockets) } => {
                    resources.push(EdgeResource { id, domain, origin, websockets })
                }
                ChangedResource { id, .. } => removed.push(id),
            }
        }
        Some(ConfigUpdate { version, full: false, resources, removed })
    };
    tx.commit().await?;
    Ok(update)
}

/// A resource changed after some version, as it is now: all `None` once removed or inactive.
#[derive(sqlx::FromRow)]
struct ChangedResource {
    id: i64,
    domain: Option<String>,
    origin: Option<String>,
    websockets: Option<bool>,
}

async fn current_version(db: &mut Db<'_>) -> Result<i64, AppError> {
    Ok(run!(db.reborrow(), |e| sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM config_changes")
        .fetch_one(e)
        .await)?)
}

pub async fn record_status(pool: &Pool, edge: &str, version: i64) -> Result<(), AppError> {
    let now = crate::domain::Timestamp::now().unix_seconds();
    run!(pool.db(), |e| {
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
    let pool = pool.clone();
    to_completion(async move { rollout_in(&pool, resource_id).await }).await
}

async fn rollout_in(pool: &Pool, resource_id: i64) -> Result<Rollout, AppError> {
    let mut tx = pool.begin_read().await?;
    let mut db = tx.db();
    let needed: i64 = run!(db.reborrow(), |e| sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) FROM config_changes WHERE resource_id = $1"
    )
    .bind(resource_id)
    .fetch_one(e)
    .await)?;
    let since = crate::domain::Timestamp::now().unix_seconds() - EDGE_SILENCE_LIMIT.as_secs() as i64;
    let (edges, applied): (i64, i64) = run!(db.reborrow(), |e| sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN applied_version >= $1 THEN 1 ELSE 0 END), 0) \
         FROM edge_status WHERE reported_at >= $2",
    )
    .bind(needed)
    .bind(since)
    .fetch_one(e)
    .await)?;
    tx.commit().await?;
    Ok(Rollout { edges: edges as u32, applied: applied as u32 })
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
        assert_eq!(
            snapshot(&pool).await.unwrap(),
            ConfigUpdate { version: 0, full: true, resources: vec![], removed: vec![] }
        );
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
                origin: "127.0.0.1:8090".into(),
                websockets: false
            }]
        );

        run!(pool.db(), |e| sqlx::query("DELETE FROM cdn_resources WHERE id = $1")
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
        run!(pool.db(), |e| sqlx::query("DELETE FROM cdn_resources WHERE id = $1")
            .bind(id)
            .execute(e)
            .await
            .map(|_| ()))
        .unwrap();
        run!(pool.db(), |e| sqlx::query("DELETE FROM config_changes").execute(e).await.map(|_| ())).unwrap();
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
        run!(pool.db(), |e| sqlx::query("UPDATE edge_status SET reported_at = 0 WHERE edge_id = 'edge-1'")
            .execute(e)
            .await
            .map(|_| ()))
        .unwrap();
        assert_eq!(rollout(&pool, id).await.unwrap().edges, 1, "a silent edge no longer counts");
    }

    #[test]
    fn tokens_are_compared_whole() {
        assert!(constant_time_eq(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!constant_time_eq(b"0123456789abcdef", b"0123456789abcdeX"));
        assert!(!constant_time_eq(b"0123456789abcdef", b"0123456789abcde"));
        assert!(!constant_time_eq(b"", b"0123456789abcdef"));
    }
}
