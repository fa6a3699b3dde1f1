//! CDN resources: the rules for creating and changing them, and their rows in the database.
//! Every query names the owning account, so one customer can never reach another's resource.
//! Every change is written with its history record in one transaction, begun IMMEDIATE so
//! that concurrent writers queue for SQLite's write lock instead of failing half-way.

use super::db::Pool;
use crate::domain::{DomainName, EmailAddress, Integration, Origin, Timestamp};
use crate::error::{AppError, FieldErrors};
use crate::model::{CdnResource, Change, ChangeSource, ResourceChange};
use sqlx::{SqliteConnection, SqliteExecutor};
use std::net::IpAddr;

/// Who makes a change, and from where: recorded with it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub account_id: i64,
    pub source: ChangeSource,
    pub client_address: Option<IpAddr>,
}

/// The WebSockets setting a new resource starts with. A whole website often has live features
/// (chat, dashboards, notifications) that need WebSocket connections to its origin; static
/// files never do, so a static-assets resource keeps the door closed until asked.
pub const fn websockets_default(integration: Integration) -> bool {
    match integration {
        Integration::EntireWebsite => true,
        Integration::StaticAssetsOnly => false,
    }
}

/// A resource to create, validated.
#[derive(Clone, Debug)]
pub struct NewResource {
    pub custom_domain: DomainName,
    pub origin: Origin,
    pub integration: Integration,
}

impl NewResource {
    /// Checks every field of the creation form and reports each problem next to its field.
    pub fn parse(custom_domain: &str, origin: &str, integration: Option<&str>) -> Result<Self, AppError> {
        let custom_domain = DomainName::parse(custom_domain);
        let origin = Origin::parse(origin);
        let integration = integration.unwrap_or_default().parse::<Integration>();
        match (custom_domain, origin, integration) {
            (Ok(custom_domain), Ok(origin), Ok(integration)) => {
                Ok(Self { custom_domain, origin, integration })
            }
            (custom_domain, origin, integration) => {
                let mut errors = FieldErrors::default();
                if let Err(error) = custom_domain {
                    errors.add("custom_domain", error);
                }
                if let Err(error) = origin {
                    errors.add("origin", error);
                }
                if let Err(error) = integration {
                    errors.add("integration", error);
                }
                Err(AppError::Invalid(errors))
            }
        }
    }
}

/// The submitted value of the Websockets switch: an unticked checkbox sends nothing.
pub fn parse_switch(field: &str, value: Option<&str>) -> Result<bool, AppError> {
    match value {
        None => Ok(false),
        Some("on") => Ok(true),
        Some(_) => Err(AppError::invalid_field(field, "This switch can only be on or off.")),
    }
}

/// Creates a resource for the actor's account, and its first history record.
pub async fn create(pool: &Pool, actor: &Actor, new: &NewResource) -> Result<CdnResource, AppError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let created = insert(&mut tx, actor, new, Timestamp::now()).await?.ok_or_else(|| {
        AppError::invalid_field(
            "custom_domain",
            format!("{} is already used by a CDN resource. Each custom domain can have only one.", new.custom_domain),
        )
    })?;
    tx.commit().await?;
    Ok(created)
}

const COLUMNS: &str = "id, custom_domain, origin, integration, websockets, created_at, updated_at, version";

/// Inserts a resource with its integration's default WebSockets setting, with the record of its
/// creation; `None` when the custom domain is already taken by any resource. Run it inside a
/// transaction, so that neither is written without the other.
pub async fn insert(
    db: &mut SqliteConnection,
    actor: &Actor,
    new: &NewResource,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    let Some(created) = insert_row(&mut *db, actor.account_id, new, now).await? else {
        return Ok(None);
    };
    record(db, actor, created.id, created.version, now, Change::Created { websockets: created.websockets }).await?;
    Ok(Some(created))
}

