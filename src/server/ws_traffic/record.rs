//! Recording an edge's traffic report: what grew since the edge's last report goes into the
//! minute of now, in one transaction.

use super::metric::WsMetric;
use super::period::Resolution;
use super::unix_ms;
use crate::error::AppError;
use crate::server::db::{Pool, id_list, on_db, to_completion};
use ::edge_feed::traffic::{MAX_RESOURCES_PER_REPORT, is_valid_boot};
use ::edge_feed::{TRAFFIC_FRESH_FOR, TrafficReport, WsCounter};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

/// Rows per statement: 5 values each, well under SQLite's 32,766 bound parameters and
/// PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Cumulative counts by counter, as the edge reported them.
type Counts = BTreeMap<WsCounter, u64>;

/// Records `report`, received at `now`. An edge's reports take turns (a lock on
/// `ws_edge_traffic`), so that two of its reports in flight at once never both count the same
/// growth. Resources that no longer exist are skipped; counter names the portal does not know
/// are skipped. `BadRequest` for a report that breaks the contract (a `boot` not as
/// [`is_valid_boot`] says, too many resources, an id twice or not positive); the caller has
/// checked the edge's name.
pub async fn record(pool: &Pool, report: TrafficReport, now: SystemTime) -> Result<(), AppError> {
    if !is_valid_boot(&report.boot)
        || report.resources.len() > MAX_RESOURCES_PER_REPORT
        || report.resources.iter().any(|resource| resource.id <= 0)
        || report.resources.iter().map(|resource| resource.id).collect::<BTreeSet<_>>().len() != report.resources.len()
    {
        return Err(AppError::BadRequest);
    }
    let pool = pool.clone();
    to_completion(async move { record_in(&pool, &report, now).await }).await
}

