//! SSL certificates in the database (migration 0010, `server::certificates`) and a resource's
//! HTTPS settings: per account, checked on upload, keys sealed at rest and opened only for the
//! feed, never deleted while in use, a replacement still covering its resources and reaching
//! their edges, nothing half-saved.

use crate::helpers::certs::{TestCertificate, certificate_for, certificate_valid};
use crate::helpers::fresh_database;
use ::edge_feed::OriginProtocol;
use cdn_portal::domain::{DomainName, EmailAddress, Integration, Origin, SecondaryHostnames, Timestamp};
use cdn_portal::error::AppError;
use cdn_portal::model::Change;
use cdn_portal::on_db;
use cdn_portal::server::certificates;
use cdn_portal::server::db::Pool;
use cdn_portal::server::edge_feed::{self, ConfigUpdate, EdgeResource};
use cdn_portal::server::resources::{self, Actor, HttpsSettings, NewResource, ResourceUpdate};
use std::time::{Duration, SystemTime};

async fn account(pool: &Pool, email: &str) -> Actor {
    let email = EmailAddress::parse(email).unwrap();
    let id =
        cdn_portal::server::accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
    Actor::portal(id, None)
}

async fn upload(pool: &Pool, actor: &Actor, name: &str, made: &TestCertificate) -> Result<i64, AppError> {
    certificates::create(pool, actor.account_id, name, &made.chain, &made.key).await.map(|created| created.id)
}

async fn resource(pool: &Pool, actor: &Actor, domain: &str, https: HttpsSettings) -> Result<i64, AppError> {
    let new = NewResource {
        https,
        ..NewResource::new(
            DomainName::parse(domain).unwrap(),
            Origin::parse("origin.example.com").unwrap(),
            Integration::EntireWebsite,
        )
    };
    resources::create(pool, actor, &new).await.map(|resource| resource.id)
}

fn https_with(certificate: i64) -> HttpsSettings {
    HttpsSettings {
        ssl_enabled: true,
        ssl_data: Some(certificate),
        origin_protocol: OriginProtocol::Https,
        proxy_ssl_ca: None,
    }
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

fn served(update: &ConfigUpdate, id: i64) -> Option<&EdgeResource> {
    update.resources.iter().find(|resource| resource.id == id)
}

#[tokio::test]
async fn certificates_are_their_accounts_checked_on_upload_and_keys_are_sealed() {
    let (pool, _guard) = fresh_database().await;
    let (ada, bob) = (account(&pool, "ada@example.com").await, account(&pool, "bob@example.com").await);
    let made = certificate_for(&["example.com", "*.example.com"]);
    let id = upload(&pool, &ada, " Site ", &made).await.unwrap();
    let stored = certificates::get(&pool, ada.account_id, id).await.unwrap();
    assert_eq!((stored.name.as_str(), stored.subject_cn.as_str(), stored.version), ("Site", "example.com", 1));
    assert_eq!(stored.subject_alt, ["example.com", "*.example.com"]);
    assert_eq!(stored.issuer, "CN=Edgeport Test CA");
    assert!(stored.used_by.is_empty());
    assert_eq!(certificates::list(&pool, ada.account_id).await.unwrap(), std::slice::from_ref(&stored));
    assert_eq!(certificates::get(&pool, bob.account_id, id).await, Err(AppError::NotFound));
    assert!(certificates::list(&pool, bob.account_id).await.unwrap().is_empty());
    assert_eq!(certificates::delete(&pool, bob.account_id, id, None).await, Err(AppError::NotFound));

    // The key is stored sealed, never in clear.
    let sealed: String =
        on_db!(pool.db(), |e| sqlx::query_scalar("SELECT sealed_private_key FROM ssl_certificates").fetch_one(e).await)
            .unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains("PRIVATE KEY"), "{sealed}");

    // Each refusal names its field and saves nothing.
    let other = certificate_for(&["example.com"]);
    let refusals = [
        (upload(&pool, &ada, "Site", &made).await, "name", "already have a certificate named “Site”"),
        (upload(&pool, &ada, " ", &made).await, "name", "Enter a name"),
        (
            certificates::create(&pool, ada.account_id, "Bad", "not PEM", &made.key).await.map(|c| c.id),
            "certificate",
            "not in PEM format",
        ),
        (
            certificates::create(&pool, ada.account_id, "Bad", &made.chain, &other.key).await.map(|c| c.id),
            "private_key",
            "does not match",
        ),
    ];
    for (result, field, expected) in refusals {
        let message = field_message(&result.unwrap_err(), field);
        assert!(message.contains(expected), "{field}: {message}");
    }
    let now = SystemTime::now();
    let expired =
        certificate_valid(&["example.com"], now - Duration::from_secs(90 * 86_400), now - Duration::from_secs(60));
    let message = field_message(&upload(&pool, &ada, "Old", &expired).await.unwrap_err(), "certificate");
    assert!(message.starts_with("The certificate expired on"), "{message}");
    assert_eq!(count(&pool, "ssl_certificates").await, 1);
    // Another account may use the same name.
    upload(&pool, &bob, "Site", &made).await.unwrap();
}

