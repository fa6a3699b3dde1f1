//! The rows of `cdn_resources`, and the reads. The options' columns are named by
//! [`OptionName`], so no query here changes when an option is added. Each option has three:
//! its value in force (what the edges do) and its stored setting, `enabled` and `value`.

use crate::domain::{
    DomainName, Integration, OriginGroupName, ResourceDescription, ResourceName, ResourceTextError, SecondaryHostnames,
    Timestamp,
};
use crate::error::AppError;
use crate::model::{CdnResource, OriginGroupRef};
use crate::options::{OptionKind, OptionName, OptionSetting, OptionValue, OptionsInForce, ResourceOptions};
use crate::server::db::{Db, Pool, id_list, on_db};
use sqlx::query::QueryAs;
use sqlx::{ColumnIndex, Database, Decode, Encode, FromRow, Row, Type};
use std::sync::LazyLock;

/// Every column a [`ResourceRow`] reads, for `SELECT` and `RETURNING`.
pub(super) static COLUMNS: LazyLock<String> = LazyLock::new(|| {
    [
        "id",
        "account_id",
        "custom_domain",
        "secondary_hostnames",
        "name",
        "description",
        "origin_group_id",
        // The group's name and origins, read with the resource (the origin's one home).
        "(SELECT name FROM origin_groups g WHERE g.id = cdn_resources.origin_group_id) AS origin_group_name",
        "(SELECT sources FROM origin_groups g WHERE g.id = cdn_resources.origin_group_id) AS origin_group_sources",
        "integration",
        "active",
        "ssl_enabled",
        "ssl_data_id",
        "proxy_ssl_ca_id",
        "origin_protocol",
        "created_at",
        "updated_at",
        "version",
    ]
    .into_iter()
    .chain(option_columns())
    .collect::<Vec<_>>()
    .join(", ")
});

/// The options' columns (migration 0006), in the order [`bind_options`] binds them: for each
/// option, its value in force, then its stored setting's `enabled` and `value` (both NULL while
/// the option is not set).
pub(super) fn option_columns() -> impl Iterator<Item = &'static str> {
    OptionName::ALL.into_iter().flat_map(|option| [option.api_name(), option.enabled_column(), option.value_column()])
}

