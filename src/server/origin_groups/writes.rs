//! Creating, changing and deleting origin groups. Each write takes the write lock first
//! ([`Pool::begin_write`]) and records what it changed in the same transaction; while it holds
//! the lock no other writer runs, so a name found free stays free until the commit.

use super::history::{record, values};
use super::input::{GroupSettings, GroupUpdate};
use super::rows::{COLUMNS, GroupRow, encode_cases, encode_sources, get_in, named, users};
use crate::domain::{
    MAX_ORIGIN_GROUP_NAME_CHARS, NextUpstreamPolicy, Origin, OriginGroupName, OriginSources, Timestamp,
};
use crate::error::AppError;
use crate::model::{OriginGroup, OriginGroupRef};
use crate::server::db::{Db, Pool, on_db, to_completion};
use crate::server::resources::{Actor, OriginChoice};

/// The message for a group name the account already has.
fn name_taken_message(name: &OriginGroupName) -> String {
    format!("You already have an origin group named “{name}”. Choose another name.")
}

/// Creates a group for the actor's account, with the record of its settings; a name the account
/// already has is [`AppError::Invalid`] on `name`.
pub async fn create(pool: &Pool, actor: &Actor, settings: &GroupSettings) -> Result<OriginGroup, AppError> {
    let (pool, actor, settings) = (pool.clone(), actor.clone(), settings.clone());
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        if named(db.reborrow(), actor.account_id, &settings.name).await?.is_some() {
            return Err(AppError::invalid_field("name", name_taken_message(&settings.name)));
        }
        let created = insert(&mut db, &actor, &settings, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(created)
    })
    .await
}

/// Inserts a group whose name the caller found free, with the record of each setting. The new
/// row takes the id after the largest ever given (`origin_group_ids`, migration 0009).
async fn insert(
    db: &mut Db<'_>,
    actor: &Actor,
    settings: &GroupSettings,
    now: Timestamp,
) -> Result<OriginGroup, AppError> {
    let sql = format!(
        "INSERT INTO origin_groups (id, account_id, name, sources, use_next, proxy_next_upstream, version, \
         created_at, updated_at) \
         VALUES ((SELECT last_id + 1 FROM origin_group_ids), $1, $2, $3, $4, $5, 1, $6, $6) RETURNING {COLUMNS}"
    );
    let inserted = on_db!(db.reborrow(), |e| sqlx::query_as::<_, GroupRow>(&sql)
        .bind(actor.account_id)
        .bind(settings.name.as_str())
        .bind(encode_sources(&settings.sources))
        .bind(settings.next_upstream.use_next())
        .bind(encode_cases(settings.next_upstream.cases()))
        .bind(now.unix_seconds())
        .fetch_one(e)
        .await);
    let created: OriginGroup = match inserted {
        Ok(row) => row.try_into()?,
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(AppError::invalid_field("name", name_taken_message(&settings.name)));
        }
        Err(error) => return Err(error.into()),
    };
    for (setting, value) in values(created.name.as_str(), &created.sources, &created.next_upstream) {
        record(db.reborrow(), actor, &created, now, setting, None, &value).await?;
    }
    Ok(created)
}

/// The group a resource made with `origin` gets: a group of that origin alone named after it
/// (as Gcore does). A group of the account with that name that is exactly that one enabled
/// primary origin is reused; a name taken by another group gets ` (2)`, ` (3)`… after it. Run
/// inside the write transaction that creates or changes the resource.
pub(crate) async fn group_of_one(
    db: &mut Db<'_>,
    actor: &Actor,
    origin: &Origin,
    now: Timestamp,
) -> Result<OriginGroup, AppError> {
    let base = origin.to_string();
    let alone = OriginSources::one(origin.clone());
    for n in 1.. {
        let suffix = if n == 1 { String::new() } else { format!(" ({n})") };
        let room = MAX_ORIGIN_GROUP_NAME_CHARS - suffix.chars().count();
        let text: String = base.chars().take(room).chain(suffix.chars()).collect();
        let name =
            OriginGroupName::parse(&text).map_err(|error| AppError::internal("a group name from an origin", error))?;
        match named(db.reborrow(), actor.account_id, &name).await? {
            Some(group) if group.sources == alone => return Ok(group),
            Some(_) => continue,
            None => return insert(db, actor, &GroupSettings::of_one(name, origin.clone()), now).await,
        }
    }
    unreachable!("some name is free: an account has finitely many groups")
}

