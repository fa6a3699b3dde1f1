//! Changes to resources under concurrency, over HTTP: outdated forms are refused with what is
//! stored now, concurrent saves queue and lose nothing, and the history accounts for each one.

use crate::helpers::*;
use axum::http::{StatusCode, header};
use cdn_portal::error::AppError;
use cdn_portal::model::{CdnResource, ResourcePage};
use cdn_portal::on_db;
use std::sync::Arc;

fn resource_of(reply: &Reply) -> CdnResource {
    reply.decode()
}

#[tokio::test]
async fn two_tabs_cannot_silently_undo_each_other() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;

    // Both tabs loaded version 1 (on). The first turns WebSockets off.
    let first = portal.save_websockets(&cookie, id, 1, false).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(resource_of(&first).version, 2);

    // The second still shows "on", and saves it: refused, with what is stored now.
    let second = portal.save_websockets(&cookie, id, 1, true).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    let AppError::Conflict(current) = second.app_error() else { panic!("{}", second.body) };
    assert!(!current.options_in_force.websockets);
    assert_eq!(current.version, 2);
    let stored = resource_of(&portal.call("get_resource", &format!("id={id}"), Some(&cookie)).await);
    assert_eq!(stored, *current, "the refused save changed nothing");

    // Re-applied from the version it was shown, it goes through.
    let again = portal.save_websockets(&cookie, id, current.version, true).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(resource_of(&again).options_in_force.websockets);
}