/// Binds each option's value in force and its stored setting, in the order of [`option_columns`].
pub(super) fn bind_options<'q, DB, O>(
    mut query: QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>,
    options: &ResourceOptions,
    in_force: &OptionsInForce,
) -> QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    bool: 'q + Encode<'q, DB> + Type<DB>,
    Option<bool>: 'q + Encode<'q, DB> + Type<DB>,
{
    for option in OptionName::ALL {
        query = match in_force.get(option) {
            OptionValue::Switch(on) => query.bind(on),
        };
        let setting = options.get(option);
        query = query.bind(setting.map(|setting| setting.enabled));
        query = match option.kind() {
            OptionKind::Switch => query.bind(setting.map(|setting| setting.value.is_on())),
        };
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
    origin_group_id: i64,
    origin_group_name: String,
    origin_group_sources: String,
    integration: String,
    active: bool,
    ssl_enabled: bool,
    ssl_data_id: Option<i64>,
    proxy_ssl_ca_id: Option<i64>,
    origin_protocol: String,
    created_at: i64,
    updated_at: i64,
    version: i64,
    /// Each option's value in force and its stored setting.
    options: Vec<(OptionName, OptionValue, Option<OptionSetting<OptionValue>>)>,
}

impl<'r, R> FromRow<'r, R> for ResourceRow
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let options = OptionName::ALL
            .into_iter()
            .map(|option| {
                let (in_force, value) = match option.kind() {
                    OptionKind::Switch => (
                        OptionValue::Switch(row.try_get(option.api_name())?),
                        row.try_get::<Option<bool>, _>(option.value_column())?.map(OptionValue::Switch),
                    ),
                };
                let enabled: Option<bool> = row.try_get(option.enabled_column())?;
                let setting = match (enabled, value) {
                    (Some(enabled), Some(value)) => Some(OptionSetting { enabled, value }),
                    (None, None) => None,
                    // The CHECK of migration 0006 refuses it; should one appear, it is refused here too.
                    _ => {
                        return Err(sqlx::Error::ColumnDecode {
                            index: option.enabled_column().to_owned(),
                            source: "an option's enabled and value are both set or both NULL".into(),
                        });
                    }
                };
                Ok((option, in_force, setting))
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Self {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            custom_domain: row.try_get("custom_domain")?,
            secondary_hostnames: row.try_get("secondary_hostnames")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            origin_group_id: row.try_get("origin_group_id")?,
            origin_group_name: row.try_get("origin_group_name")?,
            origin_group_sources: row.try_get("origin_group_sources")?,
            integration: row.try_get("integration")?,
            active: row.try_get("active")?,
            ssl_enabled: row.try_get("ssl_enabled")?,
            ssl_data_id: row.try_get("ssl_data_id")?,
            proxy_ssl_ca_id: row.try_get("proxy_ssl_ca_id")?,
            origin_protocol: row.try_get("origin_protocol")?,
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
        let mut options = ResourceOptions::default();
        let mut options_in_force = OptionsInForce::defaults(integration);
        for (option, in_force, setting) in row.options {
            if setting.and_then(OptionSetting::applied).is_some_and(|value| value != in_force) {
                return Err(corrupt(&format!("{} is not the enabled setting's value", option.api_name())));
            }
            options.set(option, setting);
            options_in_force.set(option, in_force);
        }
        Ok(CdnResource {
            id: row.id,
            account_id: row.account_id,
            custom_domain: DomainName::parse(&row.custom_domain).map_err(|e| corrupt(&e))?,
            secondary_hostnames: decode_hostnames(&row.secondary_hostnames).map_err(|e| corrupt(&e))?,
            name: stored_text(row.name.as_deref(), ResourceName::parse).map_err(|e| corrupt(&e))?,
            description: stored_text(row.description.as_deref(), ResourceDescription::parse)
                .map_err(|e| corrupt(&e))?,
            origin: crate::server::origin_groups::decode_sources(&row.origin_group_sources)
                .map_err(|e| corrupt(&e))?
                .first_primary()
                .clone(),
            origin_group: OriginGroupRef {
                id: row.origin_group_id,
                name: OriginGroupName::parse(&row.origin_group_name).map_err(|e| corrupt(&e))?,
            },
            integration,
            options,
            options_in_force,
            active: row.active,
            ssl_enabled: row.ssl_enabled,
            ssl_data: row.ssl_data_id,
            proxy_ssl_ca: row.proxy_ssl_ca_id,
            origin_protocol: crate::model::parse_origin_protocol(&row.origin_protocol).map_err(|e| corrupt(&e))?,
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

/// Which of an account's resources a list shows: each field left `None` matches every resource,
/// and the list shows those matching all the fields given. Each field is one condition of the
/// list's `WHERE` ([`Self::conditions`]), so a new filter is a field and its condition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceFilter {
    /// Only the resource with this custom domain (exact; domain names are stored lower-case).
    pub custom_domain: Option<DomainName>,
    /// Only active (`true`) or inactive (`false`) resources.
    pub active: Option<bool>,
    /// Gcore's `deleted`: resources here are deleted outright, never kept as deleted, so `true`
    /// matches none and `false` every one.
    pub deleted: Option<bool>,
    /// Only resources created at or after this moment.
    pub created_from: Option<Timestamp>,
    /// Only resources created at or before this moment.
    pub created_until: Option<Timestamp>,
    /// Only resources whose settings last changed at or after this moment.
    pub updated_from: Option<Timestamp>,
    /// Only resources whose settings last changed at or before this moment.
    pub updated_until: Option<Timestamp>,
    /// Only resources whose name contains this text, whatever the letter case (Gcore: "Matches
    /// partially and is case-insensitive"). SQLite lowers ASCII letters only, PostgreSQL every
    /// letter: names in other scripts match in their exact case on SQLite.
    pub name: Option<String>,
    /// Only the resource with this secondary hostname.
    pub secondary_hostname: Option<DomainName>,
    /// Only resources the CDN serves (`true`) or not (`false`): what a status implies
    /// (`suspended`: inactive), beside the `active` asked for, which may contradict it.
    pub in_service: Option<bool>,
}

/// `text` as a `LIKE` pattern matching any text that contains it, lower-cased; `\` escapes the
/// pattern's own characters (`ESCAPE '\'` in the condition).
fn containing(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A value a filter's condition compares with.
enum FilterValue {
    Text(String),
    Integer(i64),
    Switch(bool),
}

impl ResourceFilter {
    /// The conditions of the `WHERE`, each with `?` for its one value, or with none.
    fn conditions(&self) -> Vec<(&'static str, Option<FilterValue>)> {
        let moment = |timestamp: Option<Timestamp>| timestamp.map(|t| FilterValue::Integer(t.unix_seconds()));
        let candidates = [
            (
                "custom_domain = ?",
                self.custom_domain.as_ref().map(|domain| FilterValue::Text(domain.as_str().to_owned())),
            ),
            ("active = ?", self.active.map(FilterValue::Switch)),
            ("active = ?", self.in_service.map(FilterValue::Switch)),
            ("created_at >= ?", moment(self.created_from)),
            ("created_at <= ?", moment(self.created_until)),
            ("updated_at >= ?", moment(self.updated_from)),
            ("updated_at <= ?", moment(self.updated_until)),
            ("LOWER(name) LIKE ? ESCAPE '\\'", self.name.as_deref().map(|name| FilterValue::Text(containing(name)))),
            (
                "EXISTS (SELECT 1 FROM served_hostnames s WHERE s.resource_id = cdn_resources.id \
                 AND s.hostname = ? AND s.hostname <> cdn_resources.custom_domain)",
                self.secondary_hostname.as_ref().map(|hostname| FilterValue::Text(hostname.as_str().to_owned())),
            ),
        ];
        let mut conditions: Vec<_> =
            candidates.into_iter().filter_map(|(sql, value)| value.map(|value| (sql, Some(value)))).collect();
        if self.deleted == Some(true) {
            conditions.push(("1 = 0", None));
        }
        conditions
    }

    /// The `WHERE` for `account_id` (`$1`) and these conditions (`$2`, `$3`, …), and their values
    /// in order.
    fn where_clause(&self) -> (String, Vec<FilterValue>) {
        let mut sql = "account_id = $1".to_owned();
        let mut values = Vec::new();
        for (condition, value) in self.conditions() {
            let mut condition = condition.to_owned();
            if let Some(value) = value {
                values.push(value);
                condition = condition.replace('?', &format!("${}", values.len() + 1));
            }
            sql.push_str(" AND ");
            sql.push_str(&condition);
        }
        (sql, values)
    }
}

fn bind_filter<'q, DB, O>(
    mut query: QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>,
    values: &[FilterValue],
) -> QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    bool: 'q + Encode<'q, DB> + Type<DB>,
    i64: 'q + Encode<'q, DB> + Type<DB>,
    String: 'q + Encode<'q, DB> + Type<DB>,
{
    for value in values {
        query = match value {
            FilterValue::Text(text) => query.bind(text.clone()),
            FilterValue::Integer(number) => query.bind(*number),
            FilterValue::Switch(on) => query.bind(*on),
        };
    }
    query
}

/// One page of the account's resources that match `filter`, and how many match in all.
pub async fn page(
    pool: &Pool,
    account_id: i64,
    filter: &ResourceFilter,
    order: Order,
    limit: u32,
    offset: u64,
) -> Result<(Vec<CdnResource>, i64), AppError> {
    let (filter, values) = filter.where_clause();
    let (count_sql, page_sql) = (
        format!("SELECT COUNT(*) FROM cdn_resources WHERE {filter}"),
        format!(
            "SELECT {} FROM cdn_resources WHERE {filter} ORDER BY {} LIMIT ${} OFFSET ${}",
            *COLUMNS,
            match order {
                Order::Created => "id",
                Order::Domain => "custom_domain",
            },
            values.len() + 2,
            values.len() + 3,
        ),
    );
    let (total,) =
        on_db!(pool.db(), |e| bind_filter(sqlx::query_as::<_, (i64,)>(&count_sql).bind(account_id), &values)
            .fetch_one(e)
            .await)?;
    let resources =
        on_db!(pool.db(), |e| bind_filter(sqlx::query_as::<_, ResourceRow>(&page_sql).bind(account_id), &values)
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

/// The ids of the account's resources, in id order: all of them, or those of `among` that are
/// the account's (the caller compares, to answer 404 for any that is not). One query however
/// many: the statistics API names up to all of an account's resources at once.
pub async fn owned_ids(db: Db<'_>, account_id: i64, among: Option<&[i64]>) -> Result<Vec<i64>, AppError> {
    let only = among.map_or(String::new(), |ids| format!(" AND id IN ({})", id_list(ids.iter().copied())));
    Ok(on_db!(db, |e| sqlx::query_scalar::<_, i64>(&format!(
        "SELECT id FROM cdn_resources WHERE account_id = $1{only} ORDER BY id"
    ))
    .bind(account_id)
    .fetch_all(e)
    .await)?)
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
