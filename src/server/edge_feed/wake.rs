//! Waking the feed's waiting requests when a configuration change is committed: at once for a
//! change of this process ([`ConfigChanges`]), by PostgreSQL's notifications for another
//! replica's, and by polling for another process's on the same SQLite file.

use super::queries::current_version;
use crate::server::db::Pool;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// On SQLite, how often one task per process looks for changes that other processes committed
/// (on PostgreSQL they are announced, see [`wake_on_other_replicas_changes`]).
const OTHER_PROCESSES_POLL: Duration = Duration::from_millis(50);
/// The channel that migration 0003's trigger notifies on PostgreSQL for every configuration version.
const CHANGES_CHANNEL: &str = "config_changes";

/// Wakes the feed's waiting requests when a change is committed in this process.
#[derive(Clone)]
pub struct ConfigChanges(Arc<watch::Sender<()>>);

impl Default for ConfigChanges {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(())))
    }
}

impl ConfigChanges {
    /// Call once a configuration change is committed: every waiting request looks again.
    pub fn committed(&self) {
        self.0.send_replace(());
    }

    /// Changes from now on; subscribe before looking, so that one committed in between still wakes.
    pub(super) fn subscribe(&self) -> watch::Receiver<()> {
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
/// `OTHER_PROCESSES_POLL`, for one cheap query per interval however many edges wait.
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
