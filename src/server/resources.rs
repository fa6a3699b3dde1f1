//! CDN resources: the rules for creating and changing them, and their rows in the database.
//! Every query names the owning account, so one customer can never reach another's resource.

use super::db::Pool;
use crate::domain::{DomainName, Integration, Origin, Timestamp};
use crate::error::{AppError, FieldErrors};
use crate::model::CdnResource;
use sqlx::SqliteExecutor;

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

pub async fn create(pool: &Pool, account_id: i64, new: &NewResource) -> Result<CdnResource, AppError> {
    insert(pool, account_id, new, Timestamp::now()).await?.ok_or_else(|| {
        AppError::invalid_field(
            "custom_domain",
            format!("{} is already used by a CDN resource. Each custom domain can have only one.", new.custom_domain),
        )
    })
}

const COLUMNS: &str = "id, custom_domain, origin, integration, websockets, created_at, updated_at";

/// Inserts a resource with its integration's default WebSockets setting; `None` when the custom
/// domain is already taken by any resource.
pub async fn insert(
    db: impl SqliteExecutor<'_>,
    account_id: i64,
    new: &NewResource,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    let inserted = sqlx::query_as::<_, ResourceRow>(&format!(
        "INSERT INTO cdn_resources \
         (account_id, custom_domain, origin, integration, websockets, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
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

/// Turns WebSockets on or off. The change time moves only when the value really changes.
pub async fn set_websockets(
    db: impl SqliteExecutor<'_>,
    account_id: i64,
    id: i64,
    enabled: bool,
    now: Timestamp,
) -> Result<CdnResource, AppError> {
    sqlx::query_as::<_, ResourceRow>(&format!(
        "UPDATE cdn_resources \
         SET updated_at = CASE WHEN websockets = $1 THEN updated_at ELSE $2 END, websockets = $1 \
         WHERE id = $3 AND account_id = $4 RETURNING {COLUMNS}"
    ))
    .bind(enabled)
    .bind(now.unix_seconds())
    .bind(id)
    .bind(account_id)
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)?
    .try_into()
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;
    use crate::server::{accounts, db::testing::fresh_database};

    async fn account(pool: &Pool, email: &str) -> i64 {
        let email = EmailAddress::parse(email).unwrap();
        accounts::insert(pool, &email, "hash", Timestamp::now()).await.unwrap().unwrap().id
    }

    fn new_resource(domain: &str, integration: Integration) -> NewResource {
        NewResource::parse(domain, "origin.example.com:8080", Some(integration.as_str())).unwrap()
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
    async fn new_resources_take_their_integrations_default() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let site = create(&pool, owner, &new_resource("www.example.com", Integration::EntireWebsite)).await.unwrap();
        let assets = create(&pool, owner, &new_resource("static.example.com", Integration::StaticAssetsOnly)).await.unwrap();
        assert!(site.websockets);
        assert!(!assets.websockets);
        assert_eq!(site.origin.to_string(), "origin.example.com:8080");
        assert_eq!(site.created_at, site.updated_at);
        let listed = list(&pool, owner).await.unwrap();
        assert_eq!(listed, vec![assets, site], "sorted by domain");
    }

    #[tokio::test]
    async fn a_custom_domain_belongs_to_one_resource_across_accounts() {
        let (pool, _guard) = fresh_database().await;
        let first = account(&pool, "ada@example.com").await;
        let second = account(&pool, "charles@example.com").await;
        create(&pool, first, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();
        let error = create(&pool, second, &new_resource("CDN.example.com", Integration::StaticAssetsOnly)).await.unwrap_err();
        assert!(error.for_field("custom_domain").unwrap().contains("already used"));
        assert!(list(&pool, second).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn another_accounts_resource_is_not_found() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let stranger = account(&pool, "eve@example.com").await;
        let resource = create(&pool, owner, &new_resource("cdn.example.com", Integration::EntireWebsite)).await.unwrap();

        assert_eq!(get(&pool, stranger, resource.id).await, Err(AppError::NotFound));
        assert_eq!(get(&pool, owner, resource.id + 1).await, Err(AppError::NotFound));
        assert_eq!(
            set_websockets(&pool, stranger, resource.id, false, Timestamp::now()).await,
            Err(AppError::NotFound)
        );
        assert!(list(&pool, stranger).await.unwrap().is_empty());
        assert!(get(&pool, owner, resource.id).await.unwrap().websockets, "unchanged");
    }

    #[tokio::test]
    async fn switching_websockets_is_stored_and_dated() {
        let (pool, _guard) = fresh_database().await;
        let owner = account(&pool, "ada@example.com").await;
        let created = insert(&pool, owner, &new_resource("cdn.example.com", Integration::EntireWebsite), Timestamp::from_unix_seconds(1_000))
            .await
            .unwrap()
            .unwrap();

        let off = set_websockets(&pool, owner, created.id, false, Timestamp::from_unix_seconds(2_000)).await.unwrap();
        assert!(!off.websockets);
        assert_eq!(off.updated_at.unix_seconds(), 2_000);
        assert_eq!(get(&pool, owner, created.id).await.unwrap(), off);

        let unchanged = set_websockets(&pool, owner, created.id, false, Timestamp::from_unix_seconds(3_000)).await.unwrap();
        assert_eq!(unchanged.updated_at.unix_seconds(), 2_000, "saving the same value changes nothing");

        let on = set_websockets(&pool, owner, created.id, true, Timestamp::from_unix_seconds(4_000)).await.unwrap();
        assert!(on.websockets);
        assert_eq!(on.created_at.unix_seconds(), 1_000);
    }
}
