//! WebSocket traffic in the REST API (`/cdn/statistics/…`), end to end: the portal served over
//! TCP, two CDN edges following it and reporting their traffic every second, an echo origin, and
//! visitors opening, closing and being refused WebSockets through both edges; then what a script
//! with an API token reads, within the deadlines the edges' reports allow. And the API's rules:
//! only the account's resources, every parameter checked.

use crate::helpers::edge::{TIMEOUTS, edge_settings, feed_security, serve_over_tcp, until_served};
use crate::helpers::visitor::*;
use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use cdn_edge::RunningEdge;
use cdn_portal::domain::Timestamp;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// How long a figure may take to reach the API: a report every second, plus a margin for a
/// loaded machine.
const DEADLINE: Duration = Duration::from_secs(10);

/// The portal over TCP with two edges following it, and an echo origin.
struct TwoEdges {
    portal: TestPortal,
    edges: [RunningEdge; 2],
    origin: SocketAddr,
    customer: String,
    secret: String,
    _portal_server: tokio::task::JoinHandle<()>,
    _state: tempfile::TempDir,
}

async fn two_edges() -> TwoEdges {
    let portal = spawn_portal_with(feed_security()).await;
    let (portal_url, portal_server) = serve_over_tcp(&portal).await;
    let origin = echo_origin::spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let start = |name: &str| {
        cdn_edge::start(edge_settings(&portal_url, &state.path().join(format!("{name}.json")), name, TIMEOUTS))
    };
    let edges = [start("edge-one").await.unwrap(), start("edge-two").await.unwrap()];
    let customer = portal.customer("ada%40example.com").await;
    let secret = portal.api_token(&customer, "dashboards", None).await.secret;
    TwoEdges { portal, edges, origin, customer, secret, _portal_server: portal_server, _state: state }
}

impl TwoEdges {
    /// Creates a resource at `origin` and waits until both edges serve it (a plain request, so
    /// that no WebSocket handshake is counted).
    async fn resource(&self, domain: &str, origin: &str) -> i64 {
        let id = self.portal.create_resource_at(&self.customer, domain, origin, "entire_website").await;
        for edge in &self.edges {
            until_served(edge.addr, domain).await;
        }
        id
    }

    async fn get(&self, path: &str) -> Reply {
        self.portal.api(&self.secret, Method::GET, path, None).await
    }