#[tokio::test]
async fn https_needs_a_covering_certificate_of_the_account_and_is_recorded() {
    let (pool, _guard) = fresh_database().await;
    let (ada, bob) = (account(&pool, "ada@example.com").await, account(&pool, "bob@example.com").await);
    let wildcard = upload(&pool, &ada, "Wildcard", &certificate_for(&["*.example.com"])).await.unwrap();
    let bobs = upload(&pool, &bob, "Bob's", &certificate_for(&["*.example.com"])).await.unwrap();

    let error = resource(&pool, &ada, "example.com", https_with(wildcard)).await.unwrap_err();
    assert!(field_message(&error, "ssl_data").contains("does not cover example.com"), "{error:?}");
    let error = resource(&pool, &ada, "a.example.com", https_with(bobs)).await.unwrap_err();
    assert!(field_message(&error, "ssl_data").contains(&format!("no SSL certificate {bobs}")), "{error:?}");
    let error = resource(&pool, &ada, "a.example.com", HttpsSettings { ssl_data: None, ..https_with(wildcard) })
        .await
        .unwrap_err();
    assert!(field_message(&error, "ssl_data").contains("Choose an SSL certificate"), "{error:?}");
    assert_eq!(count(&pool, "cdn_resources").await, 0, "nothing half-saved");

    let id = resource(&pool, &ada, "a.example.com", https_with(wildcard)).await.unwrap();
    let created = resources::get(pool.db(), ada.account_id, id).await.unwrap();
    assert_eq!(
        (created.ssl_enabled, created.ssl_data, created.origin_protocol),
        (true, Some(wildcard), OriginProtocol::Https)
    );
    let history = resources::history(&pool, ada.account_id, id).await.unwrap();
    let changes: Vec<&Change> = history.iter().map(|entry| &entry.change).collect();
    assert!(changes.contains(&&Change::SslEnabledSwitched { to: true }), "{changes:?}");
    assert!(changes.contains(&&Change::SslDataChanged { from: None, to: Some(wildcard) }), "{changes:?}");
    assert!(
        changes.contains(&&Change::OriginProtocolChanged { from: OriginProtocol::Http, to: OriginProtocol::Https })
    );

    // A secondary hostname the certificate does not cover is refused while HTTPS is on...
    let hostnames = |names: &[&str]| {
        SecondaryHostnames::new(names.iter().map(|name| DomainName::parse(name).unwrap()).collect()).unwrap()
    };
    let update = ResourceUpdate { secondary_hostnames: Some(hostnames(&["b.c.example.com"])), ..Default::default() };
    let error = resources::update(&pool, &ada, id, None, &update, Timestamp::now()).await.unwrap_err();
    assert!(field_message(&error, "ssl_data").contains("does not cover b.c.example.com"), "{error:?}");
    // ...and allowed once it is off, the certificate kept.
    let off = ResourceUpdate { ssl_enabled: Some(false), ..update.clone() };
    let saved = resources::update(&pool, &ada, id, None, &off, Timestamp::now()).await.unwrap();
    assert_eq!((saved.ssl_enabled, saved.ssl_data), (false, Some(wildcard)));
    let on = ResourceUpdate { ssl_enabled: Some(true), ..Default::default() };
    let error = resources::update(&pool, &ada, id, None, &on, Timestamp::now()).await.unwrap_err();
    assert!(field_message(&error, "ssl_data").contains("does not cover b.c.example.com"), "{error:?}");
    let history = resources::history(&pool, ada.account_id, id).await.unwrap();
    let latest: Vec<&Change> =
        history.iter().filter(|entry| entry.version == saved.version).map(|entry| &entry.change).collect();
    assert!(latest.contains(&&Change::SslEnabledSwitched { to: false }), "{latest:?}");
}

