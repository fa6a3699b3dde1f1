//! The resource rules on a fresh database: creating, switching, conflicts, concurrency and the
//! guards in the schema.

use super::history::record;
use super::*;
use crate::domain::{EmailAddress, Integration, Timestamp};
use crate::error::AppError;
use crate::model::{CdnResource, Change, ChangeSource};
use crate::options::{OptionChoice, OptionName, OptionValue};
use crate::server::db::{Pool, on_db};
use crate::server::{accounts, db::testing::fresh_database};
use std::collections::BTreeMap;

/// The record of a creation with WebSockets `on`.
fn created_with(on: bool) -> Change {
    Change::Created { option: OptionName::Websockets, value: OptionValue::Switch(on) }
}

/// The change of the Websockets switch from `from` to `to`.
fn switched(from: bool, to: bool) -> Change {
    Change::OptionSet { option: OptionName::Websockets, from: OptionValue::Switch(from), to: OptionValue::Switch(to) }
}

async fn account(pool: &Pool, email: &str) -> Actor {
    let email = EmailAddress::parse(email).unwrap();
    let id = accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
    Actor::portal(id, Some([192, 0, 2, 1].into()))
}

/// Every one of the account's resources, by custom domain.
pub(crate) async fn all_of(pool: &Pool, account_id: i64) -> Vec<CdnResource> {
    page(pool, account_id, &Default::default(), Order::Domain, u32::MAX, 0).await.unwrap().0
}

fn new_resource(domain: &str, integration: Integration) -> NewResource {
    NewResource::parse(domain, "origin.example.com:8080", Some(integration.as_str())).unwrap()
}

async fn insert_at(pool: &Pool, actor: &Actor, domain: &str, seconds: i64) -> CdnResource {
    let mut tx = pool.begin_write().await.unwrap();
    let created = insert(
        &mut tx.db(),
        actor,
        &new_resource(domain, Integration::EntireWebsite),
        Timestamp::from_unix_seconds(seconds),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    created
}

#[tokio::test]
async fn new_resources_take_their_integrations_default_and_record_it() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let site = create(&pool, &owner, &new_resource("www.example.com", Integration::EntireWebsite)).await.unwrap();
    let assets =
        create(&pool, &owner, &new_resource("static.example.com", Integration::StaticAssetsOnly)).await.unwrap();
    assert!(site.options_in_force.websockets);
    assert!(!assets.options_in_force.websockets);
    assert_eq!((site.version, assets.version), (1, 1));
    assert_eq!(site.origin.to_string(), "origin.example.com:8080");
    assert_eq!(site.created_at, site.updated_at);
    let listed = all_of(&pool, owner.account_id).await;
    assert_eq!(listed, vec![assets.clone(), site.clone()], "sorted by domain");

    let site_history = history(&pool, owner.account_id, site.id).await.unwrap();
    assert_eq!(site_history.len(), 1);
    assert_eq!(site_history[0].change, created_with(true));
    assert_eq!(site_history[0].changed_by.as_str(), "ada@example.com");
    assert_eq!(site_history[0].source, ChangeSource::Portal);
    assert_eq!(site_history[0].client_address.as_deref(), Some("192.0.2.1"));
    let assets_history = history(&pool, owner.account_id, assets.id).await.unwrap();
    assert_eq!(assets_history[0].change, created_with(false));
}

#[tokio::test]
async fn a_custom_domain_belongs_to_one_resource_across_accounts() {
    let (pool, _guard) = fresh_database().await;
    let first = account(&pool, "ada@example.com").await;
    let second = account(&pool, "charles@example.com").await;
    create(&pool, &first, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
    let error =
        create(&pool, &second, &new_resource("CDN.example.com", Integration::StaticAssetsOnly)).await.unwrap_err();
    assert!(error.for_field("custom_domain").unwrap().contains("already used"));
    assert!(all_of(&pool, second.account_id).await.is_empty());
}

#[tokio::test]
async fn another_accounts_resource_is_not_found() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let stranger = account(&pool, "eve@example.com").await;
    let resource = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();

    assert_eq!(get(pool.db(), stranger.account_id, resource.id).await, Err(AppError::NotFound));
    assert_eq!(get(pool.db(), owner.account_id, resource.id + 1).await, Err(AppError::NotFound));
    assert_eq!(
        set_websockets(&pool, &stranger, resource.id, 1, false, Timestamp::now()).await,
        Err(AppError::NotFound)
    );
    assert_eq!(history(&pool, stranger.account_id, resource.id).await, Err(AppError::NotFound));
    assert!(all_of(&pool, stranger.account_id).await.is_empty());
    let unchanged = get(pool.db(), owner.account_id, resource.id).await.unwrap();
    assert!(unchanged.options_in_force.websockets);
    assert_eq!(unchanged.version, 1);
}

