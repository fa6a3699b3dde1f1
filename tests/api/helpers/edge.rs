//! What a CDN edge following a test's portal is given: the feed's token and the edge's settings.

use axum::body::Body;
use axum::http::{Request, header};
use cdn_edge::settings::{FeedSettings, Settings, Timeouts};
use cdn_portal::server::SecuritySettings;
use std::path::Path;
use std::time::Duration;

/// The edge feed's token in every test: portals take it, edges send it.
pub const FEED_TOKEN: &str = "edge-feed-token-for-tests";

/// Short enough that a test of origin trouble ends quickly.
pub const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_millis(500),
    response: Duration::from_secs(1),
    tunnel_idle: Duration::from_secs(100),
    origin_fail: Duration::from_secs(10),
};

/// A portal's settings with its edge feed open to [`FEED_TOKEN`].
pub fn feed_security() -> SecuritySettings {
    SecuritySettings { edge_feed_token: Some(FEED_TOKEN.to_owned()), ..super::portal::test_settings() }
}

/// An edge on ports 0 of 127.0.0.1 following the portal at `portal_url` as `edge_id`, keeping
/// its state in `state_file`.
pub fn edge_settings(portal_url: &str, state_file: &Path, edge_id: &str, timeouts: Timeouts) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls_listen: Some("127.0.0.1:0".parse().unwrap()),
        admin_listen: "127.0.0.1:0".parse().unwrap(),
        feed: FeedSettings {
            portal_url: portal_url.to_owned(),
            token: FEED_TOKEN.to_owned(),
            edge_id: edge_id.to_owned(),
            long_poll: Duration::from_secs(10),
        },
        state_file: state_file.to_owned(),
        timeouts,
    }
}

/// The feed's snapshot request as an edge sends it.
pub fn feed_snapshot_request() -> Request<Body> {
    Request::get("/edge/v1/config")
        .header(header::AUTHORIZATION, format!("Bearer {FEED_TOKEN}"))
        .body(Body::empty())
        .unwrap()
}
