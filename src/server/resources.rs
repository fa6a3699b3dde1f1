//! CDN resources: the rules for creating and changing them, and their rows in the database.
//! Every query names the owning account, so one customer can never reach another's resource.
//! Every change is written with its history record in one write transaction
//! ([`Pool::begin_write`]), so that concurrent writers, in this process or another replica,
//! queue for their turn instead of failing half-way or losing each other's changes.

use super::db::{Db, Pool, run, to_completion};
use crate::domain::{DomainName, EmailAddress, Integration, Origin, Timestamp};
use crate::error::{AppError, FieldErrors};
use crate::model::{CdnResource, Change, ChangeSource, ResourceChange, on_off};
use std::net::IpAddr;

/// Who makes a change, and from where: recorded with it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub account_id: i64,
    pub source: ChangeSource,
    /// The API token's name, for changes made through the API.
    pub api_token_name: Option<String>,
    pub client_address: Option<IpAddr>,
}

impl Actor {
    pub fn portal(account_id: i64, client_address: Option<IpAddr>) -> Self {
        Self { account_id, source: ChangeSource::Portal, api_token_name: None, client_address }
    }

    pub fn api(account_id: i64, token_name: String, client_address: Option<IpAddr>) -> Self {
        Self { account_id, source: ChangeSource::Api, api_token_name: Some(token_name), client_address }
    }
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
    pub websockets: WebsocketsSetting,
    pub active: bool,
}

/// Whether WebSockets follow the integration's default or the customer's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebsocketsSetting {
    IntegrationDefault,
    Chosen(bool),
}

impl WebsocketsSetting {
    pub fn effective(self, integration: Integration) -> bool {
        match self {
            WebsocketsSetting::IntegrationDefault => websockets_default(integration),
            WebsocketsSetting::Chosen(on) => on,
        }
    }

    pub fn is_explicit(self) -> bool {
        matches!(self, WebsocketsSetting::Chosen(_))
    }
}

/// Settings to change; `None` leaves one as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceUpdate {
    pub origin: Option<Origin>,
    pub active: Option<bool>,
    pub websockets: Option<WebsocketsSetting>,
}

impl NewResource {
    /// Checks every field of the creation form and reports each problem next to its field.
    pub fn parse(custom_domain: &str, origin: &str, integration: Option<&str>) -> Result<Self, AppError> {
        let custom_domain = DomainName::parse(custom_domain);
        let origin = Origin::parse(origin);
        let integration = integration.unwrap_or_default().parse::<Integration>();
        match (custom_domain, origin, integration) {
            (Ok(custom_domain), Ok(origin), Ok(integration)) => Ok(Self {
                custom_domain,
                origin,
                integration,
                websockets: WebsocketsSetting::IntegrationDefault,
                active: true,
            }),
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
    try_create(pool, actor, new)
        .await?
        .ok_or_else(|| AppError::invalid_field("custom_domain", domain_taken_message(&new.custom_domain)))
}

pub fn domain_taken_message(domain: &DomainName) -> String {
    format!("{domain} is already used by a CDN resource. Each custom domain can have only one.")
}

/// As [`create`], but `None` when the custom domain is already taken by any resource.
pub async fn try_create(pool: &Pool, actor: &Actor, new: &NewResource) -> Result<Option<CdnResource>, AppError> {
    let (pool, actor, new) = (pool.clone(), actor.clone(), new.clone());
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let created = insert(&mut tx.db(), &actor, &new, Timestamp::now()).await?;
        if created.is_some() {
            tx.commit().await?;
        }
        Ok(created)
    })
    .await
}

const COLUMNS: &str =
    "id, custom_domain, origin, integration, websockets, websockets_explicit, active, created_at, updated_at, version";

/// Inserts a resource with the record of its creation; `None` when the custom domain is already
/// taken by any resource. Run it inside a transaction, so that neither is written without the other.
pub async fn insert(
    db: &mut Db<'_>,
    actor: &Actor,
    new: &NewResource,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    let Some(created) = insert_row(db.reborrow(), actor.account_id, new, now).await? else {
        return Ok(None);
    };
    record(db.reborrow(), actor, created.id, created.version, now, &Change::Created { websockets: created.websockets })
        .await?;
    if !created.active {
        record(db.reborrow(), actor, created.id, created.version, now, &Change::ActiveSwitched { to: false }).await?;
    }
    Ok(Some(created))
}

