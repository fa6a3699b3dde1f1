//! The portal, a CDN edge following it, and an echo origin, each on its own port 0: the
//! Websockets switch as a visitor of the customer's site meets it.

use crate::helpers::edge::{
    FEED_TOKEN, TIMEOUTS, edge_settings, feed_security, feed_snapshot_request, serve_over_tcp, until_served,
};
use crate::helpers::link::DatabaseLink;
use crate::helpers::visitor::*;
use crate::helpers::*;
use axum::http::{Method, StatusCode};
use cdn_edge::RunningEdge;
use cdn_edge::settings::Timeouts;
use cdn_portal::error::AppError;
use futures_util::StreamExt;
use serde_json::json;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

struct Stack {
    portal: TestPortal,
    portal_url: String,
    portal_server: tokio::task::JoinHandle<()>,
    edge: RunningEdge,
    origin: SocketAddr,
    customer: String,
    state_file: PathBuf,
    _state: tempfile::TempDir,
}

async fn stack_with(timeouts: Timeouts) -> Stack {
    stack_on(spawn_portal_with(feed_security()).await, timeouts).await
}

async fn stack_on(portal: TestPortal, timeouts: Timeouts) -> Stack {
    let (portal_url, portal_server) = serve_over_tcp(&portal).await;
    let origin = echo_origin::spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("edge.json");
    let edge = cdn_edge::start(edge_settings(&portal_url, &state_file, "edge-test", timeouts)).await.unwrap();
    let customer = portal.customer("ada%40example.com").await;
    Stack { portal, portal_url, portal_server, edge, origin, customer, state_file, _state: state }
}

async fn stack() -> Stack {
    stack_with(TIMEOUTS).await
}

impl Stack {
    /// Creates a resource through the portal pointing at `origin`, and waits until the edge serves it.
    async fn resource(&self, domain: &str, origin: &str, integration: &str) -> i64 {
        let id = self.portal.create_resource_at(&self.customer, domain, origin, integration).await;
        until_served(self.edge.addr, domain).await;
        id
    }

