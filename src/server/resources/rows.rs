//! The rows of `cdn_resources`, and the reads. The options' columns are named by
//! [`OptionName`], so no query here changes when an option is added.

use crate::domain::{
    DomainName, Integration, Origin, ResourceDescription, ResourceName, ResourceTextError, SecondaryHostnames,
    Timestamp,
};
use crate::error::AppError;
use crate::model::CdnResource;
use crate::options::{OptionKind, OptionName, OptionSetting, OptionValue, ResourceOptions};
use crate::server::db::{Db, Pool, on_db};
use sqlx::query::QueryAs;
use sqlx::{ColumnIndex, Database, Decode, Encode, FromRow, Row, Type};
use std::sync::LazyLock;

/// Every column a [`ResourceRow`] reads, for `SELECT` and `RETURNING`.
pub(super) static COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let options = OptionName::ALL.iter().flat_map(|option| [option.api_name(), option.explicit_column()]);
    [
        "id",
        "account_id",
        "custom_domain",
        "secondary_hostnames",
        "name",
        "description",
        "origin",
        "integration",
        "active",
        "created_at",
        "updated_at",
        "version",
    ]
    .into_iter()
    .chain(options)
    .collect::<Vec<_>>()
    .join(", ")
});

/// The options' columns, in the order [`bind_options`] binds them: each option's value, then
/// whether it was chosen.
pub(super) fn option_columns() -> impl Iterator<Item = &'static str> {
    OptionName::ALL.into_iter().flat_map(|option| [option.api_name(), option.explicit_column()])
}

/// Binds each option's value and whether it was chosen, in the order of [`option_columns`].
pub(super) fn bind_options<'q, DB, O>(
    mut query: QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>,
    options: &ResourceOptions,
) -> QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    bool: 'q + Encode<'q, DB> + Type<DB>,
{
    for option in OptionName::ALL {
        let setting = options.get(option);
        query = match setting.value {
            OptionValue::Switch(on) => query.bind(on),
        };
        query = query.bind(setting.enabled);
    }
    query
}

/// A row of `cdn_resources`, as stored; [`CdnResource`] once checked.
pub(super) struct ResourceRow {
    id: i64,
    account_id: i64,
    custom_domain: String,
    secondary_hostnames: String,
    name: Option<String>,
    description: Option<String>,
    origin: String,
    integration: String,
    active: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
    options: Vec<(OptionName, OptionSetting<OptionValue>)>,
}

impl<'r, R> FromRow<'r, R> for ResourceRow
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let options = OptionName::ALL
            .into_iter()
            .map(|option| {
                let value = match option.kind() {
                    OptionKind::Switch => OptionValue::Switch(row.try_get(option.api_name())?),
                };
                Ok((option, OptionSetting { enabled: row.try_get(option.explicit_column())?, value }))
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Self {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            custom_domain: row.try_get("custom_domain")?,
            secondary_hostnames: row.try_get("secondary_hostnames")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            origin: row.try_get("origin")?,
            integration: row.try_get("integration")?,
            active: row.try_get("active")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            version: row.try_get("version")?,
            options,
        })
    }
}

impl TryFrom<ResourceRow> for CdnResource {
    type Error = AppError;

    fn try_from(row: ResourceRow) -> Result<Self, AppError> {
        let corrupt = |error: &dyn std::fmt::Display| {
            AppError::internal(&format!("cdn_resources row {} is invalid", row.id), error.to_string())
        };
        let integration: Integration = row.integration.parse().map_err(|e| corrupt(&e))?;
        let mut options = ResourceOptions::defaults(integration);
        for (option, setting) in row.options {
            options.set(option, setting);
        }
        Ok(CdnResource {
            id: row.id,
            account_id: row.account_id,
            custom_domain: DomainName::parse(&row.custom_domain).map_err(|e| corrupt(&e))?,
            secondary_hostnames: decode_hostnames(&row.secondary_hostnames).map_err(|e| corrupt(&e))?,
            name: stored_text(row.name.as_deref(), ResourceName::parse).map_err(|e| corrupt(&e))?,
            description: stored_text(row.description.as_deref(), ResourceDescription::parse)
                .map_err(|e| corrupt(&e))?,
            origin: Origin::parse(&row.origin).map_err(|e| corrupt(&e))?,
            integration,
            options,
            active: row.active,
            created_at: Timestamp::from_unix_seconds(row.created_at),
            updated_at: Timestamp::from_unix_seconds(row.updated_at),
            version: row.version,
        })
    }
}

/// A stored name or description: NULL is none. Text that no longer reads back is corrupt, and
/// so is an empty one, since NULL stands for none (migration 0007's CHECK refuses it too).
fn stored_text<T>(
    text: Option<&str>,
    parse: impl Fn(&str) -> Result<Option<T>, ResourceTextError>,
) -> Result<Option<T>, String> {
    match text.map(parse) {
        None => Ok(None),
        Some(Ok(Some(value))) => Ok(Some(value)),
        Some(Ok(None)) => Err("an empty text".to_owned()),
        Some(Err(error)) => Err(error.to_string()),
    }
}

/// Secondary hostnames as `cdn_resources.secondary_hostnames` holds them: a JSON array of
/// names, in the customer's order (migration 0007 reads it too, to fill `served_hostnames`).
pub(super) fn encode_hostnames(hostnames: &SecondaryHostnames) -> String {
    serde_json::to_string(hostnames).expect("a list of names is JSON")
}

fn decode_hostnames(stored: &str) -> Result<SecondaryHostnames, serde_json::Error> {
    serde_json::from_str(stored)
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
    let total = on_db!(pool.db(), |e| sqlx::query_scalar::<_, i64>(&format!(
        "SELECT COUNT(*) FROM cdn_resources WHERE {filter}"
    ))
    .bind(account_id)
    .bind(domain)
    .fetch_one(e)
    .await)?;
    let resources = on_db!(pool.db(), |e| sqlx::query_as::<_, ResourceRow>(&format!(
        "SELECT {} FROM cdn_resources WHERE {filter} ORDER BY {} LIMIT $3 OFFSET $4",
        *COLUMNS,
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
    on_db!(db, |e| sqlx::query_as::<_, ResourceRow>(&format!(
        "SELECT {} FROM cdn_resources WHERE id = $1 AND account_id = $2",
        *COLUMNS
    ))
    .bind(id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?
    .ok_or(AppError::NotFound)?
    .try_into()
}

/// Every active resource, by id, or only those with a configuration change after the version
/// `changed_after` (`config_changes`, migration 0003): what the CDN edges serve.
pub async fn active(db: Db<'_>, changed_after: Option<i64>) -> Result<Vec<CdnResource>, AppError> {
    on_db!(db, |e| sqlx::query_as::<_, ResourceRow>(&format!(
        "SELECT {} FROM cdn_resources WHERE active AND ($1 IS NULL OR id IN \
         (SELECT resource_id FROM config_changes WHERE version > $1)) ORDER BY id",
        *COLUMNS
    ))
    .bind(changed_after)
    .fetch_all(e)
    .await)?
    .into_iter()
    .map(CdnResource::try_from)
    .collect()
}

/// `Ok` when the resource exists and is the account's; [`AppError::NotFound`] otherwise, as
/// [`get`] answers, for questions about a resource that do not need its row.
pub async fn ensure_owned(db: Db<'_>, account_id: i64, id: i64) -> Result<(), AppError> {
    on_db!(db, |e| sqlx::query_scalar::<_, i64>("SELECT id FROM cdn_resources WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .fetch_optional(e)
        .await)?
    .map(|_| ())
    .ok_or(AppError::NotFound)
}
