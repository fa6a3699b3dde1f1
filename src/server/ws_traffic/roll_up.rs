//! The hour and day rows, rolled up from the finer ones once each period has ended: each report
//! writes its minute only (a third of the rows it would write otherwise, measured by `make
//! bench`), and each period is grouped once, where regrouping the last two hours of every
//! resource each minute held SQLite's one write lock for ~1 M rows a minute with 1,000 busy
//! resources (migration 0013).

use super::figures::{self, Figures};
use super::period::Resolution;
use super::unix_ms;
use crate::error::AppError;
use crate::server::db::{Db, Pool, on_db};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// How often the portal rolls up: an hour's row is written at most this long after
/// [`SETTLED_AFTER`] has passed since the hour ended; until then [`super::series`] reads it from
/// its minutes, so nothing shown waits for it.
pub const ROLL_UP_EVERY: Duration = Duration::from_secs(60);

/// How long after a period ends its finer rows are final. A report adds to the minute it was
/// received in, and commits within the portal's connection and lock waits (5 s each,
/// `server::db`) or fails; a minute is far past both.
const SETTLED_AFTER: i64 = 60;

/// The mark of `coarser`'s rolled-up periods, as SQL over `ws_roll_up`: every period before
/// it has its final row; from it on, its finer rows answer. With none rolled up yet, 0: no
/// report is older than 1970.
pub(super) fn rolled_up_before_sql(coarser: Resolution) -> String {
    format!("(SELECT COALESCE(MAX(rolled_up_before), 0) FROM ws_roll_up WHERE granularity = {})", coarser.seconds())
}

/// Rolls up, as of `now`, each hour that ended at least [`SETTLED_AFTER`] ago and is not rolled
/// up yet, from its minutes; then each day whose hours all are, from its hours; each period in a
/// transaction that also moves its mark (migration 0013) past it. Each row is written whole, so
/// a period done twice (two replicas at once) gets the same row. After a portal was stopped for
/// a while, the first run does every period missed whose finer rows are still kept.
pub async fn roll_up(pool: &Pool, now: SystemTime) -> Result<(), AppError> {
    let settled = unix_ms(now).div_euclid(1_000) - SETTLED_AFTER;
    // The days need their hours: a day is done once the hours' mark has passed its end.
    let mut finer_before = Resolution::Minute.start_of(settled);
    for (finer, coarser) in Resolution::ALL.into_iter().filter_map(|finer| Some((finer, finer.coarser()?))) {
        let ready_before = coarser.start_of(settled.min(finer_before));
        // From the coarser period of the next finer row not rolled up yet, so that periods
        // without one (a portal stopped for weeks) cost nothing.
        while let Some(period) = next_to_roll_up(pool, finer, coarser).await?.filter(|start| *start < ready_before) {
            roll_up_period(pool, finer, coarser, period).await?;
        }
        // Moved even when there was nothing to roll up, so that rows older than every finer one
        // kept (hours of the portal before migration 0013) are read as final.
        let mut tx = pool.begin_exclusive("ws_roll_up").await?;
        move_mark(tx.db(), coarser, ready_before).await?;
        tx.commit().await?;
        finer_before = ready_before;
    }
    Ok(())
}

/// The start of the `coarser` period that holds the first `finer` row from its mark on (from
/// the first row kept, with no mark yet); `None` with no such row.
async fn next_to_roll_up(pool: &Pool, finer: Resolution, coarser: Resolution) -> Result<Option<i64>, AppError> {
    let (first,): (Option<i64>,) = on_db!(pool.db(), |e| sqlx::query_as(&format!(
        "SELECT MIN(period_start) FROM ws_traffic WHERE granularity = $1 AND period_start >= {}",
        rolled_up_before_sql(coarser)
    ))
    .bind(finer.seconds())
    .fetch_one(e)
    .await)?;
    Ok(first.map(|start| coarser.start_of(start)))
}

/// Writes the `coarser` rows of the period starting at `period` from its `finer` rows, and moves
/// the mark past it. The finer rows are read before the write lock is taken: they are settled,
/// and no report writes them any more.
async fn roll_up_period(pool: &Pool, finer: Resolution, coarser: Resolution, period: i64) -> Result<(), AppError> {
    let rows: Vec<(i64, String)> = on_db!(pool.db(), |e| {
        sqlx::query_as(
        "SELECT resource_id, figures FROM ws_traffic WHERE granularity = $1 AND period_start >= $2 AND period_start < $3"
    )
    .bind(finer.seconds())
    .bind(period)
    .bind(period + coarser.seconds())
    .fetch_all(e)
    .await
    })?;
    let mut by_resource: BTreeMap<i64, Figures> = BTreeMap::new();
    for (id, figures) in rows {
        by_resource.entry(id).or_default().merge(&Figures::from_json(&figures));
    }
    let rows: Vec<((i64, i64), Figures)> =
        by_resource.into_iter().map(|(id, figures)| ((id, period), figures)).collect();
    let mut tx = pool.begin_exclusive("ws_roll_up").await?;
    let mut db = tx.db();
    figures::write(db.reborrow(), coarser, &rows).await?;
    move_mark(db.reborrow(), coarser, period + coarser.seconds()).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves `coarser`'s mark to `before`, never back (another replica may have moved it further).
async fn move_mark(db: Db<'_>, coarser: Resolution, before: i64) -> Result<(), AppError> {
    on_db!(db, |e| sqlx::query(
        "INSERT INTO ws_roll_up (granularity, rolled_up_before) VALUES ($1, $2) \
         ON CONFLICT (granularity) DO UPDATE SET rolled_up_before = CASE \
         WHEN excluded.rolled_up_before > ws_roll_up.rolled_up_before THEN excluded.rolled_up_before \
         ELSE ws_roll_up.rolled_up_before END"
    )
    .bind(coarser.seconds())
    .bind(before)
    .execute(e)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Rolls up every [`ROLL_UP_EVERY`] for as long as the portal runs; a failure (the database is
/// down) is logged and the next round tries again.
pub async fn keep_rolling_up(pool: Pool) {
    let mut rounds = tokio::time::interval(ROLL_UP_EVERY);
    loop {
        rounds.tick().await;
        if let Err(error) = roll_up(&pool, SystemTime::now()).await {
            tracing::warn!(%error, "could not roll up WebSocket traffic; trying again next minute");
        }
    }
}
