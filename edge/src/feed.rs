//! Following the portal's configuration feed: a whole snapshot first, then each change as soon as
//! the portal commits it (long polling), each applied whole, saved to disk, and reported back.

use crate::metrics::Metrics;
use crate::origins::OriginRegistry;
use crate::portal_client::PortalClient;
use crate::routes::{ConfigUpdate, RouteTable};
use crate::settings::FeedSettings;
use bytes::Bytes;
use edge_feed::StatusReport;
use http_body_util::{BodyExt, Limited};
use hyper::{Method, StatusCode};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Larger answers are refused: the edge would rather keep its configuration than run out of memory.
const MAX_UPDATE_BYTES: usize = 64 * 1024 * 1024;

pub struct Follower {
    settings: FeedSettings,
    portal: PortalClient,
    routes: watch::Sender<Arc<RouteTable>>,
    metrics: Arc<Metrics>,
    state_file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
enum FeedError {
    #[error("the portal could not be reached: {0}")]
    Unreachable(String),
    #[error("the portal refused the feed token (EDGE_FEED_TOKEN differs from the portal's)")]
    Refused,
    #[error("the portal answered {0}")]
    Status(StatusCode),
    #[error("the portal's answer was not a configuration: {0}")]
    Malformed(String),
    #[error("no answer in time")]
    Timeout,
}

impl Follower {
    pub fn new(
        settings: FeedSettings,
        routes: watch::Sender<Arc<RouteTable>>,
        metrics: Arc<Metrics>,
        state_file: PathBuf,
    ) -> Self {
        let portal = PortalClient::new(&settings);
        Self { settings, portal, routes, metrics, state_file }
    }

    /// Runs for as long as the edge does. A failure never touches the configuration in use; the
    /// follower waits (longer each time, up to a few seconds) and starts again from a snapshot,
    /// since the portal may have changed in any way meanwhile.
    pub async fn run(self) {
        let mut need_snapshot = true;
        let mut failures: u32 = 0;
        loop {
            let current = self.routes.borrow().clone();
            let path = if need_snapshot {
                edge_feed::CONFIG_PATH.to_owned()
            } else {
                edge_feed::changes_path(current.version(), self.settings.long_poll)
            };
            let outcome = match self.fetch(&path).await {
                Ok(Some(update)) => {
                    current.apply(&update).map_err(|invalid| FeedError::Malformed(invalid.to_string())).map(Some)
                }
                Ok(None) => Ok(None),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(applied) => {
                    if let Some(table) = applied {
                        self.adopt(table).await;
                    }
                    if failures > 0 {
                        tracing::info!("following the portal again");
                    }
                    failures = 0;
                    need_snapshot = false;
                    self.report().await;
                }
                Err(error) => {
                    // Said once per outage, not once per retry.
                    if failures == 0 {
                        tracing::warn!(%error, "configuration feed interrupted; serving the last configuration");
                    }
                    failures = failures.saturating_add(1);
                    need_snapshot = true;
                    tokio::time::sleep(backoff(failures)).await;
                }
            }
        }
    }

    /// Saved first, then put in use: whatever serves visitors is on disk for the next start.
    async fn adopt(&self, table: RouteTable) {
        let version = table.version();
        let snapshot = table.snapshot();
        if let Err(error) = save(&self.state_file, &snapshot).await {
            tracing::warn!(%error, path = %self.state_file.display(), "could not save the configuration");
        }
        self.routes.send_replace(Arc::new(table));
        self.metrics.config_applied(version);
        tracing::info!(version, resources = snapshot.resources.len(), "configuration applied");
    }

    /// `None` when the portal had nothing new before the long poll ended.
    async fn fetch(&self, path: &str) -> Result<Option<ConfigUpdate>, FeedError> {
        let request = self.portal.request(Method::GET, path, Bytes::new());
        let response =
            tokio::time::timeout(self.settings.long_poll + Duration::from_secs(10), self.portal.send(request))
                .await
                .map_err(|_| FeedError::Timeout)?
                .map_err(FeedError::Unreachable)?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NO_CONTENT => return Ok(None),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => return Err(FeedError::Refused),
            other => return Err(FeedError::Status(other)),
        }
        let body = Limited::new(response.into_body(), MAX_UPDATE_BYTES)
            .collect()
            .await
            .map_err(|error| FeedError::Unreachable(error.to_string()))?
            .to_bytes();
        serde_json::from_slice(&body).map(Some).map_err(|error| FeedError::Malformed(error.to_string()))
    }

