//! Trusted CA certificates in the database (migration 0011, `server::certificates::*_ca`): per
//! account, checked on upload, the one a resource names (`proxy_ssl_ca`, a setting with its
//! history) sent to its edges as `origin_ca`, a replacement reaching them, never deleted while
//! named, nothing half-saved.

use crate::helpers::certs::{ca_certificate, ca_certificate_valid};
use crate::helpers::{Portal, form_value, fresh_database, spawn_portal};
use axum::http::StatusCode;
use cdn_portal::domain::{DomainName, EmailAddress, Integration, Origin, Timestamp};
use cdn_portal::error::AppError;
use cdn_portal::model::{CdnResource, Certificate, Change};
use cdn_portal::on_db;
use cdn_portal::server::certificates;
use cdn_portal::server::db::Pool;
use cdn_portal::server::edge_feed::{self, ConfigUpdate, EdgeResource};
use cdn_portal::server::resources::{self, Actor, NewResource, ResourceUpdate};
use std::time::{Duration, SystemTime};

async fn account(pool: &Pool, email: &str) -> Actor {
    let email = EmailAddress::parse(email).unwrap();
    let id =
        cdn_portal::server::accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
    Actor::portal(id, None)
}

async fn resource(pool: &Pool, actor: &Actor, domain: &str) -> i64 {
    let new = NewResource::new(
        DomainName::parse(domain).unwrap(),
        Origin::parse("origin.example.com").unwrap(),
        Integration::EntireWebsite,
    );
    resources::create(pool, actor, &new).await.unwrap().id
}

/// Names the trusted CA of the actor's resource `id` (`None`: the public roots only).
async fn set_ca(pool: &Pool, actor: &Actor, id: i64, ca: Option<i64>) -> Result<CdnResource, AppError> {
    let update = ResourceUpdate { proxy_ssl_ca: Some(ca), ..Default::default() };
    resources::update(pool, actor, id, None, &update, Timestamp::now()).await
}

async fn ca_of(pool: &Pool, actor: &Actor, id: i64) -> Option<i64> {
    resources::get(pool.db(), actor.account_id, id).await.unwrap().proxy_ssl_ca
}

fn served(update: &ConfigUpdate, id: i64) -> Option<&EdgeResource> {
    update.resources.iter().find(|resource| resource.id == id)
}

fn field_message(error: &AppError, field: &str) -> String {
    match error {
        AppError::Invalid(fields) => {
            fields.for_field(field).unwrap_or_else(|| panic!("no {field}: {error:?}")).to_owned()
        }
        other => panic!("not invalid: {other:?}"),
    }
}

async fn count(pool: &Pool, table: &str) -> i64 {
    on_db!(pool.db(), |e| sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(e).await).unwrap()
}

#[tokio::test]
async fn cas_are_their_accounts_checked_on_upload_and_ids_are_never_reused() {
    let (pool, _guard) = fresh_database().await;
    let (ada, bob) = (account(&pool, "ada@example.com").await, account(&pool, "bob@example.com").await);
    let pem = ca_certificate("Origin CA");
    let ca = certificates::create_ca(&pool, ada.account_id, " Private ", &pem).await.unwrap();
    assert_eq!(
        (ca.name.as_str(), ca.subject_cn.as_str(), ca.issuer.as_str(), ca.version),
        ("Private", "Origin CA", "CN=Origin CA", 1)
    );
    assert!(ca.used_by.is_empty());
    assert_eq!(certificates::get_ca(&pool, ada.account_id, ca.id).await.unwrap(), ca);
    assert_eq!(certificates::list_cas(&pool, ada.account_id).await.unwrap(), std::slice::from_ref(&ca));
    assert_eq!(certificates::get_ca(&pool, bob.account_id, ca.id).await, Err(AppError::NotFound));
    assert!(certificates::list_cas(&pool, bob.account_id).await.unwrap().is_empty());
    assert_eq!(certificates::delete_ca(&pool, bob.account_id, ca.id).await, Err(AppError::NotFound));

    // Refusals name their field and keep nothing.
    let taken = certificates::create_ca(&pool, ada.account_id, "Private", &pem).await.unwrap_err();
    assert!(field_message(&taken, "name").contains("already have"), "{taken:?}");
    let not_pem = certificates::create_ca(&pool, ada.account_id, "Other", "hello").await.unwrap_err();
    assert!(field_message(&not_pem, "certificate").contains("PEM"), "{not_pem:?}");
    let now = SystemTime::now();
    let expired =
        ca_certificate_valid("Old CA", now - Duration::from_secs(100 * 86_400), now - Duration::from_secs(86_400));
    let error = certificates::create_ca(&pool, ada.account_id, "Old", &expired).await.unwrap_err();
    assert!(field_message(&error, "certificate").contains("not valid now"), "{error:?}");
    assert_eq!(count(&pool, "trusted_ca_certificates").await, 1);

    // Ids are never given twice, even after a deletion.
    certificates::delete_ca(&pool, ada.account_id, ca.id).await.unwrap();
    let next = certificates::create_ca(&pool, ada.account_id, "Private", &pem).await.unwrap();
    assert_eq!(next.id, ca.id + 1);
}