/// The group a resource's `choice` names: an existing group of the actor's account, or the
/// group of one its origin makes ([`group_of_one`]). Another account's group, or none, is
/// [`AppError::Invalid`] on `origin_group`, as a form's field.
pub(crate) async fn resource_group(
    db: &mut Db<'_>,
    actor: &Actor,
    choice: &OriginChoice,
    now: Timestamp,
) -> Result<OriginGroupRef, AppError> {
    match choice {
        OriginChoice::Origin(origin) => Ok(group_of_one(db, actor, origin, now).await?.reference()),
        OriginChoice::Group(id) => match get_in(db.reborrow(), actor.account_id, *id).await {
            Ok(group) => Ok(group.reference()),
            Err(AppError::NotFound) => Err(AppError::invalid_field(
                "origin_group",
                format!("There is no origin group {id} in your account. Choose one of your origin groups."),
            )),
            Err(error) => Err(error),
        },
    }
}

/// The group as stored, or [`AppError::GroupConflict`] with it when it is no longer at
/// `expected_version` (any version when `None`).
async fn current_at(
    db: &mut Db<'_>,
    account_id: i64,
    id: i64,
    expected_version: Option<i64>,
) -> Result<OriginGroup, AppError> {
    let current = get_in(db.reborrow(), account_id, id).await?;
    match expected_version {
        Some(version) if version != current.version => Err(AppError::GroupConflict(Box::new(current))),
        _ => Ok(current),
    }
}

/// Changes the settings `update` names, if the group is still at `expected_version` (any
/// version when `None`). One new version covers the whole update, with a record per setting that
/// changed; an update that changes nothing writes nothing. `use_next` without a case (given or
/// stored) is [`AppError::Invalid`] on `proxy_next_upstream`, a name the account's other group
/// has on `name`. A change of origins or cases reaches the edges for every resource using the
/// group (migration 0009's trigger).
pub async fn update(
    pool: &Pool,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    update: &GroupUpdate,
) -> Result<OriginGroup, AppError> {
    let (pool, actor, update) = (pool.clone(), actor.clone(), update.clone());
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        let current = current_at(&mut db, actor.account_id, id, expected_version).await?;
        let saved = apply(&mut db, &actor, current, &update, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

async fn apply(
    db: &mut Db<'_>,
    actor: &Actor,
    current: OriginGroup,
    update: &GroupUpdate,
    now: Timestamp,
) -> Result<OriginGroup, AppError> {
    let name = update.name.clone().unwrap_or_else(|| current.name.clone());
    let sources = update.sources.clone().unwrap_or_else(|| current.sources.clone());
    let policy = NextUpstreamPolicy::new(
        update.use_next.unwrap_or(current.next_upstream.use_next()),
        update.proxy_next_upstream.clone().unwrap_or_else(|| current.next_upstream.cases().to_vec()),
    )
    .map_err(|error| AppError::invalid_field("proxy_next_upstream", error))?;
    let before = values(current.name.as_str(), &current.sources, &current.next_upstream);
    let after = values(name.as_str(), &sources, &policy);
    let changed: Vec<_> = before.into_iter().zip(after).filter(|((_, old), (_, new))| old != new).collect();
    if changed.is_empty() {
        return Ok(current);
    }
    if name != current.name && named(db.reborrow(), actor.account_id, &name).await?.is_some() {
        return Err(AppError::invalid_field("name", name_taken_message(&name)));
    }
    let next = OriginGroup {
        name,
        sources,
        next_upstream: policy,
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    for ((setting, old), (_, new)) in &changed {
        record(db.reborrow(), actor, &next, now, *setting, Some(old), new).await?;
    }
    let sql = format!(
        "UPDATE origin_groups SET name = $1, sources = $2, use_next = $3, proxy_next_upstream = $4, \
         updated_at = $5, version = $6 WHERE id = $7 AND account_id = $8 AND version = $9 RETURNING {COLUMNS}"
    );
    on_db!(db.reborrow(), |e| sqlx::query_as::<_, GroupRow>(&sql)
        .bind(next.name.as_str())
        .bind(encode_sources(&next.sources))
        .bind(next.next_upstream.use_next())
        .bind(encode_cases(next.next_upstream.cases()))
        .bind(now.unix_seconds())
        .bind(next.version)
        .bind(current.id)
        .bind(actor.account_id)
        .bind(current.version)
        .fetch_one(e)
        .await)?
    .try_into()
}

/// Deletes the account's group, if it is still at `expected_version` (any version when
/// `None`) and no resource uses it: [`AppError::GroupInUse`] naming those that do otherwise
/// (the database refuses it too: `cdn_resources.origin_group_id`'s key). Its history goes with it.
pub async fn delete(pool: &Pool, account_id: i64, id: i64, expected_version: Option<i64>) -> Result<(), AppError> {
    let pool = pool.clone();
    to_completion(async move {
        let mut tx = pool.begin_write().await?;
        let mut db = tx.db();
        current_at(&mut db, account_id, id, expected_version).await?;
        let used_by = users(db.reborrow(), id).await?;
        if !used_by.is_empty() {
            return Err(AppError::GroupInUse(used_by.into_iter().map(|user| user.custom_domain).collect()));
        }
        on_db!(db.reborrow(), |e| sqlx::query("DELETE FROM origin_groups WHERE id = $1 AND account_id = $2")
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