async fn insert_row(
    db: impl SqliteExecutor<'_>,
    account_id: i64,
    new: &NewResource,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    let inserted = sqlx::query_as::<_, ResourceRow>(&format!(
        "INSERT INTO cdn_resources \
         (account_id, custom_domain, origin, integration, websockets, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, 1) RETURNING {COLUMNS}"
    ))
    .bind(account_id)
    .bind(new.custom_domain.as_str())
    .bind(new.origin.to_string())
    .bind(new.integration.as_str())
    .bind(websockets_default(new.integration))
    .bind(now.unix_seconds())
    .fetch_one(db)
    .await;
    match inserted {
        Ok(row) => row.try_into().map(Some),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

pub async fn list(db: impl SqliteExecutor<'_>, account_id: i64) -> Result<Vec<CdnResource>, AppError> {
    sqlx::query_as::<_, ResourceRow>(&format!(
        "SELECT {COLUMNS} FROM cdn_resources WHERE account_id = $1 ORDER BY custom_domain"
    ))
    .bind(account_id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(CdnResource::try_from)
    .collect()
}

/// The account's resource with this id; [`AppError::NotFound`] whether it does not exist or
/// belongs to someone else, so that ids reveal nothing.
pub async fn get(db: impl SqliteExecutor<'_>, account_id: i64, id: i64) -> Result<CdnResource, AppError> {
    sqlx::query_as::<_, ResourceRow>(&format!(
        "SELECT {COLUMNS} FROM cdn_resources WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)?
    .try_into()
}

/// Turns WebSockets on or off, if the resource is still at `loaded_version`: a form loaded
/// before someone else saved gets [`AppError::Conflict`] with what is stored now, and changes
/// nothing. Saving the value already stored changes nothing either, and is not recorded.
pub async fn set_websockets(
    pool: &Pool,
    actor: &Actor,
    id: i64,
    loaded_version: i64,
    enabled: bool,
    now: Timestamp,
) -> Result<CdnResource, AppError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let current = get(&mut *tx, actor.account_id, id).await?;
    if current.version != loaded_version {
        return Err(AppError::Conflict(Box::new(current)));
    }
    if current.websockets == enabled {
        return Ok(current);
    }
    let version = current.version + 1;
    record(&mut tx, actor, id, version, now, Change::WebsocketsSwitched { from: current.websockets, to: enabled }).await?;
    let saved: CdnResource = sqlx::query_as::<_, ResourceRow>(&format!(
        "UPDATE cdn_resources SET websockets = $1, updated_at = $2, version = $3 \
         WHERE id = $4 AND account_id = $5 AND version = $6 RETURNING {COLUMNS}"
    ))
    .bind(enabled)
    .bind(now.unix_seconds())
    .bind(version)
    .bind(id)
    .bind(actor.account_id)
    .bind(loaded_version)
    .fetch_one(&mut *tx)
    .await?
    .try_into()?;
    tx.commit().await?;
    Ok(saved)
}

/// Writes one history record. The database refuses a resource change without it (migration 0002).
async fn record(
    db: &mut SqliteConnection,
    actor: &Actor,
    resource_id: i64,
    version: i64,
    now: Timestamp,
    change: Change,
) -> Result<(), AppError> {
    let on_off = |on: bool| if on { "on" } else { "off" };
    let (action, old_value, new_value) = match change {
        Change::Created { websockets } => ("created", None, on_off(websockets)),
        Change::WebsocketsSwitched { from, to } => ("updated", Some(on_off(from)), on_off(to)),
    };
    sqlx::query(
        "INSERT INTO resource_changes (resource_id, version, changed_at, account_id, source, \
         client_address, action, setting, old_value, new_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'websockets', $8, $9)",
    )
    .bind(resource_id)
    .bind(version)
    .bind(now.unix_seconds())
    .bind(actor.account_id)
    .bind(actor.source.as_str())
    .bind(actor.client_address.map(|address| address.to_string()))
    .bind(action)
    .bind(old_value)
    .bind(new_value)
    .execute(db)
    .await?;
    Ok(())
}

/// `Ok` when the resource exists and is the account's; [`AppError::NotFound`] otherwise, as
/// [`get`] answers, for questions about a resource that do not need its row.
pub async fn ensure_owned(db: impl SqliteExecutor<'_>, account_id: i64, id: i64) -> Result<(), AppError> {
    sqlx::query_scalar::<_, i64>("SELECT 1 FROM cdn_resources WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .fetch_optional(db)
        .await?
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

/// The history of the account's resource, newest first.
pub async fn history(pool: &Pool, account_id: i64, id: i64) -> Result<Vec<ResourceChange>, AppError> {
    // Another account's resource is not found, rather than without history.
    ensure_owned(pool, account_id, id).await?;
    sqlx::query_as::<_, ChangeRow>(
        "SELECT c.version, c.changed_at, a.email, c.source, c.client_address, c.action, c.old_value, c.new_value \
         FROM resource_changes c JOIN accounts a ON a.id = c.account_id \
         WHERE c.resource_id = $1 ORDER BY c.version DESC, c.id DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(ResourceChange::try_from)
    .collect()
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    version: i64,
    changed_at: i64,
    email: String,
    source: String,
    client_address: Option<String>,
    action: String,
    old_value: Option<String>,
    new_value: String,
}

impl TryFrom<ChangeRow> for ResourceChange {
    type Error = AppError;

    fn try_from(row: ChangeRow) -> Result<Self, AppError> {
        let corrupt = || AppError::internal("resource_changes row is invalid", format!("version {}", row.version));
        let on = |value: &str| match value {
            "on" => Ok(true),
            "off" => Ok(false),
            _ => Err(corrupt()),
        };
        let change = match (row.action.as_str(), row.old_value.as_deref()) {
            ("created", None) => Change::Created { websockets: on(&row.new_value)? },
            ("updated", Some(old)) => Change::WebsocketsSwitched { from: on(old)?, to: on(&row.new_value)? },
            _ => return Err(corrupt()),
        };
        Ok(ResourceChange {
            version: row.version,
            changed_at: Timestamp::from_unix_seconds(row.changed_at),
            changed_by: EmailAddress::parse(&row.email).map_err(|_| corrupt())?,
            source: ChangeSource::parse(&row.source).ok_or_else(corrupt)?,
            client_address: row.client_address,
            change,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ResourceRow {
    id: i64,
    custom_domain: String,
    origin: String,
    integration: String,
    websockets: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl TryFrom<ResourceRow> for CdnResource {
    type Error = AppError;

    fn try_from(row: ResourceRow) -> Result<Self, AppError> {
        let corrupt = |error: &dyn std::fmt::Display| {
            AppError::internal(&format!("cdn_resources row {} is invalid", row.id), error)
        };
        Ok(CdnResource {
            id: row.id,
            custom_domain: DomainName::parse(&row.custom_domain).map_err(|e| corrupt(&e))?,
            origin: Origin::parse(&row.origin).map_err(|e| corrupt(&e))?,
            integration: row.integration.parse().map_err(|e| corrupt(&e))?,
            websockets: row.websockets,
            created_at: Timestamp::from_unix_seconds(row.created_at),
            updated_at: Timestamp::from_unix_seconds(row.updated_at),
            version: row.version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{accounts, db::testing::fresh_database};

    async fn account(pool: &Pool, email: &str) -> Actor {
        let email = EmailAddress::parse(email).unwrap();
        let id = accounts::insert(pool, &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
        Actor { account_id: id, source: ChangeSource::Portal, client_address: Some([192, 0, 2, 1].into()) }
    }

    fn new_resource(domain: &str, integration: Integration) -> NewResource {
        NewResource::parse(domain, "origin.example.com:8080", Some(integration.as_str())).unwrap()
    }

    async fn insert_at(pool: &Pool, actor: &Actor, domain: &str, seconds: i64) -> CdnResource {
        let mut tx = pool.begin().await.unwrap();
        let created = insert(&mut tx, actor, &new_resource(domain, Integration::EntireWebsite), Timestamp::from_unix_seconds(seconds))
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        created
    }

    #[test]
    fn defaults_follow_the_integration() {
        assert!(websockets_default(Integration::EntireWebsite));
        assert!(!websockets_default(Integration::StaticAssetsOnly));
    }

    #[test]
    fn parse_reports_each_bad_field() {
        let error = NewResource::parse("not a domain", "http://x.example", None).unwrap_err();
        assert!(error.for_field("custom_domain").is_some());
        assert!(error.for_field("origin").unwrap().contains("without http://"));
        assert!(error.for_field("integration").unwrap().contains("Entire website"));
        let error = NewResource::parse("cdn.example.com", "origin.example.com", Some("everything")).unwrap_err();
        assert_eq!(error.for_field("custom_domain"), None);
        assert!(error.for_field("integration").is_some());
    }

    #[test]
    fn the_switch_accepts_only_on_or_nothing() {
        assert_eq!(parse_switch("websockets", None), Ok(false));
        assert_eq!(parse_switch("websockets", Some("on")), Ok(true));
        assert!(parse_switch("websockets", Some("yes")).unwrap_err().for_field("websockets").is_some());
    }

    #[tokio::test]
    async fn new_resources_take_their_integrations_default_and_record_it() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let site = create(&pool, &owner, &new_resource("www.example.com", Integration::EntireWebsite)).await.unwrap();
        let assets = create(&pool, &owner, &new_resource("static.example.com", Integration::StaticAssetsOnly)).await.unwrap();
        assert!(site.websockets);
        assert!(!assets.websockets);
        assert_eq!((site.version, assets.version), (1, 1));
        assert_eq!(site.origin.to_string(), "origin.example.com:8080");
        assert_eq!(site.created_at, site.updated_at);
        let listed = list(&pool, owner.account_id).await.unwrap();
        assert_eq!(listed, vec![assets.clone(), site.clone()], "sorted by domain");

        let site_history = history(&pool, owner.account_id, site.id).await.unwrap();
        assert_eq!(site_history.len(), 1);
        assert_eq!(site_history[0].change, Change::Created { websockets: true });
        assert_eq!(site_history[0].changed_by.as_str(), "ada@example.com");
        assert_eq!(site_history[0].source, ChangeSource::Portal);
        assert_eq!(site_history[0].client_address.as_deref(), Some("192.0.2.1"));
        let assets_history = history(&pool, owner.account_id, assets.id).await.unwrap();
        assert_eq!(assets_history[0].change, Change::Created { websockets: false });
    }

    #[tokio::test]
    async fn a_custom_domain_belongs_to_one_resource_across_accounts() {
        let (pool, _guard) = fresh_database().await;
        let first = account(&pool, "ada@example.com").await;
        let second = account(&pool, "charles@example.com").await;
        create(&pool, &first, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
        let error = create(&pool, &second, &new_resource("CDN.example.com", Integration::StaticAssetsOnly)).await.unwrap_err();
        assert!(error.for_field("custom_domain").unwrap().contains("already used"));
        assert!(list(&pool, second.account_id).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn another_accounts_resource_is_not_found() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let stranger = account(&pool, "eve@example.com").await;
        let resource = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();

        assert_eq!(get(&pool, stranger.account_id, resource.id).await, Err(AppError::NotFound));
        assert_eq!(get(&pool, owner.account_id, resource.id + 1).await, Err(AppError::NotFound));
        assert_eq!(
            set_websockets(&pool, &stranger, resource.id, 1, false, Timestamp::now()).await,
            Err(AppError::NotFound)
        );
        assert_eq!(history(&pool, stranger.account_id, resource.id).await, Err(AppError::NotFound));
        assert!(list(&pool, stranger.account_id).await.unwrap().is_empty());
        let unchanged = get(&pool, owner.account_id, resource.id).await.unwrap();
        assert!(unchanged.websockets);
        assert_eq!(unchanged.version, 1);
    }

    #[tokio::test]
    async fn switching_websockets_is_stored_dated_versioned_and_recorded() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let created = insert_at(&pool, &owner, "cdn.example.com", 1_000).await;

        let off = set_websockets(&pool, &owner, created.id, 1, false, Timestamp::from_unix_seconds(2_000)).await.unwrap();
        assert!(!off.websockets);
        assert_eq!((off.version, off.updated_at.unix_seconds()), (2, 2_000));
        assert_eq!(get(&pool, owner.account_id, created.id).await.unwrap(), off);

        let unchanged = set_websockets(&pool, &owner, created.id, 2, false, Timestamp::from_unix_seconds(3_000)).await.unwrap();
        assert_eq!(unchanged, off, "saving the same value changes nothing");

        let on = set_websockets(&pool, &owner, created.id, 2, true, Timestamp::from_unix_seconds(4_000)).await.unwrap();
        assert!(on.websockets);
        assert_eq!((on.version, on.created_at.unix_seconds()), (3, 1_000));

        let changes: Vec<(i64, i64, Change)> = history(&pool, owner.account_id, created.id)
            .await
            .unwrap()
            .into_iter()
            .map(|entry| (entry.version, entry.changed_at.unix_seconds(), entry.change))
            .collect();
        assert_eq!(
            changes,
            vec![
                (3, 4_000, Change::WebsocketsSwitched { from: false, to: true }),
                (2, 2_000, Change::WebsocketsSwitched { from: true, to: false }),
                (1, 1_000, Change::Created { websockets: true }),
            ],
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
        assert_eq!(get(&pool, owner.account_id, created.id).await.unwrap(), first_tab);
        assert_eq!(history(&pool, owner.account_id, created.id).await.unwrap().len(), 2);
        // Re-applied from the current version, it goes through.
        let reapplied = set_websockets(&pool, &owner, created.id, first_tab.version, true, Timestamp::now()).await.unwrap();
        assert!(reapplied.websockets);
    }

    #[tokio::test]
    async fn the_database_refuses_a_change_without_a_record_or_a_new_version() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let created = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
        for sneaky in [
            "UPDATE cdn_resources SET websockets = 0",
            "UPDATE cdn_resources SET websockets = 0, version = version + 1",
            "UPDATE cdn_resources SET origin = 'elsewhere.example.com'",
            "UPDATE cdn_resources SET version = 7",
        ] {
            let error = sqlx::query(sneaky).execute(&pool).await.unwrap_err();
            assert!(error.to_string().contains("needs the next version and a record"), "{sneaky}: {error}");
        }
        assert_eq!(get(&pool, owner.account_id, created.id).await.unwrap(), created);
        // Touching nothing a customer set is allowed without a record.
        sqlx::query("UPDATE cdn_resources SET updated_at = updated_at").execute(&pool).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_saves_queue_instead_of_failing_and_each_accepted_one_is_recorded() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let mut ids = Vec::new();
        for n in 0..10 {
            ids.push(create(&pool, &owner, &new_resource(&format!("r{n}.example.com"), Integration::EntireWebsite)).await.unwrap().id);
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
            assert_eq!(changes[0].change, Change::WebsocketsSwitched { from: true, to: false });
            assert!(!get(&pool, owner.account_id, id).await.unwrap().websockets);
        }
    }

    /// A save that starts while another writer holds the lock waits for it, then judges by what
    /// that writer committed. Begun as a plain (deferred) transaction, it would read the old
    /// version first and then fail to write ("database is locked"): a 500 instead of a notice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_save_waits_for_another_writer_and_then_sees_its_change() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let id = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap().id;

        let mut other = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        record(&mut other, &owner, id, 2, Timestamp::now(), Change::WebsocketsSwitched { from: true, to: false }).await.unwrap();
        sqlx::query("UPDATE cdn_resources SET websockets = 0, version = 2 WHERE id = $1").bind(id).execute(&mut *other).await.unwrap();
        let save = tokio::spawn({
            let (pool, owner) = (pool.clone(), owner.clone());
            async move { set_websockets(&pool, &owner, id, 1, false, Timestamp::now()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        other.commit().await.unwrap();

        match save.await.unwrap() {
            Err(AppError::Conflict(current)) => assert_eq!((current.version, current.websockets), (2, false)),
            other => panic!("expected a conflict with version 2, got {other:?}"),
        }
    }
}