#[tokio::test]
async fn a_certificate_in_use_is_not_deleted_and_a_replacement_must_still_cover_its_resources() {
    let (pool, _guard) = fresh_database().await;
    let ada = account(&pool, "ada@example.com").await;
    let site = upload(&pool, &ada, "Site", &certificate_for(&["a.example.com", "b.example.com"])).await.unwrap();
    let a = resource(&pool, &ada, "a.example.com", https_with(site)).await.unwrap();
    let listed = certificates::list(&pool, ada.account_id).await.unwrap();
    assert_eq!(listed[0].used_by.iter().map(|user| user.id).collect::<Vec<_>>(), [a]);

    let error = certificates::delete(&pool, ada.account_id, site, None).await.unwrap_err();
    assert!(
        matches!(&error, AppError::CertificateInUse(domains) if domains[0].as_str() == "a.example.com"),
        "{error:?}"
    );
    assert!(error.to_string().contains("used by the CDN resource a.example.com"), "{error}");

    let narrower = certificate_for(&["b.example.com"]);
    let error = certificates::replace(&pool, ada.account_id, site, Some(1), "Site", &narrower.chain, &narrower.key)
        .await
        .unwrap_err();
    assert!(field_message(&error, "certificate").contains("does not cover a.example.com"), "{error:?}");
    let wider = certificate_for(&["*.example.com"]);
    let stale = certificates::replace(&pool, ada.account_id, site, Some(7), "Site", &wider.chain, &wider.key).await;
    assert!(matches!(stale, Err(AppError::CertificateConflict(current)) if current.version == 1));

    // A replacement reaches the edges of the resources using it, with the new chain and its key opened.
    let start = edge_feed::snapshot(&pool).await.unwrap();
    let tls = served(&start, a).unwrap().tls.clone().unwrap();
    assert_eq!(tls.id, site);
    let replaced =
        certificates::replace(&pool, ada.account_id, site, Some(1), "Renamed", &wider.chain, &wider.key).await.unwrap();
    assert_eq!(
        (replaced.version, replaced.name.as_str(), replaced.subject_alt.clone()),
        (2, "Renamed", vec!["*.example.com".to_owned()])
    );
    let update = edge_feed::changes_after(&pool, start.version).await.unwrap().unwrap();
    let now_served = served(&update, a).unwrap().tls.clone().unwrap();
    assert_ne!(now_served.certificate_chain, tls.certificate_chain);
    assert!(now_served.private_key.contains("-----BEGIN PRIVATE KEY-----"), "the key is opened for the edge");
    assert_eq!(now_served.private_key.trim(), wider.key.trim());

    // Unused, it is deleted, and its id never given again.
    let off = ResourceUpdate { ssl_enabled: Some(false), ssl_data: Some(None), ..Default::default() };
    resources::update(&pool, &ada, a, None, &off, Timestamp::now()).await.unwrap();
    certificates::delete(&pool, ada.account_id, site, None).await.unwrap();
    assert_eq!(certificates::get(&pool, ada.account_id, site).await, Err(AppError::NotFound));
    assert_eq!(upload(&pool, &ada, "Site", &wider).await.unwrap(), site + 1);
}

