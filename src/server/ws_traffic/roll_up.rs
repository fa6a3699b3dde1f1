//! The hour and day rows, recomputed from the finer ones: each report writes its minute only
//! (a third of the rows it would write otherwise, measured by `make bench`).

use super::metric::WsMetric;
use super::period::Resolution;
use super::unix_ms;
use crate::error::AppError;
use crate::server::db::{Pool, id_list, on_db};
use std::time::{Duration, SystemTime};

/// How often the portal rolls up: the hour and day rows (the week's chart, the API's `1h` and
/// `1d`) trail the minutes by at most this long.
pub const ROLL_UP_EVERY: Duration = Duration::from_secs(60);

/// Recomputes, as of `now`, the rows of the current and the previous hour from their minutes,
/// then those of the current and the previous day from their hours. Each row is written whole
/// (a sum, or the largest for [`WsMetric::OpenPeak`]), so running it again, or after a restart,
/// gives the same rows; the previous period is done again so that one that ended between two
/// runs is complete.
pub async fn roll_up(pool: &Pool, now: SystemTime) -> Result<(), AppError> {
    roll_up_in(pool, now, None).await
}

/// [`roll_up`] for `resource_ids` alone: before their hours or days are read, so that those are
/// as current as their minutes.
pub async fn roll_up_for(pool: &Pool, resource_ids: &[i64], now: SystemTime) -> Result<(), AppError> {
    if resource_ids.is_empty() {
        return Ok(());
    }
    roll_up_in(pool, now, Some(resource_ids)).await
}

async fn roll_up_in(pool: &Pool, now: SystemTime, resource_ids: Option<&[i64]>) -> Result<(), AppError> {
    let now_s = unix_ms(now).div_euclid(1_000);
    let only =
        resource_ids.map_or(String::new(), |ids| format!(" AND resource_id IN ({})", id_list(ids.iter().copied())));
    for (finer, coarser) in [(Resolution::Minute, Resolution::Hour), (Resolution::Hour, Resolution::Day)] {
        let from = coarser.start_of(now_s) - coarser.seconds();
        let step = coarser.seconds();
        let sql = format!(
            "INSERT INTO ws_traffic (resource_id, granularity, period_start, metric, value) \
             SELECT resource_id, {step}, period_start - period_start % {step}, metric, \
             CAST(CASE WHEN metric = '{peak}' THEN MAX(value) ELSE SUM(value) END AS BIGINT) \
             FROM ws_traffic WHERE granularity = $1 AND period_start >= $2{only} \
             GROUP BY resource_id, period_start - period_start % {step}, metric \
             ON CONFLICT (resource_id, granularity, period_start, metric) DO UPDATE SET value = excluded.value",
            peak = WsMetric::OPEN_PEAK,
        );
        on_db!(pool.db(), |e| sqlx::query(&sql).bind(finer.seconds()).bind(from).execute(e).await.map(|_| ()))?;
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
