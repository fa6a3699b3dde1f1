//! Two real portal processes (replicas A and B, as behind a load balancer) over one database:
//! what one saves the other serves at once, a session opened on one works on the other, their
//! concurrent saves lose nothing, and an edge following one obeys changes saved on the other.

use crate::helpers::edge::{TIMEOUTS, edge_settings};
use crate::helpers::replica::{Replica, Replicas, two_replicas};
use crate::helpers::visitor::{echoes, refused_status, websocket, within_a_second};
use crate::helpers::*;
use axum::http::{Method, header};
use cdn_edge::RunningEdge;
use cdn_portal::model::{Change, ResourceChange};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The resource as `replica` reads it for the signed-in customer (server function `get_resource`).
async fn resource(replica: &Replica, cookie: &str, id: i64) -> Value {
    let reply = replica.call("get_resource", &format!("id={id}"), Some(cookie)).await;
    assert_eq!(reply.status, 200, "reading resource {id} through {}: {reply:?}", replica.name);
    reply.json()
}

/// Whether the page is the log-in form (what the portal shows without a valid session).
fn is_log_in_page(page: &Reply) -> bool {
    page.body.contains(r#"id="log-in-heading""#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_saved_through_one_replica_is_seen_by_the_other_at_once_and_a_session_works_on_both() {
    let Replicas { a, b, .. } = &two_replicas().await;
    let cookie = a.customer("ada%40replicas.example").await;

    // The session opened on A is known to B.
    let anonymous = b.get("/cdn", None).await;
    assert!(is_log_in_page(&anonymous), "without a session B shows the log-in form: {}", anonymous.body);
    let page = b.get("/cdn", Some(&cookie)).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(!is_log_in_page(&page), "B asks A's customer to log in: {}", page.body);
    assert!(page.body.contains("ada@replicas.example"), "B shows the account: {}", page.body);
    assert!(page.body.contains("No CDN resources yet"), "{}", page.body);

    // Created through B, served by A.
    let id = b.create_resource_at(&cookie, "site.replicas.example", "origin.example.com", "entire_website").await;
    let settings = a.get(&format!("/cdn/resources/{id}"), Some(&cookie)).await;
    assert_eq!(settings.status, 200, "A's settings page of a resource created through B: {settings:?}");
    assert!(settings.body.contains("site.replicas.example"), "{}", settings.body);
    let on_a = resource(a, &cookie, id).await;
    assert_eq!(
        (on_a["options_in_force"]["websockets"].as_bool(), on_a["version"].as_i64()),
        (Some(true), Some(1)),
        "{on_a}"
    );

    // Switched off through A, off on B with the very next request.
    let saved = a.save_websockets(&cookie, id, 1, false).await;
    assert_eq!(saved.status, 200, "saving through A: {saved:?}");
    let on_b = resource(b, &cookie, id).await;
    assert_eq!(
        (on_b["options_in_force"]["websockets"].as_bool(), on_b["version"].as_i64()),
        (Some(false), Some(2)),
        "B: {on_b}"
    );
    let content = b.get(&format!("/cdn/resources/{id}/content"), Some(&cookie)).await;
    let switch = input_tag(&content.body, r#"role="switch""#);
    assert!(!switch.contains("checked"), "B's settings page still shows WebSockets on: {switch}");
    // A form B served before A's save is outdated on B too.
    let stale = b.save_websockets(&cookie, id, 1, true).await;
    assert_eq!(stale.status, 409, "a save from version 1 through B after A saved version 2: {stale:?}");
    let history = b.history(&cookie, id).await;
    let changes: Vec<(i64, Change)> = history.into_iter().map(|entry| (entry.version, entry.change)).collect();
    assert_eq!(
        changes,
        [
            (
                2,
                Change::OptionSet {
                    option: cdn_portal::options::OptionName::Websockets,
                    from: cdn_portal::options::OptionValue::Switch(true),
                    to: cdn_portal::options::OptionValue::Switch(false)
                }
            ),
            (
                1,
                Change::Created {
                    option: cdn_portal::options::OptionName::Websockets,
                    value: cdn_portal::options::OptionValue::Switch(true)
                }
            )
        ],
        "B's history of what was created through B and saved through A"
    );

    // Logged out through B, the session is over on A too.
    assert!(!is_log_in_page(&a.get("/cdn", Some(&cookie)).await), "still signed in on A before logging out");
    let out = b.call("log_out", "", Some(&cookie)).await;
    assert_eq!(out.status, 200, "logging out through B: {out:?}");
    let page = a.get("/cdn", Some(&cookie)).await;
    assert!(is_log_in_page(&page), "A still honours a session ended on B: {}", page.body);
    assert!(!page.body.contains("site.replicas.example"), "A shows the customer's data after log-out: {}", page.body);
    let call = a.call("get_resource", &format!("id={id}"), Some(&cookie)).await;
    assert_eq!(call.status, 401, "A answers a server function for a session ended on B: {call:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_saves_through_both_replicas_lose_nothing() {
    const UNCONDITIONAL: usize = 40;
    const CONDITIONAL: usize = 20;
    let replicas = two_replicas().await;
    let (a, b) = (&replicas.a, &replicas.b);
    let cookie = a.customer("grace%40replicas.example").await;
    let secret = b.api_token(&cookie, "replicas", None).await.secret;
    let id = a.create_resource_at(&cookie, "busy.replicas.example", "origin.example.com", "entire_website").await;
    let path = format!("/cdn/resources/{id}");
    let through = |n: usize| if n.is_multiple_of(2) { a } else { b };

    // Every save without If-Match is applied on top of the one before, whichever replica took it.
    let origins: Vec<String> = (0..UNCONDITIONAL).map(|n| format!("origin-{n}.replicas.example")).collect();
    let replies = join_all(origins.iter().enumerate().map(|(n, origin)| {
        let body = json!({"origin": origin});
        let (path, secret) = (&path, &secret);
        async move { through(n).api(secret, Method::PATCH, path, Some(body)).await }
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    assert!(
        statuses.iter().all(|status| *status == 200),
        "PATCHes without If-Match, alternating A and B: {statuses:?}\n{replies:#?}"
    );
    let versions: BTreeSet<i64> = replies.iter().map(Reply::etag_version).collect();
    assert_eq!(versions, (2..=1 + UNCONDITIONAL as i64).collect(), "each save got its own version");

    for replica in [a, b] {
        let fetched = replica.api(&secret, Method::GET, &path, None).await;
        assert_eq!(fetched.status, 200, "{fetched:?}");
        assert_eq!(fetched.etag_version(), 1 + UNCONDITIONAL as i64, "the version {} reads", replica.name);
    }
    let last = b.api(&secret, Method::GET, &path, None).await.json()["origin"].as_str().unwrap().to_owned();

    // The history holds every save, as a chain: each one changed what the one before it saved.
    let mut moves: Vec<(i64, String, String)> = a
        .history(&cookie, id)
        .await
        .into_iter()
        .filter_map(|entry| match entry.change {
            // Each save's origin makes a group of one named after it.
            Change::OriginGroupSwitched { from, to } => {
                Some((entry.version, from.name.to_string(), to.name.to_string()))
            }
            _ => None,
        })
        .collect();
    moves.sort();
    assert_eq!(moves.len(), UNCONDITIONAL, "origin records: {moves:#?}");
    let recorded: BTreeSet<i64> = moves.iter().map(|(version, ..)| *version).collect();
    assert_eq!(recorded, (2..=1 + UNCONDITIONAL as i64).collect(), "one record per version: {moves:#?}");
    assert_eq!(
        moves.iter().map(|(.., to)| to.clone()).collect::<BTreeSet<_>>(),
        origins.iter().cloned().collect(),
        "every origin sent is on record"
    );
    let mut previous = "origin.example.com".to_owned();
    for (version, from, to) in &moves {
        assert_eq!(from, &previous, "version {version} changed {from}, but the version before left {previous}");
        previous = to.clone();
    }
    assert_eq!(previous, last, "the newest record is what is stored");

    // Saves all made from the same version: exactly one gets through, whichever replica it reaches.
    let current = format!("\"{id}.{}\"", 1 + UNCONDITIONAL);
    let replies =
        join_all(
            (0..CONDITIONAL).map(|n| {
                let body = json!({"origin": format!("late-{n}.replicas.example")});
                let (path, secret, current) = (&path, &secret, &current);
                async move {
                    through(n).api_with(secret, Method::PATCH, path, &[(header::IF_MATCH, current)], Some(body)).await
                }
            }),
        )
        .await;
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    let accepted: Vec<usize> = (0..CONDITIONAL).filter(|n| statuses[*n] == 200).collect();
    assert_eq!(
        accepted.len(),
        1,
        "PATCHes with If-Match {current}, alternating A and B, accepted: {statuses:?}\n{replies:#?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 409).count(),
        CONDITIONAL - 1,
        "the rest are conflicts: {statuses:?}"
    );
    let winner = accepted[0];
    assert_eq!(replies[winner].etag_version(), 2 + UNCONDITIONAL as i64);

    let fetched = a.api(&secret, Method::GET, &path, None).await;
    assert_eq!(fetched.etag_version(), 2 + UNCONDITIONAL as i64, "the version advanced by exactly one");
    assert_eq!(fetched.json()["origin"], format!("late-{winner}.replicas.example"), "the one accepted save is stored");
    let newest: Vec<ResourceChange> =
        b.history(&cookie, id).await.into_iter().filter(|entry| entry.version > 1 + UNCONDITIONAL as i64).collect();
    assert_eq!(newest.len(), 1, "records after version {}: {newest:#?}", 1 + UNCONDITIONAL);
}

/// An edge following `portal_url`, with its state in `state`.
async fn edge_following(portal_url: &str, state: &tempfile::TempDir) -> RunningEdge {
    let settings = edge_settings(portal_url, &state.path().join("edge.json"), "edge-replicas", TIMEOUTS);
    cdn_edge::start(settings).await.expect("the edge starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_following_one_replica_obeys_a_change_saved_on_the_other_within_a_second() {
    let Replicas { a, b, .. } = &two_replicas().await;
    let cookie = a.customer("linus%40replicas.example").await;
    let secret = a.api_token(&cookie, "replicas", None).await.secret;
    let origin = echo_origin::spawn("127.0.0.1:0".parse().unwrap()).await.expect("the echo origin starts");
    let domain = "ws.replicas.example";
    let id = b.create_resource_at(&cookie, domain, &origin.to_string(), "entire_website").await;
    let state = tempfile::tempdir().unwrap();
    let edge = edge_following(&a.url(), &state).await;

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut open = loop {
        if let Ok(socket) = websocket(edge.addr, domain, "/live").await {
            break socket;
        }
        assert!(Instant::now() < deadline, "the edge following A never let a WebSocket through to {domain}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    echoes(&mut open, "hello through the edge").await;

    let path = format!("/cdn/resources/{id}");
    let off = b
        .api(&secret, Method::PATCH, &path, Some(json!({"options":{"websockets":{"enabled":true,"value":false}}})))
        .await;
    assert_eq!(off.status, 200, "WebSockets off through B: {off:?}");
    let took = within_a_second("WebSockets off, saved through B", async || {
        refused_status(websocket(edge.addr, domain, "/live").await).map(|(status, _)| status) == Some(403)
    })
    .await;
    eprintln!("the edge following A refused WebSockets {took:?} after B answered the save");
    echoes(&mut open, "the tunnel opened before stays open").await;

    let on = b
        .api(&secret, Method::PATCH, &path, Some(json!({"options":{"websockets":{"enabled":true,"value":true}}})))
        .await;
    assert_eq!(on.status, 200, "WebSockets on through B: {on:?}");
    let took =
        within_a_second("WebSockets on, saved through B", async || websocket(edge.addr, domain, "/live").await.is_ok())
            .await;
    eprintln!("the edge following A let WebSockets through {took:?} after B answered the save");
    let mut again = websocket(edge.addr, domain, "/live").await.expect("WebSockets on again");
    echoes(&mut again, "and back on").await;
}