#[tokio::test]
async fn a_chosen_ca_reaches_the_feed_and_a_replacement_follows() {
    let (pool, _guard) = fresh_database().await;
    let (ada, bob) = (account(&pool, "ada@example.com").await, account(&pool, "bob@example.com").await);
    let chosen = resource(&pool, &ada, "a.example.com").await;
    let plain = resource(&pool, &ada, "b.example.com").await;
    let bobs = resource(&pool, &bob, "c.example.com").await;
    let ca = certificates::create_ca(&pool, ada.account_id, "Private", &ca_certificate("Origin CA")).await.unwrap();
    let stored_pem: String =
        on_db!(pool.db(), |e| sqlx::query_scalar("SELECT certificates FROM trusted_ca_certificates")
            .fetch_one(e)
            .await)
        .unwrap();

    let before = edge_feed::snapshot(&pool).await.unwrap();
    assert_eq!(served(&before, chosen).unwrap().origin_ca, None, "no CA until one is chosen");

    // Another account's CA, or none at all, is refused by name, and nothing changes.
    for refused in [set_ca(&pool, &bob, bobs, Some(ca.id)).await, set_ca(&pool, &ada, chosen, Some(ca.id + 7)).await] {
        let error = refused.unwrap_err();
        assert!(field_message(&error, "proxy_ssl_ca").contains("no trusted CA certificate"), "{error:?}");
    }
    assert_eq!(set_ca(&pool, &bob, chosen, Some(ca.id)).await, Err(AppError::NotFound));
    assert_eq!(edge_feed::changes_after(&pool, before.version).await.unwrap(), None);

    let named = set_ca(&pool, &ada, chosen, Some(ca.id)).await.unwrap();
    assert_eq!((named.proxy_ssl_ca, named.version), (Some(ca.id), 2), "a setting: a new version");
    assert_eq!(ca_of(&pool, &ada, plain).await, None);
    let history = resources::history(&pool, ada.account_id, chosen).await.unwrap();
    assert_eq!(history[0].change, Change::ProxySslCaChanged { from: None, to: Some(ca.id) }, "{history:?}");
    let update = edge_feed::changes_after(&pool, before.version).await.unwrap().unwrap();
    assert_eq!(update.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [chosen]);
    assert_eq!(served(&update, chosen).unwrap().origin_ca.as_deref(), Some(stored_pem.as_str()));
    let snapshot = edge_feed::snapshot(&pool).await.unwrap();
    assert_eq!(served(&snapshot, plain).unwrap().origin_ca, None, "only the resource that chose it");
    assert_eq!(served(&snapshot, chosen).unwrap().origin_ca.as_deref(), Some(stored_pem.as_str()));
    // Choosing it again changes nothing.
    assert_eq!(set_ca(&pool, &ada, chosen, Some(ca.id)).await.unwrap().version, 2);
    assert_eq!(edge_feed::changes_after(&pool, snapshot.version).await.unwrap(), None);

    // A replacement reaches the edges of the resources that name it.
    let replacement = ca_certificate("Renewed CA");
    let outdated = certificates::replace_ca(&pool, ada.account_id, ca.id, Some(7), "Private", Some(&replacement)).await;
    assert!(matches!(outdated, Err(AppError::CertificateConflict(_))), "{outdated:?}");
    let replaced =
        certificates::replace_ca(&pool, ada.account_id, ca.id, Some(1), "Private", Some(&replacement)).await.unwrap();
    assert_eq!((replaced.subject_cn.as_str(), replaced.version), ("Renewed CA", 2));
    assert_eq!(replaced.used_by.iter().map(|user| user.id).collect::<Vec<_>>(), [chosen]);
    let update = edge_feed::changes_after(&pool, snapshot.version).await.unwrap().unwrap();
    assert_eq!(update.resources.iter().map(|r| r.id).collect::<Vec<_>>(), [chosen]);
    let sent = served(&update, chosen).unwrap().origin_ca.clone().unwrap();
    assert_ne!(sent, stored_pem);
    assert_eq!(sent.trim(), replacement.trim());

    // Named, it is not deleted; the refusal names the resource.
    let in_use = certificates::delete_ca(&pool, ada.account_id, ca.id).await.unwrap_err();
    assert!(matches!(in_use, AppError::TrustedCaInUse(_)), "{in_use:?}");
    assert!(in_use.to_string().contains("a.example.com"), "{in_use}");
    assert_eq!(count(&pool, "trusted_ca_certificates").await, 1);

    // Cleared, the edges trust the system's roots only again, and it can go.
    let cleared_at = edge_feed::snapshot(&pool).await.unwrap().version;
    set_ca(&pool, &ada, chosen, None).await.unwrap();
    assert_eq!(ca_of(&pool, &ada, chosen).await, None);
    let update = edge_feed::changes_after(&pool, cleared_at).await.unwrap().unwrap();
    assert_eq!(served(&update, chosen).unwrap().origin_ca, None);
    certificates::delete_ca(&pool, ada.account_id, ca.id).await.unwrap();
    assert_eq!(count(&pool, "trusted_ca_certificates").await, 0);
}

