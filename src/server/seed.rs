//! The demo account that `make run` creates, so a first visit has something to look at.

use super::config::DemoCertificate;
use super::{accounts, certificates, db::Pool, passwords, resources};
use crate::domain::{EmailAddress, Integration, NewPassword, Timestamp};
use crate::error::AppError;

pub const DEMO_EMAIL: &str = "demo@example.com";
pub const DEMO_PASSWORD: &str = "demo-password";

/// The demo resources: one per integration, so both WebSockets defaults can be seen. Both point
/// at the echo origin that `make run` starts beside the edge, so a visitor's requests and
/// WebSockets can be tried through the edge at once.
const DEMO_RESOURCES: [(&str, &str, Integration); 2] = [
    ("www.demo-shop.example", DEMO_ORIGIN, Integration::EntireWebsite),
    ("static.demo-shop.example", DEMO_ORIGIN, Integration::StaticAssetsOnly),
];

/// Where `make run` starts the echo origin.
pub const DEMO_ORIGIN: &str = "127.0.0.1:8090";

/// Creates the demo account and its resources, all or nothing, but only in a database that
/// has no accounts yet: it never touches a database that customers already use. Answers the new
/// account's id, `None` when it left the database alone.
pub async fn seed_demo_if_empty(pool: &Pool) -> Result<Option<i64>, AppError> {
    let password_hash =
        passwords::hash(NewPassword::parse(DEMO_PASSWORD.to_owned()).expect("a valid demo password")).await?;
    // The write lock first: replicas started together over an empty database seed it once.
    let mut tx = pool.begin_write().await?;
    if accounts::count(tx.db()).await? > 0 {
        return Ok(None);
    }
    let email = EmailAddress::parse(DEMO_EMAIL).expect("a valid demo email");
    let now = Timestamp::now();
    let account = accounts::insert(tx.db(), &email, &password_hash, now)
        .await?
        .ok_or_else(|| AppError::internal("seeding", "demo account appeared concurrently"))?;
    let actor = resources::Actor::portal(account.id, None);
    for (domain, origin, integration) in DEMO_RESOURCES {
        let new = resources::NewResource::parse(domain, origin, Some(integration.as_str()))?;
        resources::insert(&mut tx.db(), &actor, &new, now)
            .await?
            .ok_or_else(|| AppError::internal("seeding", format!("{domain} is already taken")))?;
    }
    tx.commit().await?;
    Ok(Some(account.id))
}

/// What the demo certificate is called in the demo account.
pub const DEMO_CERTIFICATE_NAME: &str = "Demo certificate (make run)";

/// Uploads `certificate` to the demo account and turns HTTPS on with it for each demo resource,
/// as a customer would: each step checked as theirs is. Runs once, right after
/// [`seed_demo_if_empty`] made the account `account_id`.
pub async fn serve_demo_over_https(
    pool: &Pool,
    account_id: i64,
    certificate: &DemoCertificate,
) -> Result<(), AppError> {
    let uploaded =
        certificates::create(pool, account_id, DEMO_CERTIFICATE_NAME, &certificate.chain, &certificate.private_key)
            .await?;
    let actor = resources::Actor::portal(account_id, None);
    let https =
        resources::ResourceUpdate { ssl_enabled: Some(true), ssl_data: Some(Some(uploaded.id)), ..Default::default() };
    let (demo, _) =
        resources::page(pool, account_id, &resources::ResourceFilter::default(), resources::Order::Created, 10, 0)
            .await?;
    for resource in demo {
        resources::update(pool, &actor, resource.id, None, &https, Timestamp::now()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::testing::fresh_database;

    #[tokio::test]
    async fn seeds_an_empty_database_once() {
        let (pool, _guard) = fresh_database().await;
        let seeded = seed_demo_if_empty(&pool).await.unwrap();
        assert_eq!(seed_demo_if_empty(&pool).await.unwrap(), None);

        let account = accounts::log_in(&pool, DEMO_EMAIL, DEMO_PASSWORD.into()).await.unwrap();
        assert_eq!(seeded, Some(account.id));
        let demo = resources::tests::all_of(&pool, account.id).await;
        assert_eq!(demo.len(), 2);
        assert!(demo.iter().all(|resource| !resource.ssl_enabled), "no HTTPS without a demo certificate");
        let site = demo.iter().find(|r| r.integration == Integration::EntireWebsite).unwrap();
        let assets = demo.iter().find(|r| r.integration == Integration::StaticAssetsOnly).unwrap();
        assert!(site.options_in_force.websockets);
        assert!(!assets.options_in_force.websockets);
    }

    #[tokio::test]
    async fn the_demo_certificate_serves_every_demo_resource_over_https() {
        let (pool, _guard) = fresh_database().await;
        let account_id = seed_demo_if_empty(&pool).await.unwrap().unwrap();
        let names: Vec<String> = DEMO_RESOURCES.iter().map(|(domain, ..)| (*domain).to_owned()).collect();
        let made = rcgen::generate_simple_self_signed(names).unwrap();
        let certificate = DemoCertificate { chain: made.cert.pem(), private_key: made.signing_key.serialize_pem() };
        serve_demo_over_https(&pool, account_id, &certificate).await.unwrap();

        let listed = certificates::list(&pool, account_id).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, DEMO_CERTIFICATE_NAME);
        let demo = resources::tests::all_of(&pool, account_id).await;
        assert_eq!(demo.len(), 2);
        for resource in demo {
            assert!(resource.ssl_enabled, "{}", resource.custom_domain);
            assert_eq!(resource.ssl_data, Some(listed[0].id));
        }
    }

    #[tokio::test]
    async fn leaves_a_database_with_customers_alone() {
        let (pool, _guard) = fresh_database().await;
        let email = crate::domain::EmailAddress::parse("ada@example.com").unwrap();
        accounts::insert(pool.db(), &email, "hash", crate::domain::Timestamp::now()).await.unwrap().unwrap();
        assert_eq!(seed_demo_if_empty(&pool).await.unwrap(), None);
        assert_eq!(accounts::count(pool.db()).await.unwrap(), 1);
    }
}