    /// `GET path` until `done` holds of its JSON (every 100 ms, failing past [`DEADLINE`]
    /// with the last answer); that JSON.
    async fn until(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let since = Instant::now();
        loop {
            let reply = self.get(path).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
            let body = reply.json();
            if done(&body) {
                eprintln!("{what}: seen through the API after {:?}", since.elapsed());
                return body;
            }
            assert!(since.elapsed() < DEADLINE, "{what}: not seen within {DEADLINE:?}; {path} answers {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The series query of the ten minutes before this one (and this one and the next, so that what
/// the edges report while a test runs falls inside), by minute: twelve points.
fn series_path(metrics: &str, extra: &str) -> String {
    let now = Timestamp::now().unix_seconds().div_euclid(60) * 60;
    let from = Timestamp::from_unix_seconds(now - 600).to_rfc3339();
    let to = Timestamp::from_unix_seconds(now + 120).to_rfc3339();
    format!("/cdn/statistics/series?service=CDN&granularity=1m&from={from}&to={to}&metrics={metrics}{extra}")
}

/// The sum of a series' values.
fn sum(points: &Value) -> u64 {
    points
        .as_array()
        .unwrap_or_else(|| panic!("not a series: {points}"))
        .iter()
        .map(|point| point[1].as_u64().unwrap())
        .sum()
}

/// The largest of a series' values.
fn peak(points: &Value) -> u64 {
    points.as_array().unwrap().iter().map(|point| point[1].as_u64().unwrap()).max().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_through_two_edges_are_open_now_and_their_closes_are_counted_by_reason() {
    let stack = two_edges().await;
    let id = stack.resource("chat.example.com", &stack.origin.to_string()).await;
    let [one, two] = [stack.edges[0].addr, stack.edges[1].addr];

    let mut sockets = Vec::new();
    for (edge, count) in [(one, 3), (two, 2)] {
        for n in 0..count {
            let mut socket = websocket(edge, "chat.example.com", "/live").await.expect("a tunnel through the edge");
            echoes(&mut socket, &format!("hello {n} through {edge}")).await;
            sockets.push(socket);
        }
    }
    let live = format!("/cdn/statistics/websockets/live?resource={id}");
    let open = stack
        .until(&live, "5 open on 2 edges", |body| {
            body["resource"][id.to_string()] == json!({"open_connections": 5, "edges": 2})
        })
        .await;
    assert_eq!(open["resource"].as_object().unwrap().len(), 1, "{open}");

    // Two visitors leave: one with the WebSocket closing handshake, after which the origin ends
    // TCP first (RFC 6455 §7.1.1), the other by ending its TCP connection; both closed it.
    for (n, mut leaving) in sockets.drain(..2).enumerate() {
        if n == 0 {
            leaving.close(None).await.unwrap();
        } else {
            leaving.get_mut().shutdown().await.unwrap();
        }
        let end =
            tokio::time::timeout(Duration::from_secs(5), async { while let Some(Ok(_)) = leaving.next().await {} });
        end.await.expect("the origin closed in turn");
    }
    stack.until(&live, "3 still open", |body| body["resource"][id.to_string()]["open_connections"] == 3).await;

    let path =
        series_path("accepted,closed_visitor,closed_origin,open_peak,bytes_to_origin", &format!("&resource={id}"));
    let series = stack
        .until(&path, "5 accepted, 2 closed by their visitors", |body| {
            sum(&body["metrics"]["accepted"]) == 5 && sum(&body["metrics"]["closed_visitor"]) == 2
        })
        .await;
    let metrics = series["metrics"].as_object().unwrap();
    let mut names: Vec<&str> = metrics.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["accepted", "bytes_to_origin", "closed_origin", "closed_visitor", "open_peak"], "{series}");
    assert_eq!(sum(&series["metrics"]["closed_origin"]), 0, "{series}");
    assert_eq!(peak(&series["metrics"]["open_peak"]), 5, "the most open at once, across both edges: {series}");
    assert!(sum(&series["metrics"]["bytes_to_origin"]) > 0, "{series}");
    // Twelve points of a minute each, from the start of the first, in order.
    let points = series["metrics"]["accepted"].as_array().unwrap();
    assert_eq!(points.len(), 12, "{series}");
    for pair in points.windows(2) {
        assert_eq!(pair[1][0].as_i64().unwrap() - pair[0][0].as_i64().unwrap(), 60, "{series}");
    }
    assert_eq!(points[0][0].as_i64().unwrap() % 60, 0);

    // By resource: the same figures under the resource's id.
    let grouped =
        stack.get(&series_path("accepted,closed_visitor", &format!("&resource={id}&group_by=resource"))).await;
    assert_eq!(grouped.status, StatusCode::OK, "{}", grouped.body);
    let grouped = grouped.json();
    let own = &grouped["resource"][id.to_string()]["metrics"];
    assert_eq!((sum(&own["accepted"]), sum(&own["closed_visitor"])), (5, 2), "{grouped}");
    assert!(grouped.get("metrics").is_none(), "{grouped}");

    // Without `resource`: every resource of the account, here the one.
    let all = stack.until("/cdn/statistics/websockets/live", "the account's resources", |body| {
        body["resource"][id.to_string()]["open_connections"] == 3
    });
    assert_eq!(all.await["resource"].as_object().unwrap().len(), 1);
    drop(sockets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_handshakes_are_counted_by_reason() {
    let stack = two_edges().await;
    let off = stack.resource("off.example.com", &stack.origin.to_string()).await;
    // Nothing listens at this origin: a handshake is answered 502.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let down = stack.resource("down.example.com", &closed.to_string()).await;

    let patched = stack
        .portal
        .api(
            &stack.secret,
            Method::PATCH,
            &format!("/cdn/resources/{off}"),
            Some(json!({"options": {"websockets": {"enabled": true, "value": false}}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    // Every 403 is a refusal for the option, on either edge; handshakes that met the old
    // setting while the change travelled were accepted.
    let mut refused_off = 0;
    for edge in &stack.edges {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match refused_status(websocket(edge.addr, "off.example.com", "/").await) {
                Some((403, _)) => {
                    refused_off += 1;
                    break;
                }
                Some(other) => panic!("refused otherwise: {other:?}"),
                None => assert!(Instant::now() < deadline, "{} still lets WebSockets through", edge.addr),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    assert_eq!(refused_status(websocket(stack.edges[0].addr, "off.example.com", "/").await).map(|r| r.0), Some(403));
    refused_off += 1;

    for edge in &stack.edges {
        assert_eq!(refused_status(websocket(edge.addr, "down.example.com", "/").await).map(|r| r.0), Some(502));
    }

    let path = series_path(
        "refused_option_off,refused_origin_unreachable,refused_origin_refused",
        &format!("&group_by=resource&resource={off}&resource={down}"),
    );
    let series = stack
        .until(&path, "refusals by reason", |body| {
            let of = |id: i64, metric: &str| sum(&body["resource"][id.to_string()]["metrics"][metric]);
            of(off, "refused_option_off") == refused_off && of(down, "refused_origin_unreachable") == 2
        })
        .await;
    let of = |id: i64, metric: &str| sum(&series["resource"][id.to_string()]["metrics"][metric]);
    assert_eq!(of(off, "refused_origin_unreachable"), 0, "{series}");
    assert_eq!(of(down, "refused_option_off"), 0, "{series}");
    assert_eq!(of(off, "refused_origin_refused") + of(down, "refused_origin_refused"), 0, "{series}");
    assert_eq!(series["resource"].as_object().unwrap().len(), 2, "{series}");

    // Summed over the two.
    let total = stack
        .get(&series_path("refused_option_off,refused_origin_unreachable", &format!("&resource={off}&resource={down}")))
        .await;
    let total = total.json();
    assert_eq!(sum(&total["metrics"]["refused_option_off"]), refused_off, "{total}");
    assert_eq!(sum(&total["metrics"]["refused_origin_unreachable"]), 2, "{total}");
}

fn assert_bad_query(reply: &Reply, field: &str, says: &str) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let body = reply.json();
    assert!(body["errors"][field].is_string(), "{field}: {body}");
    assert!(body["message"].as_str().unwrap().contains(says), "{says}: {body}");
}

#[tokio::test]
async fn only_the_accounts_resources_are_answered_and_every_parameter_is_checked() {
    let portal = spawn_portal().await;
    let ada = portal.customer("ada%40example.com").await;
    let ada_secret = portal.api_token(&ada, "stats", None).await.secret;
    let own = portal.create_resource(&ada, "ada.example.com", "entire_website").await;
    let bob = portal.customer("bob%40example.com").await;
    let bob_secret = portal.api_token(&bob, "stats", None).await.secret;
    let bobs = portal.create_resource(&bob, "bob.example.com", "entire_website").await;
    let get = async |secret: &str, path: String| portal.api(secret, Method::GET, &path, None).await;

    // The owner's: zeros, since no edge reported anything.
    let live = get(&ada_secret, format!("/cdn/statistics/websockets/live?resource={own}")).await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.body);
    assert_eq!(live.json(), json!({"resource": {own.to_string(): {"open_connections": 0, "edges": 0}}}));
    // Without `resource`: the account's only.
    let all = get(&ada_secret, "/cdn/statistics/websockets/live".to_owned()).await.json();
    assert_eq!(all, json!({"resource": {own.to_string(): {"open_connections": 0, "edges": 0}}}));
    let series = get(&ada_secret, series_path("accepted,open_peak", &format!("&resource={own}"))).await;
    assert_eq!(series.status, StatusCode::OK, "{}", series.body);
    let series = series.json();
    for metric in ["accepted", "open_peak"] {
        assert_eq!(series["metrics"][metric].as_array().unwrap().len(), 12, "{series}");
        assert_eq!(sum(&series["metrics"][metric]), 0, "{series}");
    }
    let grouped = get(&ada_secret, series_path("accepted", "&group_by=resource")).await.json();
    assert_eq!(grouped["resource"].as_object().unwrap().keys().collect::<Vec<_>>(), [&own.to_string()], "{grouped}");

    // Another account's resource, or none: 404, whichever it is.
    for (secret, id) in [(&bob_secret, own), (&ada_secret, bobs), (&ada_secret, 999_999)] {
        for path in [
            format!("/cdn/statistics/websockets/live?resource={id}"),
            series_path("accepted", &format!("&resource={id}")),
            series_path("accepted", &format!("&resource={own}&resource={id}&group_by=resource")),
        ] {
            let reply = get(secret, path.clone()).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
            assert!(reply.json()["message"].as_str().unwrap().contains("no CDN resource"), "{}", reply.body);
            assert!(!reply.body.contains("ada.example.com") && !reply.body.contains("bob.example.com"));
        }
    }

    // Every parameter is checked: 400 naming it.
    let bad = async |metrics: &str, extra: &str| get(&ada_secret, series_path(metrics, extra)).await;
    assert_bad_query(&bad("accepted,requests", "").await, "metrics", "refused_origin_unreachable");
    assert_bad_query(&bad("accepted", "&limit=5").await, "limit", "Unknown query parameter `limit`");
    assert_bad_query(&bad("accepted", "&countries=france").await, "countries", "Gcore's filters");
    assert_bad_query(&bad("accepted", "&group_by=region").await, "group_by", "only `resource`");
    assert_bad_query(&bad("accepted", "&resource=first").await, "resource", "whole number");
    let replaced = |from: &str, to: &str| series_path("accepted", "").replace(from, to);
    let path = replaced("granularity=1m", "granularity=2m");
    assert_bad_query(&get(&ada_secret, path).await, "granularity", "1m, 5m, 15m, 1h, 1d");
    let path = replaced("service=CDN", "service=STORAGE");
    assert_bad_query(&get(&ada_secret, path).await, "service", "CDN");
    let dates = |from: &str, to: &str| {
        format!("/cdn/statistics/series?service=CDN&granularity=1m&metrics=accepted&from={from}&to={to}")
    };
    let now = Timestamp::now().unix_seconds();
    let at = |seconds: i64| Timestamp::from_unix_seconds(seconds).to_rfc3339();
    assert_bad_query(&get(&ada_secret, dates("yesterday", &at(now))).await, "from", "RFC 3339");
    assert_bad_query(&get(&ada_secret, dates(&at(now), &at(now - 60))).await, "to", "after `from`");
    assert_bad_query(&get(&ada_secret, dates(&at(now - 3 * 86_400), &at(now))).await, "from", "kept for 2 days");
    assert_bad_query(&get(&ada_secret, dates(&at(now - 3_600), &at(now + 30 * 86_400))).await, "to", "at most 10000");
    let no_metrics = "/cdn/statistics/series?service=CDN&granularity=1m".to_owned();
    assert_bad_query(&get(&ada_secret, no_metrics).await, "metrics", "required");
    let live_param = get(&ada_secret, "/cdn/statistics/websockets/live?metrics=accepted".to_owned()).await;
    assert_bad_query(&live_param, "metrics", "Unknown query parameter `metrics`");
    // The bad ones are refused before ownership is looked at, for any account.
    assert_bad_query(&bad("nope", &format!("&resource={bobs}")).await, "metrics", "`nope`");

    // No token: the API's 401, never a page, for a browser too; and not another method.
    for accept in ["application/json", "text/html"] {
        for path in ["/cdn/statistics/websockets/live", "/cdn/statistics/series"] {
            let request = Request::get(path).header(header::ACCEPT, accept).body(Body::empty()).unwrap();
            let reply = portal.send(request).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}: {}", reply.body);
            assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "APIKey");
            assert!(reply.json()["message"].as_str().unwrap().contains("APIKey"), "{}", reply.body);
        }
    }
    let posted = portal.api(&ada_secret, Method::POST, "/cdn/statistics/series", Some(json!({}))).await;
    assert_eq!(posted.status, StatusCode::METHOD_NOT_ALLOWED, "{}", posted.body);
    // Gcore's other statistics: not offered, saying what is.
    let other = get(&ada_secret, "/cdn/statistics/aggregate/stats".to_owned()).await;
    assert_eq!(other.status, StatusCode::NOT_IMPLEMENTED, "{}", other.body);
    assert!(other.body.contains("/cdn/statistics/series"), "{}", other.body);

    // Both are in the OpenAPI document.
    let document = portal.send(Request::get(cdn_portal::model::OPENAPI_PATH).body(Body::empty()).unwrap()).await.json();
    let series_doc = &document["paths"]["/cdn/statistics/series"]["get"];
    let params: Vec<&str> =
        series_doc["parameters"].as_array().unwrap().iter().map(|param| param["name"].as_str().unwrap()).collect();
    assert_eq!(params, ["from", "to", "granularity", "metrics", "service", "group_by", "resource"], "{series_doc}");
    assert!(document["paths"]["/cdn/statistics/websockets/live"]["get"]["responses"]["200"].is_object());
}
