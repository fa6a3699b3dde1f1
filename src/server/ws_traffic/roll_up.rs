//! The hour and day rows, recomputed from the finer ones: each report writes its minute only
//! (a third of the rows it would write otherwise, measured by `make bench`).

use super::metric::WsMetric;
use super::period::Resolution;
use super::unix_ms;
use crate::error::AppError;
use crate::server::db::{Pool, on_db};
use std::time::{Duration, SystemTime};

/// How often the portal rolls up: the hour and day rows (the week's chart, the API's `1h` and
/// `1d`) trail the minutes by at most this long.
pub const ROLL_UP_EVERY: Duration = Duration::from_secs(60);

/// Recomputes, as of `now`, the rows of the current and the previous hour from their minutes,
/// then those of the current and the previous day from their hours. Until the next run those
/// rows may trail their minutes, so [`super::series`] reads those periods from the minutes. Each row is written whole
/// (a sum, or the largest for [`WsMetric::OpenPeak`]), so running it again, or after a restart,
/// gives the same rows; the previous period is done again so that one that ended between two
/// runs is complete.
pub async fn roll_up(pool: &Pool, now: SystemTime) -> Result<(), AppError> {
    let now_s = unix_ms(now).div_euclid(1_000);
    for (finer, coarser) in [(Resolution::Minute, Resolution::Hour), (Resolution::Hour, Resolution::Day)] {
        let from = recomputed_from(coarser, now_s);
        let step = coarser.seconds();
        let sql = format!(
            "INSERT INTO ws_traffic (resource_id, granularity, period_start, metric, value) \
             SELECT resource_id, {step}, period_start - period_start % {step}, metric, {combined} \
             FROM ws_traffic WHERE granularity = $1 AND period_start >= $2 \
             GROUP BY resource_id, period_start - period_start % {step}, metric \
             ON CONFLICT (resource_id, granularity, period_start, metric) DO UPDATE SET value = excluded.value",
            combined = WsMetric::combined_sql(),
        );
        on_db!(pool.db(), |e| sqlx::query(&sql).bind(finer.seconds()).bind(from).execute(e).await.map(|_| ()))?;
    }
    Ok(())
}

/// The start of the oldest period of `coarser` (an hour or a day) that [`roll_up`] still
/// recomputes at `now_s` (Unix seconds): the previous one. Rows before it are final; those from
/// it on may trail their minutes by up to [`ROLL_UP_EVERY`].
pub(super) fn recomputed_from(coarser: Resolution, now_s: i64) -> i64 {
    coarser.start_of(now_s) - coarser.seconds()
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