    /// Waits (up to 5 s) until the portal reports this rollout of the resource's latest change.
    async fn rollout_reaches(&self, id: i64, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let rollout = self.portal.call("resource_rollout", &format!("id={id}"), Some(&self.customer)).await;
            if rollout.body == expected {
                return;
            }
            assert!(Instant::now() < deadline, "expected {expected}, still {}", rollout.body);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn switch(&self, id: i64, version: i64, on: bool) {
        let reply = self.portal.save_websockets(&self.customer, id, version, on).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
}

/// The value of one series in a Prometheus text rendering.
fn metric(metrics: &str, series: &str) -> u64 {
    metrics.lines().find_map(|line| line.strip_prefix(series)).and_then(|value| value.trim().parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switch_lets_websockets_through_or_refuses_them_within_a_second() {
    let stack = stack().await;
    let id = stack.resource("chat.example.com", &stack.origin.to_string(), "entire_website").await;

    let mut open = websocket(stack.edge.addr, "chat.example.com", "/live").await.expect("on by default for a website");
    echoes(&mut open, "hello through the edge").await;

    stack.switch(id, 1, false).await;
    let saved = Instant::now();
    let refused = loop {
        match refused_status(websocket(stack.edge.addr, "chat.example.com", "/live").await) {
            Some(refusal) => break refusal,
            None => assert!(saved.elapsed() < Duration::from_secs(1), "still let through 1 s after the save"),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let obeyed_after = saved.elapsed();
    eprintln!("the edge refused WebSockets {obeyed_after:?} after \"Save changes\" answered");
    assert_eq!(refused.0, 403);
    assert_eq!(refused.1, "WebSockets are disabled for this resource.\n");
    echoes(&mut open, "the tunnel opened before stays open").await;

    stack.switch(id, 2, true).await;
    let saved = Instant::now();
    let mut again = loop {
        if let Ok(socket) = websocket(stack.edge.addr, "chat.example.com", "/live").await {
            break socket;
        }
        assert!(saved.elapsed() < Duration::from_secs(1), "still refused 1 s after turning it on");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    echoes(&mut again, "and back on").await;

    // Handshakes tried while the change travelled were counted too; so was the one tunnel
    // dropped at once, which closes in the background.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !stack.edge.metrics().contains("cdn_edge_open_tunnels 2\n") {
        assert!(Instant::now() < deadline, "{}", stack.edge.metrics());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let metrics = stack.edge.metrics();
    assert!(
        metric(&metrics, "cdn_edge_websocket_upgrades_total{resource=\"chat.example.com\",outcome=\"refused\"}") >= 1,
        "{metrics}"
    );
    assert!(
        metric(&metrics, "cdn_edge_websocket_upgrades_total{resource=\"chat.example.com\",outcome=\"accepted\"}") >= 2,
        "{metrics}"
    );

    // The portal shows the change as live once the edge has reported it.
    stack.rollout_reaches(id, r#"{"edges":1,"applied":1}"#).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_through_the_rest_api_reach_the_edge_within_a_second() {
    let stack = stack().await;
    let id = stack.resource("api.example.com", &stack.origin.to_string(), "entire_website").await;
    let secret = stack.portal.api_token(&stack.customer, "deploy", None).await.secret;
    let path = format!("/cdn/resources/{id}");
    let api = |method: Method, body: Option<serde_json::Value>| stack.portal.api(&secret, method, &path, body);
    let edge = stack.edge.addr;

    let off = api(Method::PATCH, Some(json!({"options": {"websockets": {"enabled": true, "value": false}}}))).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let took = within_a_second("WebSockets off", async || {
        refused_status(websocket(edge, "api.example.com", "/live").await).is_some_and(|(status, _)| status == 403)
    })
    .await;
    eprintln!("the edge refused WebSockets {took:?} after the API answered");

    let inactive = api(Method::PATCH, Some(json!({"active": false}))).await;
    assert_eq!(inactive.status, StatusCode::OK, "{}", inactive.body);
    within_a_second("deactivated", async || wire::get(edge, "api.example.com", "/").await.status == 404).await;

    let back = api(Method::PUT, Some(json!({"origin": stack.origin.to_string()}))).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    within_a_second("active again with the default WebSockets", async || {
        websocket(edge, "api.example.com", "/live").await.is_ok()
    })
    .await;

    assert_eq!(api(Method::DELETE, None).await.status, StatusCode::NO_CONTENT);
    within_a_second("deleted", async || wire::get(edge, "api.example.com", "/").await.status == 404).await;
}

/// A setting the API stores without enabling it (`{"enabled": false}`) does not apply: the edge
/// serves the integration's default, whatever the setting's value, and once the setting is
/// enabled, its value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websockets_setting_that_is_not_enabled_leaves_the_edge_on_the_default() {
    let stack = stack().await;
    let secret = stack.portal.api_token(&stack.customer, "terraform", None).await.secret;
    let edge = stack.edge.addr;
    for (domain, integration, default) in
        [("site.example.com", "entire_website", true), ("assets.example.com", "static_assets", false)]
    {
        let id = stack.resource(domain, &stack.origin.to_string(), integration).await;
        let path = format!("/cdn/resources/{id}");
        let mut version = 1;
        for (written, expected) in [
            (json!({"enabled": true, "value": !default}), !default),
            (json!({"enabled": false, "value": !default}), default),
            (json!({"enabled": true, "value": !default}), !default),
            (json!(null), default),
        ] {
            let body = json!({"options": {"websockets": written}});
            let reply = stack.portal.api(&secret, Method::PATCH, &path, Some(body)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            version += 1;
            assert_eq!(reply.etag_version(), version);
            // Once the edge serves this version, a handshake meets the value in force.
            stack.rollout_reaches(id, r#"{"edges":1,"applied":1}"#).await;
            let handshake = websocket(edge, domain, "/").await;
            let what = format!("{integration} with {written}");
            if expected {
                assert!(handshake.is_ok(), "{what}: refused");
            } else {
                assert_eq!(refused_status(handshake).map(|(status, _)| status), Some(403), "{what}: let through");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_edge_following_the_portal_obeys_and_the_portal_counts_them() {
    let stack = stack().await;
    let id = stack.resource("many.example.com", &stack.origin.to_string(), "entire_website").await;
    let other_state = tempfile::tempdir().unwrap();
    let settings =
        edge_settings(&stack.portal_url, &other_state.path().join("edge.json"), "edge-second", Timeouts::default());
    let second = cdn_edge::start(settings).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while websocket(second.addr, "many.example.com", "/").await.is_err() {
        assert!(Instant::now() < deadline, "the second edge never served the resource");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    stack.switch(id, 1, false).await;
    let saved = Instant::now();
    for edge in [stack.edge.addr, second.addr] {
        while refused_status(websocket(edge, "many.example.com", "/").await).is_none() {
            assert!(saved.elapsed() < Duration::from_secs(1), "{edge} still lets WebSockets through");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    stack.rollout_reaches(id, r#"{"edges":2,"applied":2}"#).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_takes_only_the_edge_token_and_the_admin_address_serves_metrics() {
    let stack = stack().await;
    stack.resource("feed.example.com", &stack.origin.to_string(), "entire_website").await;
    let feed_address = stack.portal_url.trim_start_matches("http://").parse::<SocketAddr>().unwrap();
    let get = |authorization: &str| {
        format!("GET /edge/v1/config HTTP/1.1\r\nHost: portal\r\n{authorization}Connection: close\r\n\r\n")
    };
    let Reply { status, body: snapshot, .. } =
        wire::raw(feed_address, &get(&format!("Authorization: Bearer {FEED_TOKEN}\r\n"))).await;
    assert_eq!(status, 200);
    assert!(snapshot.contains(r#""domain":"feed.example.com""#) && snapshot.contains(r#""full":true"#), "{snapshot}");
    for wrong in
        ["", "Authorization: Bearer edge-feed-token-for-test\r\n", "Authorization: edge-feed-token-for-tests\r\n"]
    {
        let Reply { status, body, .. } = wire::raw(feed_address, &get(wrong)).await;
        assert_eq!(status, 401, "{wrong:?}");
        assert!(!body.contains("feed.example.com"));
    }
    // A customer's session is no key to the feed either.
    let with_session = format!("Cookie: {}\r\n", stack.customer);
    assert_eq!(wire::raw(feed_address, &get(&with_session)).await.status, 401);
    let report = |body: &str| {
        format!(
            "POST /edge/v1/status HTTP/1.1\r\nHost: portal\r\nAuthorization: Bearer {FEED_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    assert_eq!(wire::raw(feed_address, &report(r#"{"edge":"x","version":"one"}"#)).await.status, 400);
    assert_eq!(wire::raw(feed_address, &report(r#"{"edge":"<script>","version":1}"#)).await.status, 422);
    assert_eq!(wire::raw(feed_address, &report(r#"{"edge":"edge-9","version":1}"#)).await.status, 204);

    // Traffic reports: as many resources as the contract allows, every counter moving (past the
    // 16 KiB other bodies may have), but no larger than its cap; the token alone opens the path.
    let traffic = |authorization: &str, body: &str| {
        format!(
            "POST /edge/v1/traffic HTTP/1.1\r\nHost: portal\r\n{authorization}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let counters: serde_json::Map<String, serde_json::Value> =
        ::edge_feed::WsCounter::all().map(|counter| (counter.name().to_owned(), json!(123_456_789))).collect();
    let full = json!({
        "edge": "edge-9",
        "boot": "b1",
        "resources": (1..=::edge_feed::traffic::MAX_RESOURCES_PER_REPORT as i64)
            .map(|id| json!({"id": id, "open": 3, "counters": counters}))
            .collect::<Vec<_>>(),
    })
    .to_string();
    assert!(full.len() > 16 * 1024 && full.len() <= ::edge_feed::traffic::MAX_REPORT_BYTES, "{}", full.len());
    let token = format!("Authorization: Bearer {FEED_TOKEN}\r\n");
    assert_eq!(wire::raw(feed_address, &traffic(&token, &full)).await.status, 204);
    assert_eq!(wire::raw(feed_address, &traffic("", &full)).await.status, 401);
    assert_eq!(wire::raw(feed_address, &traffic(&token, r#"{"edge":"edge-9","boot":"b1"}"#)).await.status, 400);
    let too_large = " ".repeat(::edge_feed::traffic::MAX_REPORT_BYTES + 1);
    assert_eq!(wire::raw(feed_address, &traffic(&token, &too_large)).await.status, 413);

    let Reply { status, body: metrics, .. } = wire::get(stack.edge.admin_addr, "admin", "/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("# TYPE cdn_edge_open_tunnels gauge"), "{metrics}");
    assert!(metric(&metrics, "cdn_edge_config_version") >= 1, "{metrics}");
    assert_eq!(wire::get(stack.edge.admin_addr, "admin", "/healthz").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_assets_resource_refuses_websockets_without_contacting_the_origin() {
    let stack = stack().await;
    // Nothing listens at this origin: a refusal that tried it would be a 502, not a 403.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    stack.resource("assets.example.com", &closed.to_string(), "static_assets").await;
    let refused = refused_status(websocket(stack.edge.addr, "assets.example.com", "/").await);
    assert_eq!(refused.map(|(status, _)| status), Some(403));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_requests_are_forwarded_with_forwarding_headers_and_without_hop_by_hop_ones() {
    let stack = stack().await;
    stack.resource("www.example.com", &stack.origin.to_string(), "entire_website").await;
    let Reply { status, body: echoed, .. } = wire::raw(
        stack.edge.addr,
        "GET /page?x=1 HTTP/1.1\r\nHost: WWW.Example.com:8080\r\nConnection: close, x-hop\r\nX-Hop: secret\r\nKeep-Alive: 5\r\nAccept: text/html\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200, "{echoed}");
    let echoed = echoed.to_ascii_lowercase();
    for expected in [
        "echo-origin: get /page?x=1",
        "accept: text/html",
        "x-forwarded-for: 127.0.0.1",
        "x-forwarded-proto: http",
        "x-forwarded-host: www.example.com:8080",
    ] {
        assert!(echoed.contains(expected), "{expected} in {echoed}");
    }
    assert!(!echoed.contains("x-hop") && !echoed.contains("keep-alive: 5"), "hop-by-hop headers passed on: {echoed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_hosts_get_404_and_origin_trouble_gets_502_or_504() {
    let stack = stack().await;
    let Reply { status, body, .. } = wire::get(stack.edge.addr, "nobody.example.com", "/").await;
    assert_eq!((status.as_u16(), body.as_str()), (404, "No CDN resource is configured for this host.\n"));

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    stack.resource("down.example.com", &closed.to_string(), "entire_website").await;
    assert_eq!(wire::get(stack.edge.addr, "down.example.com", "/").await.status, 502);
    assert_eq!(refused_status(websocket(stack.edge.addr, "down.example.com", "/").await).map(|r| r.0), Some(502));

    stack.resource("slow.example.com", &stack.origin.to_string(), "entire_website").await;
    let started = Instant::now();
    assert_eq!(wire::get(stack.edge.addr, "slow.example.com", "/slow/3000").await.status, 504);
    assert!(started.elapsed() < Duration::from_millis(2_500), "the 1 s response timeout was not applied");

    let metrics = stack.edge.metrics();
    assert!(metric(&metrics, "cdn_edge_origin_errors_total{kind=\"connect\"}") >= 2, "{metrics}");
    assert_eq!(metric(&metrics, "cdn_edge_origin_errors_total{kind=\"timeout\"}"), 1, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_that_will_not_upgrade_is_answered_as_it_answered() {
    let stack = stack().await;
    stack.resource("picky.example.com", &stack.origin.to_string(), "entire_website").await;
    let refused = refused_status(websocket(stack.edge.addr, "picky.example.com", "/ws/refuse").await);
    assert_eq!(refused, Some((403, "refused by origin".to_owned())));
    assert_eq!(wire::get(stack.edge.addr, "picky.example.com", "/status/503").await.status, 503);
}

/// An origin that upgrades, then reads until the visitor has finished sending, and only then
/// answers: it can only answer if the visitor's half-close reached it and its own direction
/// still flows.
async fn half_closing_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    head.push(stream.read_u8().await.unwrap());
                }
                if !String::from_utf8_lossy(&head).to_ascii_lowercase().contains("upgrade: websocket") {
                    let _ =
                        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
                    return;
                }
                stream
                    .write_all(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n")
                    .await
                    .unwrap();
                let mut heard = Vec::new();
                stream.read_to_end(&mut heard).await.unwrap();
                let answer = format!("heard {:?} then your end", String::from_utf8_lossy(&heard));
                stream.write_all(answer.as_bytes()).await.unwrap();
            });
        }
    });
    addr
}

async fn raw_tunnel(edge: SocketAddr, domain: &str) -> TcpStream {
    let mut stream = TcpStream::connect(edge).await.unwrap();
    let handshake = format!(
        "GET /raw HTTP/1.1\r\nHost: {domain}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    stream.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_close_is_passed_on_while_the_other_direction_keeps_flowing() {
    let stack = stack().await;
    let origin = half_closing_origin().await;
    stack.resource("half.example.com", &origin.to_string(), "entire_website").await;
    let mut tunnel = raw_tunnel(stack.edge.addr, "half.example.com").await;
    tunnel.write_all(b"last words").await.unwrap();
    tunnel.shutdown().await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), tunnel.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert_eq!(answer, "heard \"last words\" then your end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_tunnel_is_closed_and_traffic_keeps_one_open() {
    let stack = stack_with(Timeouts {
        connect: Duration::from_millis(500),
        response: Duration::from_secs(1),
        tunnel_idle: Duration::from_millis(400),
        ..TIMEOUTS
    })
    .await;
    stack.resource("idle.example.com", &stack.origin.to_string(), "entire_website").await;
    let mut busy = websocket(stack.edge.addr, "idle.example.com", "/").await.unwrap();
    let mut quiet = websocket(stack.edge.addr, "idle.example.com", "/").await.unwrap();
    for n in 0..6 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        echoes(&mut busy, &format!("still here {n}")).await;
    }
    // 1.2 s of traffic on one, silence on the other.
    let closed = tokio::time::timeout(Duration::from_secs(2), quiet.next()).await.expect("the quiet tunnel was closed");
    assert!(!matches!(closed, Some(Ok(Message::Text(_)))), "{closed:?}");
    echoes(&mut busy, "the busy one lives").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_edge_serves_the_saved_configuration_while_the_portal_is_down() {
    let stack = stack().await;
    let id = stack.resource("saved.example.com", &stack.origin.to_string(), "entire_website").await;
    stack.switch(id, 1, false).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while refused_status(websocket(stack.edge.addr, "saved.example.com", "/").await).is_none() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let Stack { edge, portal_server, portal_url, state_file, origin, portal, _state, .. } = stack;
    drop(edge);
    portal_server.abort();
    drop(portal);
    let _ = portal_server.await;
    assert!(TcpStream::connect(portal_url.trim_start_matches("http://")).await.is_err(), "the portal is down");

    let restarted = cdn_edge::start(edge_settings(&portal_url, &state_file, "edge-test", TIMEOUTS)).await.unwrap();
    let Reply { status, body, .. } = wire::get(restarted.addr, "saved.example.com", "/from-disk").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("echo-origin: GET /from-disk"), "served through {origin}: {body}");
    let refused = refused_status(websocket(restarted.addr, "saved.example.com", "/").await);
    assert_eq!(refused.map(|r| r.0), Some(403), "the saved setting (off) holds");
}

/// PostgreSQL only: SQLite is a file beside the portal, with no server to lose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run by scripts/test-postgres.sh"]
async fn while_the_database_is_unreachable_pages_and_saves_answer_503_and_the_edge_keeps_serving() {
    let database = ScratchDatabase::postgres().await;
    let link = DatabaseLink::to(DatabaseLink::server_of(database.url()).await).await;
    let portal = spawn_portal_over(&link.url_for(database.url()), database, feed_security()).await;
    let stack = stack_on(portal, TIMEOUTS).await;
    let id = stack.resource("outage.example.com", &stack.origin.to_string(), "entire_website").await;
    let secret = stack.portal.api_token(&stack.customer, "ops", None).await.secret;
    let settings_page = format!("/cdn/resources/{id}/content");

    link.cut().await;
    let page = stack.portal.get(&settings_page, Some(&stack.customer)).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{}", page.body);
    assert!(page.body.contains("temporarily unavailable"), "{}", page.body);
    let save = stack.portal.save_websockets(&stack.customer, id, 1, false).await;
    assert_eq!(save.status, StatusCode::SERVICE_UNAVAILABLE, "{}", save.body);
    // The page shows the error's message, the same as the page above.
    assert_eq!(save.app_error(), AppError::Unavailable);
    let moved = json!({"origin": "elsewhere.example.com"});
    let patch = stack.portal.api(&secret, Method::PATCH, &format!("/cdn/resources/{id}"), Some(moved)).await;
    assert_eq!(patch.status, StatusCode::SERVICE_UNAVAILABLE, "{}", patch.body);
    assert_eq!(patch.headers["retry-after"], "5");
    let feed = stack.portal.send(feed_snapshot_request()).await;
    assert_eq!(feed.status, StatusCode::SERVICE_UNAVAILABLE);
    // The edge keeps what it had: the site and its WebSockets still work.
    let Reply { status, body, .. } = wire::get(stack.edge.addr, "outage.example.com", "/during").await;
    assert_eq!(status, 200, "{body}");
    echoes(&mut websocket(stack.edge.addr, "outage.example.com", "/").await.unwrap(), "still here").await;

    link.restore().await;
    let page = stack.portal.get(&settings_page, Some(&stack.customer)).await;
    assert_eq!(page.status, StatusCode::OK, "recovered without a restart: {}", page.body);
    let resource = stack.portal.call("get_resource", &format!("id={id}"), Some(&stack.customer)).await.json();
    assert_eq!(
        (resource["version"].as_i64(), resource["options_in_force"]["websockets"].as_bool()),
        (Some(1), Some(true)),
        "nothing half-saved"
    );
    assert_eq!(resource["origin"], stack.origin.to_string());
    // Saves work again and reach the edge.
    stack.switch(id, 1, false).await;
    let waited = within_a_second("the edge to refuse after recovery", async || {
        refused_status(websocket(stack.edge.addr, "outage.example.com", "/").await).is_some()
    })
    .await;
    eprintln!("after the outage, a save reached the edge in {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secondary_hostname_reaches_the_origin_until_it_is_removed_and_status_says_when_it_is_served() {
    let stack = stack().await;
    let id = stack.resource("main.example.com", &stack.origin.to_string(), "entire_website").await;
    let secret = stack.portal.api_token(&stack.customer, "deploy", None).await.secret;
    let path = format!("/cdn/resources/{id}");
    let edge = stack.edge.addr;
    assert_eq!(wire::get(edge, "alias.example.com", "/").await.status, 404, "not yet a hostname of any resource");

    let hostnames = json!({"secondaryHostnames": ["alias.example.com", "other.example.net"]});
    let added = stack.portal.api(&secret, Method::PATCH, &path, Some(hostnames)).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    within_a_second("the secondary hostname routed", async || {
        wire::get(edge, "alias.example.com", "/").await.status == 200
    })
    .await;
    let Reply { status, body: echoed, .. } =
        wire::raw(edge, "GET /via-alias HTTP/1.1\r\nHost: Alias.Example.com:8080\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status, 200, "{echoed}");
    let echoed = echoed.to_ascii_lowercase();
    for expected in [
        "echo-origin: get /via-alias".to_owned(),
        // The origin is told the custom domain as Host (Gcore: the first CNAME), and the
        // hostname the visitor asked for in the forwarding headers.
        format!("host: main.example.com:{}", stack.origin.port()),
        "x-forwarded-host: alias.example.com:8080".to_owned(),
    ] {
        assert!(echoed.contains(&expected), "{expected} in {echoed}");
    }
    echoes(&mut websocket(edge, "other.example.net", "/live").await.unwrap(), "under the resource's settings").await;

    // The edge reports what it serves: the API says `active` once it serves the change.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let read = stack.portal.api(&secret, Method::GET, &path, None).await.json();
        if read["status"] == "active" {
            break;
        }
        assert_eq!(read["status"], "processed", "{read}");
        assert!(Instant::now() < deadline, "never active: {read}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let fewer = json!({"secondaryHostnames": ["other.example.net"]});
    let removed = stack.portal.api(&secret, Method::PATCH, &path, Some(fewer)).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    within_a_second("the removed hostname no longer routed", async || {
        wire::get(edge, "alias.example.com", "/").await.status == 404
    })
    .await;
    assert_eq!(wire::get(edge, "other.example.net", "/").await.status, 200, "the other one still is");
    assert_eq!(wire::get(edge, "main.example.com", "/").await.status, 200);
}
