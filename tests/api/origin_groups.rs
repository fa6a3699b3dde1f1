//! Origin groups in the database (migration 0009, `server::origin_groups`): per account, names
//! unique in an account, never deleted while in use, every change recorded and sent to the
//! edges for each resource that uses the group, nothing half-saved.

use crate::helpers::fresh_database;
use ::edge_feed::NextUpstream;
use cdn_portal::domain::{
    DomainName, EmailAddress, Integration, Origin, OriginGroupName, OriginSource, OriginSources, Timestamp,
};
use cdn_portal::error::AppError;
use cdn_portal::model::{Change, GroupSetting, OriginGroup};
use cdn_portal::on_db;
use cdn_portal::server::db::Pool;
use cdn_portal::server::edge_feed::{self, ConfigUpdate, EdgeResource};
use cdn_portal::server::origin_groups::{self, GroupSettings, GroupUpdate};
use cdn_portal::server::resources::{self, Actor, NewResource, OriginChoice, ResourceUpdate};

async fn account(pool: &Pool, email: &str) -> Actor {
    let email = EmailAddress::parse(email).unwrap();
    let id =
        cdn_portal::server::accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
    Actor::portal(id, None)
}

fn source(text: &str, enabled: bool, backup: bool) -> OriginSource {
    OriginSource { source: Origin::parse(text).unwrap(), enabled, backup }
}

fn settings(name: &str, sources: Vec<OriginSource>) -> GroupSettings {
    GroupSettings {
        name: OriginGroupName::parse(name).unwrap(),
        sources: OriginSources::new(sources).unwrap(),
        next_upstream: Default::default(),
    }
}

async fn group(pool: &Pool, actor: &Actor, name: &str) -> OriginGroup {
    let sources = vec![source("a.example.com", true, false), source("b.example.com:8080", true, true)];
    origin_groups::create(pool, actor, &settings(name, sources)).await.unwrap()
}

async fn resource_in(pool: &Pool, actor: &Actor, domain: &str, choice: OriginChoice) -> Result<i64, AppError> {
    let new = NewResource::using(DomainName::parse(domain).unwrap(), choice, Integration::EntireWebsite);
    resources::create(pool, actor, &new).await.map(|resource| resource.id)
}

async fn count(pool: &Pool, table: &str) -> i64 {
    on_db!(pool.db(), |e| sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(e).await).unwrap()
}

#[tokio::test]
async fn groups_are_their_accounts_and_names_are_unique_within_one() {
    let (pool, _guard) = fresh_database().await;
    let (ada, bob) = (account(&pool, "ada@example.com").await, account(&pool, "bob@example.com").await);
    let main = group(&pool, &ada, "Main").await;
    assert_eq!((main.id, main.version, main.name.as_str()), (1, 1, "Main"));

    assert_eq!(origin_groups::get(&pool, bob.account_id, main.id).await, Err(AppError::NotFound));
    assert_eq!(origin_groups::history(&pool, bob.account_id, main.id).await, Err(AppError::NotFound));
    let rename = GroupUpdate { name: Some(OriginGroupName::parse("Mine").unwrap()), ..Default::default() };
    assert_eq!(origin_groups::update(&pool, &bob, main.id, None, &rename).await, Err(AppError::NotFound));
    assert_eq!(origin_groups::delete(&pool, bob.account_id, main.id, None).await, Err(AppError::NotFound));
    assert!(origin_groups::list(&pool, bob.account_id).await.unwrap().is_empty());
    // Another account's group cannot serve one's resource: refused by name, and nothing is saved.
    let refused = resource_in(&pool, &bob, "bob.example.com", OriginChoice::Group(main.id)).await.unwrap_err();
    assert!(refused.for_field("origin_group").unwrap().contains("no origin group 1"), "{refused:?}");
    assert_eq!(count(&pool, "cdn_resources").await, 0);

    // The same name in another account is another group; twice in one account it is refused.
    let bobs = group(&pool, &bob, "Main").await;
    assert_ne!(bobs.id, main.id);
    let taken = origin_groups::create(&pool, &ada, &settings(" Main ", vec![source("c.example.com", true, false)]))
        .await
        .unwrap_err();
    assert!(taken.for_field("name").unwrap().contains("already have an origin group named “Main”"), "{taken:?}");
    let other = group(&pool, &ada, "Other").await;
    let to_main = GroupUpdate { name: Some(OriginGroupName::parse("Main").unwrap()), ..Default::default() };
    let taken = origin_groups::update(&pool, &ada, other.id, None, &to_main).await.unwrap_err();
    assert!(taken.for_field("name").is_some(), "{taken:?}");
    assert_eq!(origin_groups::get(&pool, ada.account_id, other.id).await.unwrap(), other, "nothing saved");

    let listed = origin_groups::list(&pool, ada.account_id).await.unwrap();
    assert_eq!(listed.iter().map(|used| used.group.name.as_str()).collect::<Vec<_>>(), ["Main", "Other"]);
}