async fn record_in(pool: &Pool, report: &TrafficReport, now: SystemTime) -> Result<(), AppError> {
    let now_ms = unix_ms(now);
    let now_s = now_ms.div_euclid(1_000);
    if report.resources.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin_exclusive("ws_edge_traffic").await?;
    let mut db = tx.db();
    let listed = id_list(report.resources.iter().map(|resource| resource.id));
    let existing: Vec<(i64,)> =
        on_db!(db.reborrow(), |e| sqlx::query_as(&format!("SELECT id FROM cdn_resources WHERE id IN ({listed})"))
            .fetch_all(e)
            .await)?;
    let existing: BTreeSet<i64> = existing.into_iter().map(|(id,)| id).collect();
    let last: Vec<(i64, String, String)> = on_db!(db.reborrow(), |e| sqlx::query_as(&format!(
        "SELECT resource_id, boot, counters FROM ws_edge_traffic WHERE edge_id = $1 AND resource_id IN ({listed})"
    ))
    .bind(&report.edge)
    .fetch_all(e)
    .await)?;
    let last: HashMap<i64, (String, String)> =
        last.into_iter().map(|(id, boot, counters)| (id, (boot, counters))).collect();

    let mut edge_rows = Vec::new();
    let mut grown: BTreeMap<(i64, WsMetric), u64> = BTreeMap::new();
    for resource in report.resources.iter().filter(|resource| existing.contains(&resource.id)) {
        let reported: Counts = resource
            .counters
            .iter()
            .filter_map(|(name, count)| WsCounter::from_name(name).map(|counter| (counter, *count)))
            .collect();
        // Another boot's figures started again from zero: everything reported is new.
        let before = match last.get(&resource.id) {
            Some((boot, counters)) if *boot == report.boot => parse_counts(counters),
            _ => Counts::new(),
        };
        let (kept, growth) = growth(&before, &reported);
        for (counter, count) in growth {
            grown.insert((resource.id, WsMetric::Counter(counter)), count);
        }
        edge_rows.push((resource.id, resource.open, counts_json(&kept)));
    }

    for chunk in edge_rows.chunks(ROWS_PER_STATEMENT) {
        let values = placeholders(chunk.len(), 6);
        let sql = format!(
            "INSERT INTO ws_edge_traffic (edge_id, resource_id, boot, open_now, counters, reported_ms) VALUES {values} \
             ON CONFLICT (edge_id, resource_id) DO UPDATE SET boot = excluded.boot, open_now = excluded.open_now, \
             counters = excluded.counters, reported_ms = excluded.reported_ms"
        );
        on_db!(db.reborrow(), |e| {
            let mut query = sqlx::query(&sql);
            for (id, open, counters) in chunk {
                query = query
                    .bind(&report.edge)
                    .bind(*id)
                    .bind(&report.boot)
                    .bind(i64::try_from(*open).unwrap_or(i64::MAX))
                    .bind(counters)
                    .bind(now_ms);
            }
            query.execute(e).await.map(|_| ())
        })?;
    }

    // What is open now across the edges that report, for each resource of this report.
    let fresh_since = now_ms - TRAFFIC_FRESH_FOR.as_millis() as i64;
    let open: Vec<(i64, i64)> = on_db!(db.reborrow(), |e| sqlx::query_as(&format!(
        "SELECT resource_id, CAST(SUM(open_now) AS BIGINT) FROM ws_edge_traffic \
         WHERE resource_id IN ({listed}) AND reported_ms >= $1 GROUP BY resource_id"
    ))
    .bind(fresh_since)
    .fetch_all(e)
    .await)?;
    for (id, open) in open.into_iter().filter(|(_, open)| *open > 0) {
        grown.insert((id, WsMetric::OpenPeak), open as u64);
    }

    // Minutes only: the hours and days are rolled up from them ([`super::roll_up`]), which cut
    // the rows each report writes from 19 to 7 per busy resource.
    let minute = Resolution::Minute;
    let rows: Vec<(i64, i64, i64, &str, i64)> = grown
        .iter()
        .map(|((id, metric), value)| {
            (*id, minute.seconds(), minute.start_of(now_s), metric.name(), i64::try_from(*value).unwrap_or(i64::MAX))
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = placeholders(chunk.len(), 5);
        let sql = format!(
            "INSERT INTO ws_traffic (resource_id, granularity, period_start, metric, value) VALUES {values} \
             ON CONFLICT (resource_id, granularity, period_start, metric) DO UPDATE SET value = CASE \
             WHEN ws_traffic.metric <> '{peak}' THEN ws_traffic.value + excluded.value \
             WHEN excluded.value > ws_traffic.value THEN excluded.value ELSE ws_traffic.value END",
            peak = WsMetric::OPEN_PEAK,
        );
        on_db!(db.reborrow(), |e| {
            let mut query = sqlx::query(&sql);
            for (id, granularity, start, metric, value) in chunk {
                query = query.bind(*id).bind(*granularity).bind(*start).bind(metric).bind(*value);
            }
            query.execute(e).await.map(|_| ())
        })?;
    }
    tx.commit().await?;
    Ok(())
}

/// The figures to keep for the next report, and how much each counter grew. Counters of one boot
/// only grow: a count below the one kept is a report that arrived late (sent before the one
/// recorded), which adds nothing and lowers nothing.
fn growth(before: &Counts, reported: &Counts) -> (Counts, Counts) {
    let mut kept = before.clone();
    let mut grown = Counts::new();
    for (&counter, &count) in reported {
        let was = before.get(&counter).copied().unwrap_or(0);
        if count > was {
            grown.insert(counter, count - was);
            kept.insert(counter, count);
        }
    }
    (kept, grown)
}

/// `($1, $2, …), (…)`: `rows` rows of `columns` parameters each.
fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let row = (1..=columns).map(|column| format!("${}", row * columns + column)).collect::<Vec<_>>();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_counts(json: &str) -> Counts {
    serde_json::from_str::<BTreeMap<String, u64>>(json)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, count)| WsCounter::from_name(&name).map(|counter| (counter, count)))
        .collect()
}

fn counts_json(counts: &Counts) -> String {
    let named: BTreeMap<String, u64> =
        counts.iter().map(|(counter, count)| (counter.name().to_owned(), *count)).collect();
    serde_json::to_string(&named).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::edge_feed::CloseReason;

    #[test]
    fn only_growth_counts_and_a_late_report_lowers_nothing() {
        let before = Counts::from([(WsCounter::Accepted, 5), (WsCounter::BytesToOrigin, 100)]);
        let reported = Counts::from([
            (WsCounter::Accepted, 7),
            (WsCounter::BytesToOrigin, 90),
            (WsCounter::Closed(CloseReason::Idle), 1),
        ]);
        let (kept, grown) = growth(&before, &reported);
        assert_eq!(grown, Counts::from([(WsCounter::Accepted, 2), (WsCounter::Closed(CloseReason::Idle), 1)]));
        assert_eq!(
            kept,
            Counts::from([
                (WsCounter::Accepted, 7),
                (WsCounter::BytesToOrigin, 100),
                (WsCounter::Closed(CloseReason::Idle), 1)
            ])
        );
        assert_eq!(parse_counts(&counts_json(&kept)), kept);
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