async fn insert_row(
    db: Db<'_>,
    account_id: i64,
    new: &NewResource,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    let inserted = run!(db, |e| sqlx::query_as::<_, ResourceRow>(&format!(
        "INSERT INTO cdn_resources \
         (account_id, custom_domain, origin, integration, websockets, websockets_explicit, active, \
          created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1) RETURNING {COLUMNS}"
    ))
    .bind(account_id)
    .bind(new.custom_domain.as_str())
    .bind(new.origin.to_string())
    .bind(new.integration.as_str())
    .bind(new.websockets.effective(new.integration))
    .bind(new.websockets.is_explicit())
    .bind(new.active)
    .bind(now.unix_seconds())
    .fetch_one(e)
    .await);
    match inserted {
        Ok(row) => row.try_into().map(Some),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// How a page of resources is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Oldest first, so that pages do not shift as resources are added (the API).
    Created,
    /// Alphabetical by custom domain (the portal's list).
    Domain,
}

/// One page of the account's resources, optionally only the one with `custom_domain`, and how
/// many there are in all.
pub async fn page(
    pool: &Pool,
    account_id: i64,
    custom_domain: Option<&DomainName>,
    order: Order,
    limit: u32,
    offset: u64,
) -> Result<(Vec<CdnResource>, i64), AppError> {
    let domain = custom_domain.map(DomainName::as_str);
    let filter = "account_id = $1 AND ($2 IS NULL OR custom_domain = $2)";
    let total = run!(pool.db(), |e| sqlx::query_scalar::<_, i64>(&format!(
        "SELECT COUNT(*) FROM cdn_resources WHERE {filter}"
    ))
    .bind(account_id)
    .bind(domain)
    .fetch_one(e)
    .await)?;
    let resources = run!(pool.db(), |e| sqlx::query_as::<_, ResourceRow>(&format!(
        "SELECT {COLUMNS} FROM cdn_resources WHERE {filter} ORDER BY {} LIMIT $3 OFFSET $4",
        match order {
            Order::Created => "id",
            Order::Domain => "custom_domain",
        }
    ))
    .bind(account_id)
    .bind(domain)
    .bind(i64::from(limit))
    .bind(i64::try_from(offset).unwrap_or(i64::MAX))
    .fetch_all(e)
    .await)?
    .into_iter()
    .map(CdnResource::try_from)
    .collect::<Result<_, _>>()?;
    Ok((resources, total))
}

/// The account's resource with this id; [`AppError::NotFound`] whether it does not exist or
/// belongs to someone else, so that ids reveal nothing.
pub async fn get(db: Db<'_>, account_id: i64, id: i64) -> Result<CdnResource, AppError> {
    run!(db, |e| sqlx::query_as::<_, ResourceRow>(&format!(
        "SELECT {COLUMNS} FROM cdn_resources WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?
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
    let (pool, actor) = (pool.clone(), actor.clone());
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let current = current_at(&mut tx.db(), actor.account_id, id, Some(loaded_version)).await?;
        if current.websockets == enabled {
            return Ok(current);
        }
        let update = ResourceUpdate { websockets: Some(WebsocketsSetting::Chosen(enabled)), ..Default::default() };
        let saved = apply(&mut tx.db(), &actor, current, &update, now).await?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

/// Changes the settings `update` names, if the resource is still at `expected_version` (any
/// version when `None`). One new version covers the whole update, with a record per setting that
/// changed; an update that changes nothing writes nothing.
pub async fn update(
    pool: &Pool,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    update: &ResourceUpdate,
    now: Timestamp,
) -> Result<CdnResource, AppError> {
    let (pool, actor, update) = (pool.clone(), actor.clone(), update.clone());
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let current = current_at(&mut tx.db(), actor.account_id, id, expected_version).await?;
        let saved = apply(&mut tx.db(), &actor, current, &update, now).await?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

/// Deletes the account's resource, if it is still at `expected_version` (any version when
/// `None`). Its history goes with it; the edges stop serving its domain.
pub async fn delete(pool: &Pool, account_id: i64, id: i64, expected_version: Option<i64>) -> Result<(), AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        current_at(&mut tx.db(), account_id, id, expected_version).await?;
        run!(tx.db(), |e| sqlx::query("DELETE FROM cdn_resources WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .execute(e)
            .await
            .map(|_| ()))?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The resource as stored, or [`AppError::Conflict`] with it when it is no longer at `expected_version`.
async fn current_at(
    db: &mut Db<'_>,
    account_id: i64,
    id: i64,
    expected_version: Option<i64>,
) -> Result<CdnResource, AppError> {
    let current = get(db.reborrow(), account_id, id).await?;
    match expected_version {
        Some(version) if version != current.version => Err(AppError::Conflict(Box::new(current))),
        _ => Ok(current),
    }
}

/// What `update` changes about `current`, one entry per setting.
fn changes(current: &CdnResource, update: &ResourceUpdate) -> Vec<Change> {
    let mut changes = Vec::new();
    if let Some(origin) = update.origin.as_ref().filter(|origin| **origin != current.origin) {
        changes.push(Change::OriginChanged { from: current.origin.clone(), to: origin.clone() });
    }
    if let Some(active) = update.active.filter(|active| *active != current.active) {
        changes.push(Change::ActiveSwitched { to: active });
    }
    match update.websockets {
        Some(WebsocketsSetting::Chosen(on)) if on != current.websockets || !current.websockets_explicit => {
            changes.push(Change::WebsocketsSwitched { from: current.websockets, to: on });
        }
        Some(WebsocketsSetting::IntegrationDefault) if current.websockets_explicit => {
            let to = websockets_default(current.integration);
            changes.push(Change::WebsocketsDefaulted { from: current.websockets, to });
        }
        _ => {}
    }
    changes
}

async fn apply(
    db: &mut Db<'_>,
    actor: &Actor,
    current: CdnResource,
    update: &ResourceUpdate,
    now: Timestamp,
) -> Result<CdnResource, AppError> {
    let changes = changes(&current, update);
    if changes.is_empty() {
        return Ok(current);
    }
    let version = current.version + 1;
    let mut next = current.clone();
    for change in &changes {
        record(db.reborrow(), actor, current.id, version, now, change).await?;
        match change {
            Change::OriginChanged { to, .. } => next.origin = to.clone(),
            Change::ActiveSwitched { to } => next.active = *to,
            Change::WebsocketsSwitched { to, .. } => (next.websockets, next.websockets_explicit) = (*to, true),
            Change::WebsocketsDefaulted { to, .. } => (next.websockets, next.websockets_explicit) = (*to, false),
            Change::Created { .. } => {}
        }
    }
    Ok(run!(db.reborrow(), |e| sqlx::query_as::<_, ResourceRow>(&format!(
        "UPDATE cdn_resources SET origin = $1, active = $2, websockets = $3, websockets_explicit = $4, \
         updated_at = $5, version = $6 WHERE id = $7 AND account_id = $8 AND version = $9 RETURNING {COLUMNS}"
    ))
    .bind(next.origin.to_string())
    .bind(next.active)
    .bind(next.websockets)
    .bind(next.websockets_explicit)
    .bind(now.unix_seconds())
    .bind(version)
    .bind(current.id)
    .bind(actor.account_id)
    .bind(current.version)
    .fetch_one(e)
    .await)?
    .try_into()?)
}

/// Writes one history record. The database refuses a resource change without it (migration 0002).
async fn record(
    db: Db<'_>,
    actor: &Actor,
    resource_id: i64,
    version: i64,
    now: Timestamp,
    change: &Change,
) -> Result<(), AppError> {
    let switch = |on: bool| on_off(on).to_owned();
    let (setting, action, old_value, new_value) = match change {
        Change::Created { websockets } => ("websockets", "created", None, switch(*websockets)),
        Change::WebsocketsSwitched { from, to } => ("websockets", "updated", Some(switch(*from)), switch(*to)),
        Change::WebsocketsDefaulted { from, to } => ("websockets", "defaulted", Some(switch(*from)), switch(*to)),
        Change::OriginChanged { from, to } => ("origin", "updated", Some(from.to_string()), to.to_string()),
        Change::ActiveSwitched { to } => ("active", "updated", Some(switch(!*to)), switch(*to)),
    };
    run!(db, |e| sqlx::query(
        "INSERT INTO resource_changes (resource_id, version, changed_at, account_id, source, \
         api_token_name, client_address, action, setting, old_value, new_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(resource_id)
    .bind(version)
    .bind(now.unix_seconds())
    .bind(actor.account_id)
    .bind(actor.source.as_str())
    .bind(actor.api_token_name.as_deref())
    .bind(actor.client_address.map(|address| address.to_string()))
    .bind(action)
    .bind(setting)
    .bind(old_value)
    .bind(new_value)
    .execute(e)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// `Ok` when the resource exists and is the account's; [`AppError::NotFound`] otherwise, as
/// [`get`] answers, for questions about a resource that do not need its row.
pub async fn ensure_owned(db: Db<'_>, account_id: i64, id: i64) -> Result<(), AppError> {
    run!(db, |e| sqlx::query_scalar::<_, i64>("SELECT id FROM cdn_resources WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .fetch_optional(e)
        .await)?
    .map(|_| ())
    .ok_or(AppError::NotFound)
}

/// The history of the account's resource, newest first.
pub async fn history(pool: &Pool, account_id: i64, id: i64) -> Result<Vec<ResourceChange>, AppError> {
    // Another account's resource is not found, rather than without history.
    ensure_owned(pool.db(), account_id, id).await?;
    run!(pool.db(), |e| sqlx::query_as::<_, ChangeRow>(
        "SELECT c.version, c.changed_at, a.email, c.source, c.api_token_name, c.client_address, c.action, \
                c.setting, c.old_value, c.new_value \
         FROM resource_changes c JOIN accounts a ON a.id = c.account_id \
         WHERE c.resource_id = $1 ORDER BY c.version DESC, c.id ASC",
    )
    .bind(id)
    .fetch_all(e)
    .await)?
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
    api_token_name: Option<String>,
    client_address: Option<String>,
    action: String,
    setting: String,
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
        let origin = |value: &str| Origin::parse(value).map_err(|_| corrupt());
        let new = row.new_value.as_str();
        let change = match (row.setting.as_str(), row.action.as_str(), row.old_value.as_deref()) {
            ("websockets", "created", None) => Change::Created { websockets: on(new)? },
            ("websockets", "updated", Some(old)) => Change::WebsocketsSwitched { from: on(old)?, to: on(new)? },
            ("websockets", "defaulted", Some(old)) => Change::WebsocketsDefaulted { from: on(old)?, to: on(new)? },
            ("origin", "updated", Some(old)) => Change::OriginChanged { from: origin(old)?, to: origin(new)? },
            ("active", "updated", Some(_)) => Change::ActiveSwitched { to: on(new)? },
            _ => return Err(corrupt()),
        };
        Ok(ResourceChange {
            version: row.version,
            changed_at: Timestamp::from_unix_seconds(row.changed_at),
            changed_by: EmailAddress::parse(&row.email).map_err(|_| corrupt())?,
            source: ChangeSource::parse(&row.source).ok_or_else(corrupt)?,
            api_token_name: row.api_token_name,
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
    websockets_explicit: bool,
    active: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

impl TryFrom<ResourceRow> for CdnResource {
    type Error = AppError;

    fn try_from(row: ResourceRow) -> Result<Self, AppError> {
        let corrupt = |error: &dyn std::fmt::Display| {
            AppError::internal(&format!("cdn_resources row {} is invalid", row.id), error.to_string())
        };
        Ok(CdnResource {
            id: row.id,
            custom_domain: DomainName::parse(&row.custom_domain).map_err(|e| corrupt(&e))?,
            origin: Origin::parse(&row.origin).map_err(|e| corrupt(&e))?,
            integration: row.integration.parse().map_err(|e| corrupt(&e))?,
            websockets: row.websockets,
            websockets_explicit: row.websockets_explicit,
            active: row.active,
            created_at: Timestamp::from_unix_seconds(row.created_at),
            updated_at: Timestamp::from_unix_seconds(row.updated_at),
            version: row.version,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::server::{accounts, db::testing::fresh_database};

    async fn account(pool: &Pool, email: &str) -> Actor {
        let email = EmailAddress::parse(email).unwrap();
        let id = accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
        Actor::portal(id, Some([192, 0, 2, 1].into()))
    }

    /// Every one of the account's resources, by custom domain.
    pub(crate) async fn all_of(pool: &Pool, account_id: i64) -> Vec<CdnResource> {
        page(pool, account_id, None, Order::Domain, u32::MAX, 0).await.unwrap().0
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
        let assets =
            create(&pool, &owner, &new_resource("static.example.com", Integration::StaticAssetsOnly)).await.unwrap();
        assert!(site.websockets);
        assert!(!assets.websockets);
        assert_eq!((site.version, assets.version), (1, 1));
        assert_eq!(site.origin.to_string(), "origin.example.com:8080");
        assert_eq!(site.created_at, site.updated_at);
        let listed = all_of(&pool, owner.account_id).await;
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
        let resource =
            create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();

        assert_eq!(get(pool.db(), stranger.account_id, resource.id).await, Err(AppError::NotFound));
        assert_eq!(get(pool.db(), owner.account_id, resource.id + 1).await, Err(AppError::NotFound));
        assert_eq!(
            set_websockets(&pool, &stranger, resource.id, 1, false, Timestamp::now()).await,
            Err(AppError::NotFound)
        );
        assert_eq!(history(&pool, stranger.account_id, resource.id).await, Err(AppError::NotFound));
        assert!(all_of(&pool, stranger.account_id).await.is_empty());
        let unchanged = get(pool.db(), owner.account_id, resource.id).await.unwrap();
        assert!(unchanged.websockets);
        assert_eq!(unchanged.version, 1);
    }

    #[tokio::test]
    async fn switching_websockets_is_stored_dated_versioned_and_recorded() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let created = insert_at(&pool, &owner, "cdn.example.com", 1_000).await;

        let off =
            set_websockets(&pool, &owner, created.id, 1, false, Timestamp::from_unix_seconds(2_000)).await.unwrap();
        assert!(!off.websockets);
        assert_eq!((off.version, off.updated_at.unix_seconds()), (2, 2_000));
        assert_eq!(get(pool.db(), owner.account_id, created.id).await.unwrap(), off);

        let unchanged =
            set_websockets(&pool, &owner, created.id, 2, false, Timestamp::from_unix_seconds(3_000)).await.unwrap();
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
        let created =
            create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
        // Two tabs load version 1; the first turns WebSockets off.
        let first_tab = set_websockets(&pool, &owner, created.id, 1, false, Timestamp::now()).await.unwrap();
        // The second still shows "on" and saves "on": it must not silently undo the first.
        let refused = set_websockets(&pool, &owner, created.id, 1, true, Timestamp::now()).await.unwrap_err();
        assert_eq!(refused, AppError::Conflict(Box::new(first_tab.clone())));
        assert_eq!(refused.http_status(), 409);
        assert_eq!(get(pool.db(), owner.account_id, created.id).await.unwrap(), first_tab);
        assert_eq!(history(&pool, owner.account_id, created.id).await.unwrap().len(), 2);
        // Re-applied from the current version, it goes through.
        let reapplied =
            set_websockets(&pool, &owner, created.id, first_tab.version, true, Timestamp::now()).await.unwrap();
        assert!(reapplied.websockets);
    }

    #[tokio::test]
    async fn the_database_refuses_a_change_without_a_record_or_a_new_version() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let created =
            create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
        for sneaky in [
            "UPDATE cdn_resources SET websockets = FALSE",
            "UPDATE cdn_resources SET websockets = FALSE, version = version + 1",
            "UPDATE cdn_resources SET origin = 'elsewhere.example.com'",
            "UPDATE cdn_resources SET version = 7",
        ] {
            let error = run!(pool.db(), |e| sqlx::query(sneaky).execute(e).await.map(|_| ())).unwrap_err();
            assert!(error.to_string().contains("needs the next version and a record"), "{sneaky}: {error}");
        }
        assert_eq!(get(pool.db(), owner.account_id, created.id).await.unwrap(), created);
        // Touching nothing a customer set is allowed without a record.
        run!(pool.db(), |e| sqlx::query("UPDATE cdn_resources SET updated_at = updated_at")
            .execute(e)
            .await
            .map(|_| ()))
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
            assert_eq!(changes[0].change, Change::WebsocketsSwitched { from: true, to: false });
            assert!(!get(pool.db(), owner.account_id, id).await.unwrap().websockets);
        }
    }

    /// A client that hangs up while its save waits for the write lock must not leave a pooled
    /// connection inside a transaction: later saves on it would fail, and it would hold the lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn saves_abandoned_half_way_leave_every_connection_usable() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let id = create(&pool, &owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap().id;
        let switch =
            |on: bool| ResourceUpdate { websockets: Some(WebsocketsSetting::Chosen(on)), ..Default::default() };

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
        record(other.db(), &owner, id, 2, Timestamp::now(), &Change::WebsocketsSwitched { from: true, to: false })
            .await
            .unwrap();
        run!(other.db(), |e| sqlx::query("UPDATE cdn_resources SET websockets = FALSE, version = 2 WHERE id = $1")
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
            Err(AppError::Conflict(current)) => assert_eq!((current.version, current.websockets), (2, false)),
            other => panic!("expected a conflict with version 2, got {other:?}"),
        }
    }
}
