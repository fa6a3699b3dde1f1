//! Creating, changing and deleting resources. Each write takes the write lock first
//! ([`Pool::begin_write`]) and records what it changed in the same transaction.

use super::history::record;
use super::input::{Actor, NewResource, ResourceUpdate, domain_taken_message, hostname_is_own_domain_message};
use super::rows::{COLUMNS, ResourceRow, bind_options, encode_hostnames, get, option_columns};
use crate::domain::{DomainName, SecondaryHostnames, Timestamp};
use crate::error::AppError;
use crate::model::{CdnResource, Change, OriginGroupRef};
use crate::options::{OptionChoice, OptionName, OptionSetting, OptionValue};
use crate::server::certificates::{coverage_in, trusted_ca_in};
use crate::server::db::{Db, Pool, on_db, to_completion};
use crate::server::origin_groups::resource_group;
use edge_feed::OriginProtocol;
use std::collections::BTreeMap;

/// Creates a resource for the actor's account, and its first history record.
pub async fn create(pool: &Pool, actor: &Actor, new: &NewResource) -> Result<CdnResource, AppError> {
    try_create(pool, actor, new)
        .await?
        .ok_or_else(|| AppError::invalid_field("custom_domain", domain_taken_message(&new.custom_domain)))
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

/// Inserts a resource with the record of its creation; `None` when the custom domain is already
/// taken by any resource. Run it inside a transaction, so that neither is written without the other.
pub async fn insert(
    db: &mut Db<'_>,
    actor: &Actor,
    new: &NewResource,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    check_hostnames_free(db, &new.custom_domain, None, &new.secondary_hostnames).await?;
    // A taken custom domain is found before a group of one is made for it, so that a refused
    // creation leaves nothing behind even when the caller commits (`try_create` does not).
    if domain_taken(db, &new.custom_domain).await? {
        return Ok(None);
    }
    let https = new.https;
    check_https(db, actor.account_id, &new.custom_domain, &new.secondary_hostnames, https.ssl_enabled, https.ssl_data)
        .await?;
    if let Some(id) = https.proxy_ssl_ca {
        trusted_ca_in(db.reborrow(), actor.account_id, id).await?;
    }
    let group = resource_group(db, actor, &new.origin, now).await?;
    let Some(created) = insert_row(db.reborrow(), actor.account_id, new, group.id, now).await? else {
        return Ok(None);
    };
    let mut changes: Vec<Change> = OptionName::ALL
        .into_iter()
        .map(|option| Change::Created { option, value: created.options_in_force.get(option) })
        .collect();
    if !created.active {
        changes.push(Change::ActiveSwitched { to: false });
    }
    // Details given at creation are recorded as set from none, in the creation's version.
    if created.name.is_some() {
        changes.push(Change::NameChanged { from: None, to: created.name.clone() });
    }
    if created.description.is_some() {
        changes.push(Change::DescriptionChanged { from: None, to: created.description.clone() });
    }
    if !created.secondary_hostnames.is_empty() {
        changes.push(Change::SecondaryHostnamesChanged {
            from: SecondaryHostnames::default(),
            to: created.secondary_hostnames.clone(),
        });
    }
    // HTTPS settings given at creation are recorded as changed from the defaults.
    if created.ssl_data.is_some() {
        changes.push(Change::SslDataChanged { from: None, to: created.ssl_data });
    }
    if created.ssl_enabled {
        changes.push(Change::SslEnabledSwitched { to: true });
    }
    if !created.origin_protocol.is_http() {
        changes.push(Change::OriginProtocolChanged { from: OriginProtocol::Http, to: created.origin_protocol });
    }
    if created.proxy_ssl_ca.is_some() {
        changes.push(Change::ProxySslCaChanged { from: None, to: created.proxy_ssl_ca });
    }
    for change in &changes {
        record(db.reborrow(), actor, created.id, created.version, now, change).await?;
    }
    Ok(Some(created))
}

/// [`AppError::Invalid`] on `secondary_hostnames` when one of `hostnames` is `custom_domain`
/// itself or is served by another resource than `resource` (of any account). Run inside the
/// write transaction: writers take turns, so what it finds free stays free until the commit;
/// the key of `served_hostnames` (migration 0007) refuses a second claim all the same.
async fn check_hostnames_free(
    db: &mut Db<'_>,
    custom_domain: &DomainName,
    resource: Option<i64>,
    hostnames: &SecondaryHostnames,
) -> Result<(), AppError> {
    for hostname in hostnames.as_slice() {
        if hostname == custom_domain {
            return Err(AppError::invalid_field("secondary_hostnames", hostname_is_own_domain_message(hostname)));
        }
        let owner = on_db!(db.reborrow(), |e| sqlx::query_scalar::<_, i64>(
            "SELECT resource_id FROM served_hostnames WHERE hostname = $1"
        )
        .bind(hostname.as_str())
        .fetch_optional(e)
        .await)?;
        if owner.is_some_and(|owner| Some(owner) != resource) {
            return Err(AppError::invalid_field("secondary_hostnames", domain_taken_message(hostname)));
        }
    }
    Ok(())
}

/// Checks HTTPS settings a resource is to have: on needs a certificate (`ssl_data`), which must
/// be one of the account's and, while on, cover the custom domain and every secondary hostname
/// (RFC 6125). Each refusal is [`AppError::Invalid`] on `ssl_data`.
async fn check_https(
    db: &mut Db<'_>,
    account_id: i64,
    custom_domain: &DomainName,
    hostnames: &SecondaryHostnames,
    ssl_enabled: bool,
    ssl_data: Option<i64>,
) -> Result<(), AppError> {
    let Some(id) = ssl_data else {
        if ssl_enabled {
            return Err(AppError::invalid_field("ssl_data", "Choose an SSL certificate to turn HTTPS on."));
        }
        return Ok(());
    };
    let coverage = coverage_in(db.reborrow(), account_id, id).await?;
    if !ssl_enabled {
        return Ok(());
    }
    let hosts = std::iter::once(custom_domain).chain(hostnames.as_slice());
    if let Some(uncovered) = hosts.into_iter().find(|host| !coverage.covers(host.as_str())) {
        return Err(AppError::invalid_field(
            "ssl_data",
            format!(
                "SSL certificate {id} does not cover {uncovered}, which this resource serves. Choose a certificate for all of its host names."
            ),
        ));
    }
    Ok(())
}

/// Whether a resource (of any account) serves `domain` already, as its custom domain or a
/// secondary hostname.
async fn domain_taken(db: &mut Db<'_>, domain: &DomainName) -> Result<bool, AppError> {
    let owner = on_db!(db.reborrow(), |e| sqlx::query_scalar::<_, i64>(
        "SELECT resource_id FROM served_hostnames WHERE hostname = $1"
    )
    .bind(domain.as_str())
    .fetch_optional(e)
    .await)?;
    Ok(owner.is_some())
}

/// The new row takes the id after the largest ever given (`cdn_resource_ids`, migration 0005):
/// ids are never reused, even once the newest resource is deleted.
async fn insert_row(
    db: Db<'_>,
    account_id: i64,
    new: &NewResource,
    origin_group_id: i64,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    let options: Vec<&str> = option_columns().collect();
    let placeholders: Vec<String> = (14..14 + options.len()).map(|n| format!("${n}")).collect();
    let in_force = new.options.all_in_force(new.integration);
    let sql = format!(
        "INSERT INTO cdn_resources \
         (id, account_id, custom_domain, origin_group_id, integration, active, created_at, updated_at, version, \
          name, description, secondary_hostnames, ssl_enabled, ssl_data_id, origin_protocol, proxy_ssl_ca_id, {}) \
         VALUES ((SELECT last_id + 1 FROM cdn_resource_ids), $1, $2, $3, $4, $5, $6, $6, 1, $7, $8, $9, $10, $11, $12, $13, {}) \
         RETURNING {}",
        options.join(", "),
        placeholders.join(", "),
        *COLUMNS
    );
    let inserted = on_db!(db, |e| bind_options(
        sqlx::query_as::<_, ResourceRow>(&sql)
            .bind(account_id)
            .bind(new.custom_domain.as_str())
            .bind(origin_group_id)
            .bind(new.integration.as_str())
            .bind(new.active)
            .bind(now.unix_seconds())
            .bind(new.name.as_ref().map(|name| name.as_str().to_owned()))
            .bind(new.description.as_ref().map(|description| description.as_str().to_owned()))
            .bind(encode_hostnames(&new.secondary_hostnames))
            .bind(new.https.ssl_enabled)
            .bind(new.https.ssl_data)
            .bind(new.https.origin_protocol.as_str())
            .bind(new.https.proxy_ssl_ca),
        &new.options,
        &in_force
    )
    .fetch_one(e)
    .await);
    match inserted {
        Ok(row) => row.try_into().map(Some),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Sets one option to the customer's `value` (enabled), if the resource is still at
/// `loaded_version`: a form loaded before someone else saved gets [`AppError::Conflict`] with what
/// is stored now, and changes nothing. Saving the value already in force changes nothing either,
/// and is not recorded: a switch left as the page showed it keeps following the default.
pub async fn set_option(
    pool: &Pool,
    actor: &Actor,
    id: i64,
    loaded_version: i64,
    option: OptionName,
    value: OptionValue,
    now: Timestamp,
) -> Result<CdnResource, AppError> {
    let (pool, actor) = (pool.clone(), actor.clone());
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let current = current_at(&mut tx.db(), actor.account_id, id, Some(loaded_version)).await?;
        if current.options_in_force.get(option) == value {
            return Ok(current);
        }
        let update =
            ResourceUpdate { options: BTreeMap::from([(option, OptionChoice::chosen(value))]), ..Default::default() };
        let saved = apply(&mut tx.db(), &actor, current, &update, now).await?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

/// Turns WebSockets on or off: [`set_option`] for the portal's Websockets switch.
pub async fn set_websockets(
    pool: &Pool,
    actor: &Actor,
    id: i64,
    loaded_version: i64,
    enabled: bool,
    now: Timestamp,
) -> Result<CdnResource, AppError> {
    set_option(pool, actor, id, loaded_version, OptionName::Websockets, OptionValue::Switch(enabled), now).await
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
        on_db!(tx.db(), |e| sqlx::query("DELETE FROM cdn_resources WHERE id = $1 AND account_id = $2")
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

/// What `update` changes about `current`, one entry per setting; `group` is the origin group
/// `update.origin` names, found or made.
fn changes(current: &CdnResource, update: &ResourceUpdate, group: Option<OriginGroupRef>) -> Vec<Change> {
    let mut changes = Vec::new();
    if let Some(name) = update.name.as_ref().filter(|name| **name != current.name) {
        changes.push(Change::NameChanged { from: current.name.clone(), to: name.clone() });
    }
    if let Some(description) = update.description.as_ref().filter(|description| **description != current.description) {
        changes.push(Change::DescriptionChanged { from: current.description.clone(), to: description.clone() });
    }
    if let Some(hostnames) = update.secondary_hostnames.as_ref().filter(|h| **h != current.secondary_hostnames) {
        changes.push(Change::SecondaryHostnamesChanged {
            from: current.secondary_hostnames.clone(),
            to: hostnames.clone(),
        });
    }
    if let Some(group) = group.filter(|group| group.id != current.origin_group.id) {
        changes.push(Change::OriginGroupSwitched { from: current.origin_group.clone(), to: group });
    }
    if let Some(active) = update.active.filter(|active| *active != current.active) {
        changes.push(Change::ActiveSwitched { to: active });
    }
    if let Some(ssl_data) = update.ssl_data.filter(|ssl_data| *ssl_data != current.ssl_data) {
        changes.push(Change::SslDataChanged { from: current.ssl_data, to: ssl_data });
    }
    if let Some(enabled) = update.ssl_enabled.filter(|enabled| *enabled != current.ssl_enabled) {
        changes.push(Change::SslEnabledSwitched { to: enabled });
    }
    if let Some(protocol) = update.origin_protocol.filter(|protocol| *protocol != current.origin_protocol) {
        changes.push(Change::OriginProtocolChanged { from: current.origin_protocol, to: protocol });
    }
    if let Some(ca) = update.proxy_ssl_ca.filter(|ca| *ca != current.proxy_ssl_ca) {
        changes.push(Change::ProxySslCaChanged { from: current.proxy_ssl_ca, to: ca });
    }
    for (&option, &choice) in &update.options {
        let (before, after) = (current.options.get(option), choice.setting());
        if before == after {
            continue;
        }
        let from = current.options_in_force.get(option);
        let default = option.default_for(current.integration);
        changes.push(match (before, after) {
            (_, Some(OptionSetting { enabled: true, value: to })) => Change::OptionSet { option, from, to },
            (_, Some(OptionSetting { enabled: false, value })) => {
                Change::OptionNotEnabled { option, from, to: default, value }
            }
            (Some(OptionSetting { enabled: false, value }), None) => {
                Change::OptionNotEnabledRemoved { option, from, to: default, value }
            }
            (_, None) => Change::OptionDefaulted { option, from, to: default },
        });
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
    let group = match &update.origin {
        Some(choice) => Some(resource_group(db, actor, choice, now).await?),
        None => None,
    };
    let changes = changes(&current, update, group);
    if changes.is_empty() {
        return Ok(current);
    }
    let version = current.version + 1;
    let mut next = current.clone();
    if let Some(hostnames) = &update.secondary_hostnames {
        check_hostnames_free(db, &current.custom_domain, Some(current.id), hostnames).await?;
    }
    // HTTPS as it will be, checked whenever it or the host names it must cover change.
    let ssl_enabled = update.ssl_enabled.unwrap_or(current.ssl_enabled);
    let ssl_data = update.ssl_data.unwrap_or(current.ssl_data);
    let hostnames = update.secondary_hostnames.as_ref().unwrap_or(&current.secondary_hostnames);
    if changes.iter().any(|change| {
        matches!(
            change,
            Change::SslEnabledSwitched { .. }
                | Change::SslDataChanged { .. }
                | Change::SecondaryHostnamesChanged { .. }
        )
    }) {
        check_https(db, actor.account_id, &current.custom_domain, hostnames, ssl_enabled, ssl_data).await?;
    }
    if let Some(Some(id)) = update.proxy_ssl_ca.filter(|ca| *ca != current.proxy_ssl_ca) {
        trusted_ca_in(db.reborrow(), actor.account_id, id).await?;
    }
    for change in &changes {
        record(db.reborrow(), actor, current.id, version, now, change).await?;
        match change {
            Change::NameChanged { to, .. } => next.name = to.clone(),
            Change::DescriptionChanged { to, .. } => next.description = to.clone(),
            Change::SecondaryHostnamesChanged { to, .. } => next.secondary_hostnames = to.clone(),
            Change::OriginGroupSwitched { to, .. } => next.origin_group = to.clone(),
            Change::ActiveSwitched { to } => next.active = *to,
            Change::SslEnabledSwitched { to } => next.ssl_enabled = *to,
            Change::SslDataChanged { to, .. } => next.ssl_data = *to,
            Change::OriginProtocolChanged { to, .. } => next.origin_protocol = *to,
            Change::ProxySslCaChanged { to, .. } => next.proxy_ssl_ca = *to,
            Change::OptionSet { option, .. }
            | Change::OptionDefaulted { option, .. }
            | Change::OptionNotEnabled { option, .. }
            | Change::OptionNotEnabledRemoved { option, .. } => {
                // The setting as written: a record's values are those in force, not the setting.
                next.options.set(*option, update.options[option].setting());
            }
            Change::Created { .. } | Change::OriginChanged { .. } => {}
        }
    }
    next.options_in_force = next.options.all_in_force(next.integration);
    let assignments: Vec<String> =
        option_columns().enumerate().map(|(n, column)| format!("{column} = ${}", n + 15)).collect();
    let sql = format!(
        "UPDATE cdn_resources SET origin_group_id = $1, active = $2, updated_at = $3, version = $4, \
         name = $8, description = $9, secondary_hostnames = $10, ssl_enabled = $11, ssl_data_id = $12, \
         origin_protocol = $13, proxy_ssl_ca_id = $14, {} \
         WHERE id = $5 AND account_id = $6 AND version = $7 RETURNING {}",
        assignments.join(", "),
        *COLUMNS
    );
    on_db!(db.reborrow(), |e| bind_options(
        sqlx::query_as::<_, ResourceRow>(&sql)
            .bind(next.origin_group.id)
            .bind(next.active)
            .bind(now.unix_seconds())
            .bind(version)
            .bind(current.id)
            .bind(actor.account_id)
            .bind(current.version)
            .bind(next.name.as_ref().map(|name| name.as_str().to_owned()))
            .bind(next.description.as_ref().map(|description| description.as_str().to_owned()))
            .bind(encode_hostnames(&next.secondary_hostnames))
            .bind(next.ssl_enabled)
            .bind(next.ssl_data)
            .bind(next.origin_protocol.as_str())
            .bind(next.proxy_ssl_ca),
        &next.options,
        &next.options_in_force
    )
    .fetch_one(e)
    .await)?
    .try_into()
}
