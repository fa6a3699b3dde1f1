//! The hour and day rows, rolled up from the finer ones once each period has ended: each report
//! writes its minute only (a third of the rows it would write otherwise, measured by `make
//! bench`), and each period is grouped once, where regrouping the last two hours of every
//! resource each minute held SQLite's one write lock for ~1 M rows a minute with 1,000 busy
//! resources (migration 0013).

use super::metric::WsMetric;
use super::period::Resolution;
use super::unix_ms;
use crate::error::AppError;
use crate::server::db::{Pool, on_db};
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
/// up yet, from its minutes; then each day whose hours all are, from its hours; and moves the
/// marks of migration 0013 past them, in the same transaction. Each row is written whole (a sum,
/// or the largest for [`WsMetric::OpenPeak`]), so a period done twice (two replicas at once)
/// gets the same row. After a portal was stopped for a while, the first run does every period
/// missed whose finer rows are still kept.
pub async fn roll_up(pool: &Pool, now: SystemTime) -> Result<(), AppError> {
    let settled = unix_ms(now).div_euclid(1_000) - SETTLED_AFTER;
    // The days need their hours: a day is done once the hours' mark has passed its end.
    let mut finer_before = Resolution::Minute.start_of(settled);
    for (finer, coarser) in Resolution::ALL.into_iter().filter_map(|finer| Some((finer, finer.coarser()?))) {
        let ready_before = coarser.start_of(settled.min(finer_before));
        let step = coarser.seconds();
        let mut tx = pool.begin_exclusive("ws_roll_up").await?;
        let mut db = tx.db();
        // Without a mark yet, from the oldest finer row kept.
        let (from,): (Option<i64>,) = on_db!(db.reborrow(), |e| sqlx::query_as(
            "SELECT COALESCE((SELECT rolled_up_before FROM ws_roll_up WHERE granularity = $1), \
             (SELECT MIN(period_start) - MIN(period_start) % $1 FROM ws_traffic WHERE granularity = $2))"
        )
        .bind(step)
        .bind(finer.seconds())
        .fetch_one(e)
        .await)?;
        let from = from.unwrap_or(ready_before);
        if from < ready_before {
            let sql = format!(
                "INSERT INTO ws_traffic (resource_id, granularity, period_start, metric, value) \
                 SELECT resource_id, {step}, period_start - period_start % {step}, metric, {combined} \
                 FROM ws_traffic WHERE granularity = $1 AND period_start >= $2 AND period_start < $3 \
                 GROUP BY resource_id, period_start - period_start % {step}, metric \
                 ON CONFLICT (resource_id, granularity, period_start, metric) DO UPDATE SET value = excluded.value",
                combined = WsMetric::combined_sql(),
            );
            on_db!(db.reborrow(), |e| sqlx::query(&sql)
                .bind(finer.seconds())
                .bind(from)
                .bind(ready_before)
                .execute(e)
                .await
                .map(|_| ()))?;
        }
        // Written even when there was nothing to roll up, so that rows older than every finer
        // one kept (hours of the portal before migration 0013) are read as final.
        on_db!(db.reborrow(), |e| sqlx::query(
            "INSERT INTO ws_roll_up (granularity, rolled_up_before) VALUES ($1, $2) \
             ON CONFLICT (granularity) DO UPDATE SET rolled_up_before = CASE \
             WHEN excluded.rolled_up_before > ws_roll_up.rolled_up_before THEN excluded.rolled_up_before \
             ELSE ws_roll_up.rolled_up_before END"
        )
        .bind(step)
        .bind(from.max(ready_before))
        .execute(e)
        .await
        .map(|_| ()))?;
        tx.commit().await?;
        finer_before = from.max(ready_before);
    }
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
