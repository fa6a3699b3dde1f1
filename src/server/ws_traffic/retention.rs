//! Deleting what is past retention ([`Resolution::retention`]), so that the database stays
//! bounded however long the portal runs. The portal's housekeeping calls [`prune`] every few
//! minutes (`server::app`).

use super::period::Resolution;
use super::roll_up::rolled_up_before_sql;
use super::unix_ms;
use crate::error::AppError;
use crate::server::db::{Pool, on_db};
use std::time::SystemTime;

/// Deletes, at `now`, each row of `ws_traffic` whose period started longer ago than its
/// resolution is kept, and that is rolled up into the next coarser one (a portal stopped for
/// days rolls them up first); the number deleted. `ws_edge_traffic` is not pruned: it holds one row
/// per edge and resource (gone with the resource), the baseline that keeps a late report from
/// counting twice.
pub async fn prune(pool: &Pool, now: SystemTime) -> Result<u64, AppError> {
    let now_s = unix_ms(now).div_euclid(1_000);
    let mut deleted = 0;
    for resolution in Resolution::ALL {
        let oldest_kept = now_s - resolution.retention().as_secs() as i64;
        let rolled_up =
            resolution.coarser().map(|coarser| format!("AND period_start < {}", rolled_up_before_sql(coarser)));
        let sql = format!(
            "DELETE FROM ws_traffic WHERE granularity = $1 AND period_start < $2 {}",
            rolled_up.unwrap_or_default()
        );
        deleted += on_db!(pool.db(), |e| sqlx::query(&sql)
            .bind(resolution.seconds())
            .bind(oldest_kept)
            .execute(e)
            .await
            .map(|done| done.rows_affected()))?;
    }
    Ok(deleted)
}