#[tokio::test]
async fn switching_websockets_is_stored_dated_versioned_and_recorded() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let created = insert_at(&pool, &owner, "cdn.example.com", 1_000).await;

    let off = set_websockets(&pool, &owner, created.id, 1, false, Timestamp::from_unix_seconds(2_000)).await.unwrap();
    assert!(!off.options_in_force.websockets);
    assert_eq!((off.version, off.updated_at.unix_seconds()), (2, 2_000));
    assert_eq!(get(pool.db(), owner.account_id, created.id).await.unwrap(), off);

    let unchanged =
        set_websockets(&pool, &owner, created.id, 2, false, Timestamp::from_unix_seconds(3_000)).await.unwrap();
    assert_eq!(unchanged, off, "saving the same value changes nothing");

    let on = set_websockets(&pool, &owner, created.id, 2, true, Timestamp::from_unix_seconds(4_000)).await.unwrap();
    assert!(on.options_in_force.websockets);
    assert_eq!((on.version, on.created_at.unix_seconds()), (3, 1_000));

    let changes: Vec<(i64, i64, Change)> = history(&pool, owner.account_id, created.id)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| (entry.version, entry.changed_at.unix_seconds(), entry.change))
        .collect();
    assert_eq!(
        changes,
        vec![(3, 4_000, switched(false, true)), (2, 2_000, switched(true, false)), (1, 1_000, created_with(true)),],
        "newest first, one entry per real change"
    );
}

#[tokio::test]
async fn a_save_from_an_outdated_form_is_refused_with_the_current_state() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let created = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
    // Two tabs load version 1; the first turns WebSockets off.
    let first_tab = set_websockets(&pool, &owner, created.id, 1, false, Timestamp::now()).await.unwrap();
    // The second still shows "on" and saves "on": it must not silently undo the first.
    let refused = set_websockets(&pool, &owner, created.id, 1, true, Timestamp::now()).await.unwrap_err();
    assert_eq!(refused, AppError::Conflict(Box::new(first_tab.clone())));
    assert_eq!(refused.http_status(), 409);
    assert_eq!(get(pool.db(), owner.account_id, created.id).await.unwrap(), first_tab);
    assert_eq!(history(&pool, owner.account_id, created.id).await.unwrap().len(), 2);
    // Re-applied from the current version, it goes through.
    let reapplied = set_websockets(&pool, &owner, created.id, first_tab.version, true, Timestamp::now()).await.unwrap();
    assert!(reapplied.options_in_force.websockets);
}

#[tokio::test]
async fn the_database_refuses_a_change_without_a_record_or_a_new_version() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let created = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
    let other = crate::server::origin_groups::create(
        &pool,
        &owner,
        &crate::server::origin_groups::GroupSettings::of_one(
            crate::domain::OriginGroupName::parse("Elsewhere").unwrap(),
            crate::domain::Origin::parse("elsewhere.example.com").unwrap(),
        ),
    )
    .await
    .unwrap();
    let switch = format!("UPDATE cdn_resources SET origin_group_id = {}", other.id);
    for sneaky in [
        "UPDATE cdn_resources SET websockets = FALSE",
        "UPDATE cdn_resources SET websockets = FALSE, version = version + 1",
        &switch,
        "UPDATE cdn_resources SET version = 7",
        "UPDATE origin_groups SET name = 'Renamed'",
        "UPDATE origin_groups SET sources = '[{\"source\":\"b.example.com\",\"enabled\":true,\"backup\":false}]', version = version + 1",
    ] {
        let error = on_db!(pool.db(), |e| sqlx::query(sneaky).execute(e).await.map(|_| ())).unwrap_err();
        assert!(error.to_string().contains("needs the next version and a record"), "{sneaky}: {error}");
    }
    assert_eq!(get(pool.db(), owner.account_id, created.id).await.unwrap(), created);
    assert_eq!(crate::server::origin_groups::get(&pool, owner.account_id, other.id).await.unwrap(), other);
    // Touching nothing a customer set is allowed without a record.
    on_db!(pool.db(), |e| sqlx::query("UPDATE cdn_resources SET updated_at = updated_at").execute(e).await.map(|_| ()))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_saves_queue_instead_of_failing_and_each_accepted_one_is_recorded() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            create(&pool, &owner, &new_resource(&format!("r{n}.example.com"), Integration::EntireWebsite))
                .await
                .unwrap()
                .id,
        );
    }
    // 50 saves, five per resource, all from forms loaded at version 1.
    let saves = (0..50).map(|n| {
        let (pool, owner, id) = (pool.clone(), owner.clone(), ids[n % ids.len()]);
        tokio::spawn(async move { set_websockets(&pool, &owner, id, 1, false, Timestamp::now()).await })
    });
    let mut accepted = 0;
    for save in saves {
        match save.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(AppError::Conflict(current)) => assert_eq!(current.version, 2),
            Err(other) => panic!("a save failed: {other:?}"),
        }
    }
    assert_eq!(accepted, ids.len(), "exactly one save per resource wins");
    for id in ids {
        let changes = history(&pool, owner.account_id, id).await.unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].change, switched(true, false));
        assert!(!get(pool.db(), owner.account_id, id).await.unwrap().options_in_force.websockets);
    }
}

