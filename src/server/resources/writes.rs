//! Creating, changing and deleting resources. Each write takes the write lock first
//! ([`Pool::begin_write`]) and records what it changed in the same transaction.

use super::history::record;
use super::input::{Actor, NewResource, ResourceUpdate, domain_taken_message};
use super::rows::{COLUMNS, ResourceRow, bind_options, get, option_columns};
use crate::domain::Timestamp;
use crate::error::AppError;
use crate::model::{CdnResource, Change};
use crate::options::{OptionChoice, OptionName, OptionSetting, OptionValue};
use crate::server::db::{Db, Pool, on_db, to_completion};
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
    let Some(created) = insert_row(db.reborrow(), actor.account_id, new, now).await? else {
        return Ok(None);
    };
    for option in OptionName::ALL {
        let value = created.options_in_force.get(option);
        record(db.reborrow(), actor, created.id, created.version, now, &Change::Created { option, value }).await?;
    }
    if !created.active {
        record(db.reborrow(), actor, created.id, created.version, now, &Change::ActiveSwitched { to: false }).await?;
    }
    Ok(Some(created))
}

/// The new row takes the id after the largest ever given (`cdn_resource_ids`, migration 0005):
/// ids are never reused, even once the newest resource is deleted.
async fn insert_row(
    db: Db<'_>,
    account_id: i64,
    new: &NewResource,
    now: Timestamp,
) -> Result<Option<CdnResource>, AppError> {
    let options: Vec<&str> = option_columns().collect();
    let placeholders: Vec<String> = (7..7 + options.len()).map(|n| format!("${n}")).collect();
    let in_force = new.options.all_in_force(new.integration);
    let sql = format!(
        "INSERT INTO cdn_resources \
         (id, account_id, custom_domain, origin, integration, active, created_at, updated_at, version, {}) \
         VALUES ((SELECT last_id + 1 FROM cdn_resource_ids), $1, $2, $3, $4, $5, $6, $6, 1, {}) RETURNING {}",
        options.join(", "),
        placeholders.join(", "),
        *COLUMNS
    );
    let inserted = on_db!(db, |e| bind_options(
        sqlx::query_as::<_, ResourceRow>(&sql)
            .bind(account_id)
            .bind(new.custom_domain.as_str())
            .bind(new.origin.to_string())
            .bind(new.integration.as_str())
            .bind(new.active)
            .bind(now.unix_seconds()),
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

/// What `update` changes about `current`, one entry per setting.
fn changes(current: &CdnResource, update: &ResourceUpdate) -> Vec<Change> {
    let mut changes = Vec::new();
    if let Some(origin) = update.origin.as_ref().filter(|origin| **origin != current.origin) {
        changes.push(Change::OriginChanged { from: current.origin.clone(), to: origin.clone() });
    }
    if let Some(active) = update.active.filter(|active| *active != current.active) {
        changes.push(Change::ActiveSwitched { to: active });
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
            Change::OptionSet { option, .. }
            | Change::OptionDefaulted { option, .. }
            | Change::OptionNotEnabled { option, .. }
            | Change::OptionNotEnabledRemoved { option, .. } => {
                // The setting as written: a record's values are those in force, not the setting.
                next.options.set(*option, update.options[option].setting());
            }
            Change::Created { .. } => {}
        }
    }
    next.options_in_force = next.options.all_in_force(next.integration);
    let assignments: Vec<String> =
        option_columns().enumerate().map(|(n, column)| format!("{column} = ${}", n + 8)).collect();
    let sql = format!(
        "UPDATE cdn_resources SET origin = $1, active = $2, updated_at = $3, version = $4, {} \
         WHERE id = $5 AND account_id = $6 AND version = $7 RETURNING {}",
        assignments.join(", "),
        *COLUMNS
    );
    on_db!(db.reborrow(), |e| bind_options(
        sqlx::query_as::<_, ResourceRow>(&sql)
            .bind(next.origin.to_string())
            .bind(next.active)
            .bind(now.unix_seconds())
            .bind(version)
            .bind(current.id)
            .bind(actor.account_id)
            .bind(current.version),
        &next.options,
        &next.options_in_force
    )
    .fetch_one(e)
    .await)?
    .try_into()
}