#[tokio::test]
async fn a_group_in_use_is_not_deleted_and_the_refusal_names_its_resources() {
    let (pool, _guard) = fresh_database().await;
    let ada = account(&pool, "ada@example.com").await;
    let main = group(&pool, &ada, "Main").await;
    let spare = group(&pool, &ada, "Spare").await;
    let first = resource_in(&pool, &ada, "b.example.com", OriginChoice::Group(main.id)).await.unwrap();
    let second = resource_in(&pool, &ada, "a.example.com", OriginChoice::Group(main.id)).await.unwrap();

    let used = origin_groups::get_with_users(&pool, ada.account_id, main.id).await.unwrap();
    let domains: Vec<&str> = used.used_by.iter().map(|user| user.custom_domain.as_str()).collect();
    assert_eq!(domains, ["a.example.com", "b.example.com"]);
    let refused = origin_groups::delete(&pool, ada.account_id, main.id, Some(1)).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "This origin group is used by the CDN resources a.example.com, b.example.com, so it was not deleted. Switch each to another origin group first."
    );
    assert_eq!(refused.http_status(), 409);
    // The database refuses it too, whoever deletes.
    let sql = format!("DELETE FROM origin_groups WHERE id = {}", main.id);
    on_db!(pool.db(), |e| sqlx::query(&sql).execute(e).await.map(|_| ())).unwrap_err();

    // Switched away, one by one: a recorded setting of each resource.
    for id in [first, second] {
        let switch = ResourceUpdate { origin: Some(OriginChoice::Group(spare.id)), ..Default::default() };
        let saved = resources::update(&pool, &ada, id, Some(1), &switch, Timestamp::now()).await.unwrap();
        assert_eq!(
            (saved.origin_group.id, saved.version, saved.origin.to_string()),
            (spare.id, 2, "a.example.com".into())
        );
        let newest = resources::history(&pool, ada.account_id, id).await.unwrap().remove(0);
        assert_eq!(newest.change, Change::OriginGroupSwitched { from: main.reference(), to: spare.reference() });
    }
    origin_groups::delete(&pool, ada.account_id, main.id, Some(1)).await.unwrap();
    assert_eq!(origin_groups::get(&pool, ada.account_id, main.id).await, Err(AppError::NotFound));
    // Its id is never given again.
    assert_eq!(group(&pool, &ada, "Main").await.id, spare.id + 1);
}

/// The edge's view of resource `id` in `update`.
fn served(update: &ConfigUpdate, id: i64) -> Option<&EdgeResource> {
    update.resources.iter().find(|resource| resource.id == id)
}