#[tokio::test]
async fn the_feed_sends_tls_only_while_https_is_on() {
    let (pool, _guard) = fresh_database().await;
    let ada = account(&pool, "ada@example.com").await;
    let made = certificate_for(&["a.example.com"]);
    let site = upload(&pool, &ada, "Site", &made).await.unwrap();
    let plain = resource(&pool, &ada, "plain.example.com", HttpsSettings::default()).await.unwrap();
    let kept =
        resource(&pool, &ada, "a.example.com", HttpsSettings { ssl_enabled: false, ..https_with(site) }).await.unwrap();
    let snapshot = edge_feed::snapshot(&pool).await.unwrap();
    assert_eq!(served(&snapshot, plain).unwrap().tls, None);
    assert_eq!(served(&snapshot, plain).unwrap().origin_protocol, OriginProtocol::Http);
    assert_eq!(served(&snapshot, kept).unwrap().tls, None, "a certificate is sent only while HTTPS is on");
    assert_eq!(served(&snapshot, kept).unwrap().origin_protocol, OriginProtocol::Https);

    let on = ResourceUpdate { ssl_enabled: Some(true), ..Default::default() };
    resources::update(&pool, &ada, kept, None, &on, Timestamp::now()).await.unwrap();
    let update = edge_feed::changes_after(&pool, snapshot.version).await.unwrap().unwrap();
    let tls = served(&update, kept).unwrap().tls.clone().unwrap();
    assert_eq!(tls.private_key.trim(), made.key.trim());
    assert_eq!(tls.certificate_chain.matches("BEGIN CERTIFICATE").count(), 2);
    assert!(!format!("{tls:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn a_new_key_reseals_every_stored_private_key_once() {
    use cdn_portal::server::certificates::sealing::{DEVELOPMENT_KEY, KEY_VAR, KeySealer, OLD_KEYS_VAR};
    let (pool, _guard) = fresh_database().await;
    let ada = account(&pool, "ada@example.com").await;
    let made = certificate_for(&["example.com"]);
    let id = upload(&pool, &ada, "Site", &made).await.unwrap();
    let sealed = || async {
        on_db!(pool.db(), |e| sqlx::query_scalar::<_, String>("SELECT sealed_private_key FROM ssl_certificates")
            .fetch_one(e)
            .await)
        .unwrap()
    };
    let before = sealed().await;

    // Uploaded under the development key (the tests'); rotated to a new one with it kept as old.
    let hex = |bytes: &[u8]| bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>();
    let new_key = hex(&[7; 32]);
    let vars = [(KEY_VAR, new_key.clone()), (OLD_KEYS_VAR, hex(&DEVELOPMENT_KEY))];
    let rotated =
        KeySealer::from_vars(|name| vars.iter().find(|(var, _)| *var == name).map(|(_, v)| v.clone()), true).unwrap();
    assert_eq!(certificates::reseal_old_keys(&pool, &rotated).await.unwrap(), 1);
    let after = sealed().await;
    assert_ne!(after, before);
    let new_only = KeySealer::from_vars(|name| (name == KEY_VAR).then(|| new_key.clone()), true).unwrap();
    assert_eq!(new_only.open(&after).unwrap().trim(), made.key.trim(), "the same key, under the new key alone");
    assert_eq!(certificates::reseal_old_keys(&pool, &rotated).await.unwrap(), 0, "once");
    assert_eq!(certificates::get(&pool, ada.account_id, id).await.unwrap().version, 1, "not a replacement");
}
