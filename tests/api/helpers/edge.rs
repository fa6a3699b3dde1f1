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

/// `portal` served over TCP on a port 0 of 127.0.0.1, as edges reach it: its URL, and the task
/// serving it (aborted to take the portal away).
pub async fn serve_over_tcp(portal: &super::TestPortal) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let portal_url = format!("http://{}", listener.local_addr().unwrap());
    let service = portal.router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>();
    (portal_url, tokio::spawn(async move { axum::serve(listener, service).await.unwrap() }))
}

/// Waits (up to 5 s) until the edge at `edge` serves `domain`: a plain request, so that no
/// WebSocket handshake is counted.
pub async fn until_served(edge: std::net::SocketAddr, domain: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while super::wire::get(edge, domain, "/").await.status == 404 {
        assert!(std::time::Instant::now() < deadline, "the edge at {edge} never learnt of {domain}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