    /// Tells the portal which version this edge serves, so that customers can see whether their
    /// change is live. Best effort: the next report corrects a lost one.
    async fn report(&self) {
        let report = StatusReport { edge: self.settings.edge_id.clone(), version: self.routes.borrow().version() };
        let body = serde_json::to_vec(&report).unwrap_or_default();
        let request = self.portal.request(Method::POST, edge_feed::STATUS_PATH, Bytes::from(body));
        match tokio::time::timeout(Duration::from_secs(5), self.portal.send(request)).await {
            Ok(Ok(response)) if response.status().is_success() => {}
            Ok(Ok(response)) => tracing::debug!(status = %response.status(), "status report refused"),
            Ok(Err(error)) => tracing::debug!(%error, "status report failed"),
            Err(_) => tracing::debug!("status report timed out"),
        }
    }
}

/// 200 ms, doubling to at most 5 s, with up to a fifth added at random so that many edges
/// that lost the portal together do not all come back in the same instant.
fn backoff(failures: u32) -> Duration {
    let base =
        Duration::from_millis(200).saturating_mul(1 << failures.saturating_sub(1).min(5)).min(Duration::from_secs(5));
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 5000.0)
}

/// Writes beside the file, then renames over it: a crash leaves the old file or the new, never half of one.
///
/// The file holds the private keys of the customers' certificates, so it is made readable by the
/// edge's own user alone (mode 0600), from its creation: written first and restricted after, it
/// would be readable by anyone for a moment. A partial file left by a crash is removed first,
/// since an existing file keeps its mode.
pub async fn save(path: &Path, snapshot: &ConfigUpdate) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    if let Some(folder) = path.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(folder).await?;
    }
    let temporary = path.with_extension("json.partial");
    match tokio::fs::remove_file(&temporary).await {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut file = tokio::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary).await?;
    file.write_all(&serde_json::to_vec(snapshot)?).await?;
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(&temporary, path).await
}

/// The configuration saved by an earlier run, if there is a readable one, its origins' state
/// kept in `origins`.
pub async fn load(path: &Path, origins: &Arc<OriginRegistry>) -> Option<RouteTable> {
    let bytes = tokio::fs::read(path).await.ok()?;
    let snapshot: ConfigUpdate = match serde_json::from_slice(&bytes) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "ignoring an unreadable saved configuration");
            return None;
        }
    };
    RouteTable::new(origins.clone())
        .apply(&snapshot)
        .inspect_err(|error| tracing::warn!(%error, "ignoring an invalid saved configuration"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::EdgeResource;
    use edge_feed::ResourceOptions;

    #[test]
    fn backoff_grows_to_a_cap() {
        assert!(backoff(1) >= Duration::from_millis(200) && backoff(1) < Duration::from_millis(250));
        assert!(backoff(3) >= Duration::from_millis(800));
        assert!(backoff(30) <= Duration::from_secs(6));
    }

    #[tokio::test]
    async fn a_saved_configuration_loads_again_and_a_damaged_one_is_ignored() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("state").join("edge.json");
        let resource = EdgeResource {
            id: 3,
            domain: "a.example.com".into(),
            secondary_hostnames: vec!["b.example.com".into()],
            origin: "127.0.0.1:1".into(),
            origin_group: None,
            origin_protocol: ::edge_feed::OriginProtocol::Http,
            tls: None,
            origin_ca: None,
            options: ResourceOptions { websockets: true },
        };
        let snapshot = ConfigUpdate::snapshot(9, vec![resource]);
        save(&path, &snapshot).await.unwrap();
        let origins = Arc::new(OriginRegistry::default());
        let loaded = load(&path, &origins).await.unwrap();
        assert_eq!(loaded.snapshot(), snapshot);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "it holds private keys: the edge's user alone reads it");

        tokio::fs::write(&path, b"{\"version\": 1, \"full\": tr").await.unwrap();
        assert!(load(&path, &origins).await.is_none());
        assert!(load(&folder.path().join("missing.json"), &origins).await.is_none());
    }
}