#[tokio::test]
async fn without_javascript_a_refused_save_comes_back_showing_the_current_state() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;
    let page = format!("{PORTAL_ORIGIN}/cdn/resources/{id}/content");
    assert_eq!(portal.save_websockets(&cookie, id, 1, false).await.status, StatusCode::OK);

    let refused = portal
        .post_form("save_content_settings", &format!("resource_id={id}&version=1&websockets=on"), &cookie, &page)
        .await;
    assert_eq!(refused.status, StatusCode::FOUND);
    let location = refused.headers[header::LOCATION].to_str().unwrap();
    let shown = portal.get(location.trim_start_matches(PORTAL_ORIGIN), Some(&cookie)).await;
    assert!(shown.body.contains("This resource was changed elsewhere"), "{}", shown.body);
    // Leptos marks the joins between static and dynamic text with empty comments.
    assert!(shown.body.replace("<!>", "").contains("Saved elsewhere: WebSockets is now off."), "{}", shown.body);
    let switch = input_tag(&shown.body, r#"role="switch""#);
    assert!(!switch.contains("checked"), "shows what is stored: {switch}");
    let version = input_tag(&shown.body, r#"name="version""#);
    assert!(version.contains(r#"value="2""#), "the next save names the current version: {version}");
}

#[tokio::test]
async fn the_history_section_lists_every_change_newest_first_and_only_to_its_owner() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let stranger = portal.customer("eve%40example.com").await;
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;
    assert_eq!(portal.save_websockets(&cookie, id, 1, false).await.status, StatusCode::OK);
    assert_eq!(portal.save_websockets(&cookie, id, 2, true).await.status, StatusCode::OK);
    assert_eq!(portal.save_websockets(&cookie, id, 3, true).await.status, StatusCode::OK, "saving the same value…");

    let page = portal.get(&format!("/cdn/resources/{id}/history"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let position = |text: &str| page.body.find(text).unwrap_or_else(|| panic!("no {text:?} in {}", page.body));
    let newest = position("WebSockets turned on");
    let middle = position("WebSockets turned off");
    let oldest = position("Created, with WebSockets on");
    assert!(newest < middle && middle < oldest, "newest first");
    assert_eq!(page.body.matches("<tr>").count(), 1 + 3, "…is not a change: a header row and three entries");
    assert!(page.body.contains("ada@example.com"));
    assert!(page.body.contains("Portal (192.0.2.1)"));

    let peek = portal.get(&format!("/cdn/resources/{id}/history"), Some(&stranger)).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    assert!(!peek.body.contains("cdn.example.com") && !peek.body.contains("ada@example.com"));
}

/// Fails the test on any server error; otherwise the save's outcome.
fn accepted_or_conflict(reply: &Reply) -> Result<CdnResource, Box<CdnResource>> {
    match reply.status {
        StatusCode::OK => Ok(resource_of(reply)),
        StatusCode::CONFLICT => match reply.app_error() {
            AppError::Conflict(current) => Err(current),
            other => panic!("{other:?}"),
        },
        other => panic!("a save answered {other}: {}", reply.body),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_saves_at_one_resource_lose_nothing() {
    let portal = Arc::new(spawn_portal().await);
    let cookie = Arc::new(portal.customer("ada%40example.com").await);
    let id = portal.create_resource(&cookie, "cdn.example.com", "entire_website").await;

    // Fifty customers' tabs each flip the switch once, starting from version 1, and re-apply
    // their flip on top of whatever a conflict reports, until it is accepted.
    let clients = (0..50).map(|_| {
        let (portal, cookie) = (portal.clone(), cookie.clone());
        tokio::spawn(async move {
            let mut shown = (1, true);
            let mut conflicts = 0;
            loop {
                match accepted_or_conflict(&portal.save_websockets(&cookie, id, shown.0, !shown.1).await) {
                    Ok(saved) => return (saved, conflicts),
                    Err(current) => {
                        conflicts += 1;
                        shown = (current.version, current.options_in_force.websockets);
                    }
                }
            }
        })
    });
    let mut accepted = Vec::new();
    let mut conflicts = 0;
    for client in clients {
        let (saved, refused) = client.await.unwrap();
        accepted.push(saved);
        conflicts += refused;
    }
    assert!(conflicts > 0, "the saves really did overlap");

    accepted.sort_by_key(|saved| saved.version);
    let versions: Vec<i64> = accepted.iter().map(|saved| saved.version).collect();
    assert_eq!(versions, (2..=51).collect::<Vec<_>>(), "every accepted save made exactly one version");
    let history = portal.history(&cookie, id).await;
    assert_eq!(history.len(), 51, "creation and every accepted save are on record");
    for (entry, saved) in history.iter().rev().skip(1).zip(&accepted) {
        assert_eq!(entry.version, saved.version);
        assert_eq!(
            entry.change,
            cdn_portal::model::Change::OptionSet {
                option: cdn_portal::options::OptionName::Websockets,
                from: cdn_portal::options::OptionValue::Switch(!saved.options_in_force.websockets),
                to: cdn_portal::options::OptionValue::Switch(saved.options_in_force.websockets)
            }
        );
    }
    let stored = resource_of(&portal.call("get_resource", &format!("id={id}"), Some(&cookie)).await);
    assert_eq!(stored, *accepted.last().unwrap(), "the final state is the last accepted save");
    assert!(stored.options_in_force.websockets, "fifty flips from on end on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_saves_at_fifty_resources_all_go_through() {
    let portal = Arc::new(spawn_portal().await);
    let cookie = Arc::new(portal.customer("ada%40example.com").await);
    let mut ids = Vec::new();
    for n in 0..50 {
        ids.push(portal.create_resource(&cookie, &format!("r{n}.example.com"), "entire_website").await);
    }
    let saves = ids.iter().map(|&id| {
        let (portal, cookie) = (portal.clone(), cookie.clone());
        tokio::spawn(async move { accepted_or_conflict(&portal.save_websockets(&cookie, id, 1, false).await) })
    });
    for save in saves {
        let saved = save.await.unwrap().expect("no other save touched this resource");
        assert_eq!((saved.version, saved.options_in_force.websockets), (2, false));
    }
    let listed: Vec<CdnResource> =
        portal.call("list_resources", "", Some(&cookie)).await.decode::<ResourcePage>().resources;
    assert_eq!(listed.len(), 50);
    assert!(listed.iter().all(|resource| !resource.options_in_force.websockets && resource.version == 2));
    let (records,): (i64,) =
        on_db!(portal.pool.db(), |e| sqlx::query_as("SELECT count(*) FROM resource_changes WHERE action = 'updated'")
            .fetch_one(e)
            .await)
        .unwrap();
    assert_eq!(records, 50);
}