#[tokio::test]
async fn a_group_change_reaches_the_feed_for_every_resource_that_uses_it() {
    let (pool, _guard) = fresh_database().await;
    let ada = account(&pool, "ada@example.com").await;
    let main = group(&pool, &ada, "Main").await;
    let first = resource_in(&pool, &ada, "a.example.com", OriginChoice::Group(main.id)).await.unwrap();
    let second = resource_in(&pool, &ada, "b.example.com", OriginChoice::Group(main.id)).await.unwrap();
    let elsewhere =
        resource_in(&pool, &ada, "c.example.com", OriginChoice::Origin(Origin::parse("c.example.com").unwrap()))
            .await
            .unwrap();
    let start = edge_feed::snapshot(&pool).await.unwrap();
    let sent = served(&start, first).unwrap();
    assert_eq!(sent.origin, "a.example.com");
    let group = sent.origin_group.as_ref().unwrap();
    assert_eq!((group.id, group.sources.len(), group.use_next), (main.id, 2, false));
    assert_eq!(served(&start, elsewhere).unwrap().origin_group.as_ref().unwrap().sources[0].source, "c.example.com");

    // A disabled origin is not sent; the first enabled primary is the resource's `origin`.
    let change = GroupUpdate {
        sources: Some(
            OriginSources::new(vec![
                source("a.example.com", false, false),
                source("d.example.com:81", true, false),
                source("b.example.com:8080", true, true),
            ])
            .unwrap(),
        ),
        use_next: Some(true),
        proxy_next_upstream: Some(vec![NextUpstream::Http502, NextUpstream::Error]),
        ..Default::default()
    };
    let saved = origin_groups::update(&pool, &ada, main.id, Some(1), &change).await.unwrap();
    assert_eq!(saved.version, 2);
    let update = edge_feed::changes_after(&pool, start.version).await.unwrap().unwrap();
    let mut changed: Vec<i64> = update.resources.iter().map(|resource| resource.id).collect();
    changed.sort();
    assert_eq!(changed, [first, second], "each resource of the group, and no other");
    for id in [first, second] {
        let sent = served(&update, id).unwrap();
        assert_eq!(sent.origin, "d.example.com:81");
        let group = sent.origin_group.as_ref().unwrap();
        let sources: Vec<(&str, bool)> = group.sources.iter().map(|s| (s.source.as_str(), s.backup)).collect();
        assert_eq!(sources, [("d.example.com:81", false), ("b.example.com:8080", true)]);
        assert_eq!(
            (group.use_next, group.proxy_next_upstream.as_slice()),
            (true, &[NextUpstream::Http502, NextUpstream::Error][..])
        );
    }
    // What the edges do not use, the name, is no change for them.
    let rename = GroupUpdate { name: Some(OriginGroupName::parse("Renamed").unwrap()), ..Default::default() };
    origin_groups::update(&pool, &ada, main.id, Some(2), &rename).await.unwrap();
    assert_eq!(edge_feed::changes_after(&pool, update.version).await.unwrap(), None);
    // The history says who changed what, one record per setting, newest first.
    let history = origin_groups::history(&pool, ada.account_id, main.id).await.unwrap();
    let entries: Vec<(i64, GroupSetting, Option<&str>, &str)> = history
        .iter()
        .map(|entry| (entry.version, entry.setting, entry.old_value.as_deref(), entry.new_value.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            (3, GroupSetting::Name, Some("Main"), "Renamed"),
            (
                2,
                GroupSetting::Sources,
                Some("a.example.com\nb.example.com:8080 (backup)"),
                "a.example.com (disabled)\nd.example.com:81\nb.example.com:8080 (backup)"
            ),
            (2, GroupSetting::UseNext, Some("off"), "on"),
            (2, GroupSetting::ProxyNextUpstream, Some("error, timeout"), "http_502, error"),
            (1, GroupSetting::Name, None, "Main"),
            (1, GroupSetting::Sources, None, "a.example.com\nb.example.com:8080 (backup)"),
            (1, GroupSetting::UseNext, None, "off"),
            (1, GroupSetting::ProxyNextUpstream, None, "error, timeout"),
        ]
    );
    assert!(history.iter().all(|entry| entry.changed_by.as_str() == "ada@example.com"));
}