#[tokio::test]
async fn the_portals_forms_upload_a_ca_and_a_resources_https_settings_name_it() {
    let portal = spawn_portal().await;
    let cookie = portal.customer("ada%40example.com").await;
    let id = portal.create_resource(&cookie, "a.example.com", "entire_website").await;
    let pem = ca_certificate("Origin CA");
    let upload = |extra: &str| format!("kind=trusted_ca&name=Private&certificate={}{extra}", form_value(&pem));

    // A CA has no private key, and the kind must be one of the two.
    let keyed = portal.call("create_certificate", &upload("&private_key=x"), Some(&cookie)).await;
    assert_eq!(keyed.status, StatusCode::UNPROCESSABLE_ENTITY, "{keyed:?}");
    assert!(
        keyed.app_error().for_field("private_key").is_some_and(|message| message.contains("without a private key"))
    );
    let unknown = portal.call("create_certificate", &upload("").replace("trusted_ca", "client"), Some(&cookie)).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{unknown:?}");
    let created = portal.call("create_certificate", &upload(""), Some(&cookie)).await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    let ca: i64 = created.decode();
    let listed = portal.call("list_certificates", "kind=trusted_ca", Some(&cookie)).await;
    assert_eq!(listed.decode::<Vec<Certificate>>().iter().map(|ca| ca.id).collect::<Vec<_>>(), [ca]);
    assert!(portal.call("list_certificates", "kind=ssl", Some(&cookie)).await.decode::<Vec<Certificate>>().is_empty());

    // The HTTPS form names it; a CA that is not one of the account's is refused by name.
    let https = |version: i64, ca: &str| {
        format!("resource_id={id}&version={version}&ssl_data=&origin_protocol=HTTPS&proxy_ssl_ca={ca}")
    };
    for refused in ["x", "0", &(ca + 1).to_string()] {
        let reply = portal.call("save_https_settings", &https(1, refused), Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}: {reply:?}");
        assert!(reply.app_error().for_field("proxy_ssl_ca").is_some(), "{refused}: {reply:?}");
    }
    let saved = portal.call("save_https_settings", &https(1, &ca.to_string()), Some(&cookie)).await;
    assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
    let resource = saved.resource();
    assert_eq!((resource.proxy_ssl_ca, resource.version), (Some(ca), 2));
    let history = portal.history(&cookie, id).await;
    assert!(history.iter().any(|entry| entry.change == Change::ProxySslCaChanged { from: None, to: Some(ca) }));

    // In use, it is not deleted; with the public roots only again, it is.
    let delete = format!("kind=trusted_ca&id={ca}");
    let in_use = portal.call("delete_certificate", &delete, Some(&cookie)).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{in_use:?}");
    assert!(in_use.body.contains("a.example.com"), "{in_use:?}");
    let cleared = portal.call("save_https_settings", &https(2, ""), Some(&cookie)).await;
    assert_eq!(cleared.resource().proxy_ssl_ca, None);
    let deleted = portal.call("delete_certificate", &delete, Some(&cookie)).await;
    assert!(deleted.status.is_success() || deleted.status.is_redirection(), "{deleted:?}");
    assert!(
        portal
            .call("list_certificates", "kind=trusted_ca", Some(&cookie))
            .await
            .decode::<Vec<Certificate>>()
            .is_empty()
    );
}