/// A client that hangs up while its save waits for the write lock must not leave a pooled
/// connection inside a transaction: later saves on it would fail, and it would hold the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_abandoned_half_way_leave_every_connection_usable() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let id = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap().id;
    let switch = |on: bool| ResourceUpdate {
        options: BTreeMap::from([(OptionName::Websockets, OptionChoice::chosen(OptionValue::Switch(on)))]),
        ..Default::default()
    };

    // Like a load test that stops: 50 clients saving in a loop, cut off all at once, three times.
    for _ in 0..3 {
        let clients: Vec<_> = (0..50)
            .map(|n| {
                let (pool, owner) = (pool.clone(), owner.clone());
                tokio::spawn(async move {
                    for turn in 0.. {
                        let _ = update_now(&pool, &owner, id, &switch((n + turn) % 2 == 0)).await;
                    }
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        clients.iter().for_each(|client| client.abort());
        for client in clients {
            let _ = client.await;
        }
    }

    for round in 0..5 {
        let saves: Vec<_> = (0..8)
            .map(|n| {
                let (pool, owner, update) = (pool.clone(), owner.clone(), switch((n + round) % 2 == 0));
                tokio::spawn(async move { update_now(&pool, &owner, id, &update).await })
            })
            .collect();
        for save in saves {
            save.await.unwrap().unwrap_or_else(|error| panic!("round {round}: {error:?}"));
        }
    }
}

async fn update_now(pool: &Pool, actor: &Actor, id: i64, change: &ResourceUpdate) -> Result<CdnResource, AppError> {
    update(pool, actor, id, None, change, Timestamp::now()).await
}

/// A save that starts while another writer holds the lock waits for it, then judges by what
/// that writer committed. Begun as a plain (deferred) transaction, it would read the old
/// version first and then fail to write ("database is locked"): a 500 instead of a notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_waits_for_another_writer_and_then_sees_its_change() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let id = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap().id;

    let mut other = pool.begin_write().await.unwrap();
    record(other.db(), &owner, id, 2, Timestamp::now(), &switched(true, false)).await.unwrap();
    on_db!(other.db(), |e| sqlx::query("UPDATE cdn_resources SET websockets = FALSE, version = 2 WHERE id = $1")
        .bind(id)
        .execute(e)
        .await
        .map(|_| ()))
    .unwrap();
    let save = tokio::spawn({
        let (pool, owner) = (pool.clone(), owner.clone());
        async move { set_websockets(&pool, &owner, id, 1, false, Timestamp::now()).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other.commit().await.unwrap();

    match save.await.unwrap() {
        Err(AppError::Conflict(current)) => {
            assert_eq!((current.version, current.options_in_force.websockets), (2, false))
        }
        other => panic!("expected a conflict with version 2, got {other:?}"),
    }
}

/// Replacing (the API's PUT) returns every option to its default and then applies the body's
/// choices: one choice per option, so one record per setting in the new version. Found by
/// schemathesis: a chosen option sent with PUT was a default and a switch at once, two records
/// of one setting in one version, and a 500.
#[tokio::test]
async fn a_later_choice_for_an_option_replaces_an_earlier_one() {
    let (pool, _guard) = fresh_database().await;
    let owner = account(&pool, "ada@example.com").await;
    let id = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap().id;
    let on = OptionChoice::chosen(OptionValue::Switch(true));
    update_now(
        &pool,
        &owner,
        id,
        &ResourceUpdate { options: BTreeMap::from([(OptionName::Websockets, on)]), ..Default::default() },
    )
    .await
    .unwrap();

    let mut options = BTreeMap::from([(OptionName::Websockets, OptionChoice::Default)]);
    options.extend([(OptionName::Websockets, OptionChoice::chosen(OptionValue::Switch(false)))]);
    let saved = update_now(&pool, &owner, id, &ResourceUpdate { options, ..Default::default() }).await.unwrap();
    assert_eq!(saved.options.websockets, Some(crate::options::OptionSetting { enabled: true, value: false }));
    let changes = history(&pool, owner.account_id, id).await.unwrap();
    assert_eq!(changes[0].change, switched(true, false));
    assert_eq!(changes[1].version, 2, "one record for version 3");
}