#[tokio::test]
async fn bad_or_outdated_changes_save_nothing() {
    let (pool, _guard) = fresh_database().await;
    let ada = account(&pool, "ada@example.com").await;
    let main = group(&pool, &ada, "Main").await;
    let records = count(&pool, "origin_group_changes").await;

    // `use_next` needs a case, given or stored.
    let no_case = GroupUpdate { use_next: Some(true), proxy_next_upstream: Some(vec![]), ..Default::default() };
    let refused = origin_groups::update(&pool, &ada, main.id, None, &no_case).await.unwrap_err();
    assert!(refused.for_field("proxy_next_upstream").is_some(), "{refused:?}");
    let outdated = GroupUpdate { use_next: Some(true), ..Default::default() };
    assert_eq!(
        origin_groups::update(&pool, &ada, main.id, Some(7), &outdated).await,
        Err(AppError::GroupConflict(Box::new(main.clone())))
    );
    assert_eq!(
        origin_groups::delete(&pool, ada.account_id, main.id, Some(7)).await,
        Err(AppError::GroupConflict(Box::new(main.clone())))
    );
    assert_eq!(origin_groups::get(&pool, ada.account_id, main.id).await.unwrap(), main);
    assert_eq!(count(&pool, "origin_group_changes").await, records);
    // The stored cases serve a `use_next` given alone; the same values again change nothing.
    let saved = origin_groups::update(&pool, &ada, main.id, Some(1), &outdated).await.unwrap();
    assert_eq!((saved.version, saved.next_upstream.use_next()), (2, true));
    assert_eq!(origin_groups::update(&pool, &ada, main.id, Some(2), &outdated).await.unwrap(), saved);

    // A resource refused for its domain leaves no group of one behind.
    resource_in(&pool, &ada, "cdn.example.com", OriginChoice::Origin(Origin::parse("x.example.com").unwrap()))
        .await
        .unwrap();
    let groups = count(&pool, "origin_groups").await;
    let taken =
        resource_in(&pool, &ada, "cdn.example.com", OriginChoice::Origin(Origin::parse("y.example.com").unwrap()))
            .await;
    assert!(taken.unwrap_err().for_field("custom_domain").is_some());
    let mut with_taken_hostname = NewResource::new(
        DomainName::parse("new.example.com").unwrap(),
        Origin::parse("z.example.com").unwrap(),
        Integration::EntireWebsite,
    );
    with_taken_hostname.secondary_hostnames =
        cdn_portal::domain::SecondaryHostnames::new(vec![DomainName::parse("cdn.example.com").unwrap()]).unwrap();
    assert!(resources::create(&pool, &ada, &with_taken_hostname).await.is_err());
    assert_eq!(count(&pool, "origin_groups").await, groups);
    assert_eq!(count(&pool, "cdn_resources").await, 1);
}

#[tokio::test]
async fn an_origin_makes_a_group_of_one_named_after_it_reused_while_it_is_just_that() {
    let (pool, _guard) = fresh_database().await;
    let ada = account(&pool, "ada@example.com").await;
    let origin = || OriginChoice::Origin(Origin::parse("Origin.example.com:8080").unwrap());
    let first = resource_in(&pool, &ada, "a.example.com", origin()).await.unwrap();
    let second = resource_in(&pool, &ada, "b.example.com", origin()).await.unwrap();
    let group_of = |id| {
        let pool = pool.clone();
        async move { resources::get(pool.db(), 1, id).await.unwrap().origin_group }
    };
    let made = group_of(first).await;
    assert_eq!(made.name.as_str(), "origin.example.com:8080");
    assert_eq!(group_of(second).await, made, "the same origin, the same group");

    // Once that group is more than that origin, the name goes to a new group with a number.
    let more = GroupUpdate {
        sources: Some(
            OriginSources::new(vec![
                source("origin.example.com:8080", true, false),
                source("b.example.com", true, false),
            ])
            .unwrap(),
        ),
        ..Default::default()
    };
    origin_groups::update(&pool, &ada, made.id, None, &more).await.unwrap();
    let third = resource_in(&pool, &ada, "c.example.com", origin()).await.unwrap();
    let numbered = group_of(third).await;
    assert_eq!(numbered.name.as_str(), "origin.example.com:8080 (2)");
    let fourth = resource_in(&pool, &ada, "d.example.com", origin()).await.unwrap();
    assert_eq!(group_of(fourth).await, numbered);
    // Another account makes its own.
    let bob = account(&pool, "bob@example.com").await;
    let theirs = resource_in(&pool, &bob, "e.example.com", origin()).await.unwrap();
    let theirs = resources::get(pool.db(), bob.account_id, theirs).await.unwrap().origin_group;
    assert_eq!(theirs.name.as_str(), "origin.example.com:8080");
    assert_ne!(theirs.id, made.id);
}
