//! Recording the edges' traffic reports: what grew since an edge's last report goes into the
//! minute it was received in. Reports that arrive while one is being written are written
//! together, in one transaction (group commit), each answered once it is committed.

use super::figures::{self, Figures};
use super::metric::WsMetric;
use super::period::Resolution;
use super::{ROWS_PER_STATEMENT, placeholders, unix_ms};
use crate::error::AppError;
use crate::server::db::{Pool, id_list, on_db};
use ::edge_feed::traffic::{MAX_RESOURCES_PER_REPORT, is_valid_boot};
use ::edge_feed::{TRAFFIC_FRESH_FOR, TrafficReport, WsCounter};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;
use tokio::sync::{mpsc, oneshot};

/// The most reports written in one transaction: ten edges' seconds of 1,000 resources each,
/// and a margin, so that one transaction never holds the write lock for long.
const REPORTS_PER_TRANSACTION: usize = 16;

/// Reports waiting for their transaction; the edges' requests beyond it wait to be queued.
const QUEUED_REPORTS: usize = 64;

/// Cumulative counts by counter, as the edge reported them.
type Counts = BTreeMap<WsCounter, u64>;

/// Records the edges' reports in the database of the pool it was made with, in a task of its
/// own that writes the reports queued meanwhile in one transaction: with ten edges reporting
/// 1,000 busy resources each, their growth of one resource lands in its minute's row once,
/// not ten times. Cloning it shares the task, which ends with the last clone.
#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::Sender<Queued>,
}

struct Queued {
    report: TrafficReport,
    now: SystemTime,
    recorded: oneshot::Sender<Result<(), AppError>>,
}

impl Recorder {
    /// Starts the writing task (on the current tokio runtime).
    pub fn new(pool: Pool) -> Self {
        let (queue, queued) = mpsc::channel(QUEUED_REPORTS);
        tokio::spawn(write_queued(pool, queued));
        Self { queue }
    }

    /// Records `report`, received at `now`, once its transaction has committed. `BadRequest`
    /// for a report that breaks the contract (see [`check`]), `Unavailable` when the database
    /// could not take it (nothing of it was written; the edge sends its figures again).
    pub async fn record(&self, report: TrafficReport, now: SystemTime) -> Result<(), AppError> {
        check(&report)?;
        let (recorded, answer) = oneshot::channel();
        // Gone only while the portal shuts down.
        self.queue.send(Queued { report, now, recorded }).await.map_err(|_| AppError::Unavailable)?;
        answer.await.map_err(|_| AppError::Unavailable)?
    }
}

/// Records `report`, received at `now`, in a transaction of its own: [`Recorder::record`]
/// without a queue, for the tests.
#[cfg(test)]
pub async fn record(pool: &Pool, report: TrafficReport, now: SystemTime) -> Result<(), AppError> {
    check(&report)?;
    record_all(pool, &[(report, now)]).await
}

/// `BadRequest` for a report that breaks the contract: a `boot` not as [`is_valid_boot`] says,
/// too many resources, an id twice or not positive. The caller has checked the edge's name.
fn check(report: &TrafficReport) -> Result<(), AppError> {
    if !is_valid_boot(&report.boot)
        || report.resources.len() > MAX_RESOURCES_PER_REPORT
        || report.resources.iter().any(|resource| resource.id <= 0)
        || report.resources.iter().map(|resource| resource.id).collect::<BTreeSet<_>>().len() != report.resources.len()
    {
        return Err(AppError::BadRequest);
    }
    Ok(())
}

/// The writing task: takes the reports queued, up to [`REPORTS_PER_TRANSACTION`], writes them in
/// one transaction, and answers each with its outcome; until every [`Recorder`] is gone.
async fn write_queued(pool: Pool, mut queued: mpsc::Receiver<Queued>) {
    let mut batch = Vec::with_capacity(REPORTS_PER_TRANSACTION);
    while queued.recv_many(&mut batch, REPORTS_PER_TRANSACTION).await > 0 {
        let (reports, answers): (Vec<_>, Vec<_>) =
            batch.drain(..).map(|queued| ((queued.report, queued.now), queued.recorded)).unzip();
        let outcome = record_all(&pool, &reports).await;
        for answer in answers {
            // An edge that stopped waiting sends its figures again: nothing to tell it.
            let _ = answer.send(outcome.clone());
        }
    }
}

/// Records `reports` (each with the time it was received), in their order, in one transaction.
/// An edge's reports take turns (a lock on `ws_edge_traffic`, across portal replicas), so that
/// two of them in flight at once never both count the same growth; within the transaction, a
/// report is measured against the one before it. Resources that no longer exist are skipped;
/// counter names the portal does not know are skipped.
pub(super) async fn record_all(pool: &Pool, reports: &[(TrafficReport, SystemTime)]) -> Result<(), AppError> {
    let ids: BTreeSet<i64> = reports.iter().flat_map(|(report, _)| report.resources.iter().map(|r| r.id)).collect();
    let Some(latest) = reports.iter().map(|(_, now)| *now).max().filter(|_| !ids.is_empty()) else {
        return Ok(());
    };
    let mut tx = pool.begin_exclusive("ws_edge_traffic").await?;
    let mut db = tx.db();
    let listed = id_list(ids.iter().copied());
    let existing: Vec<(i64,)> =
        on_db!(db.reborrow(), |e| sqlx::query_as(&format!("SELECT id FROM cdn_resources WHERE id IN ({listed})"))
            .fetch_all(e)
            .await)?;
    let existing: BTreeSet<i64> = existing.into_iter().map(|(id,)| id).collect();

    // The last figures recorded of each edge and resource of the batch, as the reports move them.
    let mut last: HashMap<(&str, i64), Last> = HashMap::new();
    let edges: BTreeSet<&str> = reports.iter().map(|(report, _)| report.edge.as_str()).collect();
    for edge in edges {
        let of_edge = id_list(
            reports
                .iter()
                .filter(|(report, _)| report.edge == edge)
                .flat_map(|(report, _)| report.resources.iter().map(|r| r.id)),
        );
        let rows: Vec<(i64, String, String)> = on_db!(db.reborrow(), |e| {
            sqlx::query_as(&format!(
            "SELECT resource_id, boot, counters FROM ws_edge_traffic WHERE edge_id = $1 AND resource_id IN ({of_edge})"
        ))
        .bind(edge)
        .fetch_all(e)
        .await
        })?;
        for (id, boot, counters) in rows {
            last.insert(
                (edge, id),
                Last { boot, open: 0, counts: parse_counts(&counters), reported_ms: 0, changed: false },
            );
        }
    }

    let minute = Resolution::Minute;
    let mut grown: BTreeMap<(i64, i64), Figures> = BTreeMap::new();
    for (report, now) in reports {
        let now_ms = unix_ms(*now);
        let minute_start = minute.start_of(now_ms.div_euclid(1_000));
        for resource in report.resources.iter().filter(|resource| existing.contains(&resource.id)) {
            let reported: Counts = resource
                .counters
                .iter()
                .filter_map(|(name, count)| WsCounter::from_name(name).map(|counter| (counter, *count)))
                .collect();
            let entry = last.entry((report.edge.as_str(), resource.id)).or_insert_with(|| Last::none(&report.boot));
            // Another boot's figures started again from zero: everything reported is new.
            if entry.boot != report.boot {
                *entry = Last::none(&report.boot);
            }
            let (kept, growth) = growth(&entry.counts, &reported);
            for (counter, count) in growth {
                grown.entry((resource.id, minute_start)).or_default().add(WsMetric::Counter(counter), count);
            }
            *entry = Last {
                boot: report.boot.clone(),
                open: resource.open,
                counts: kept,
                reported_ms: now_ms.max(entry.reported_ms),
                changed: true,
            };
        }
    }

    let edge_rows: Vec<(&(&str, i64), &Last)> = last.iter().filter(|(_, last)| last.changed).collect();
    for chunk in edge_rows.chunks(ROWS_PER_STATEMENT) {
        let values = placeholders(chunk.len(), 6);
        let sql = format!(
            "INSERT INTO ws_edge_traffic (edge_id, resource_id, boot, open_now, counters, reported_ms) VALUES {values} \
             ON CONFLICT (edge_id, resource_id) DO UPDATE SET boot = excluded.boot, open_now = excluded.open_now, \
             counters = excluded.counters, reported_ms = excluded.reported_ms"
        );
        on_db!(db.reborrow(), |e| {
            let mut query = sqlx::query(&sql);
            for ((edge, id), last) in chunk {
                query = query
                    .bind(*edge)
                    .bind(*id)
                    .bind(&last.boot)
                    .bind(i64::try_from(last.open).unwrap_or(i64::MAX))
                    .bind(counts_json(&last.counts))
                    .bind(last.reported_ms);
            }
            query.execute(e).await.map(|_| ())
        })?;
    }

    // What is open at once across the edges that report, for each resource of the batch, as of
    // its latest report: a peak seen in that report's minute.
    let latest_ms = unix_ms(latest);
    let fresh_since = latest_ms - TRAFFIC_FRESH_FOR.as_millis() as i64;
    let open: Vec<(i64, i64)> = on_db!(db.reborrow(), |e| sqlx::query_as(&format!(
        "SELECT resource_id, CAST(SUM(open_now) AS BIGINT) FROM ws_edge_traffic \
         WHERE resource_id IN ({listed}) AND reported_ms >= $1 GROUP BY resource_id"
    ))
    .bind(fresh_since)
    .fetch_all(e)
    .await)?;
    let latest_minute = minute.start_of(latest_ms.div_euclid(1_000));
    for (id, open) in open.into_iter().filter(|(_, open)| *open > 0) {
        grown.entry((id, latest_minute)).or_default().add(WsMetric::OpenPeak, open as u64);
    }

    // Minutes only: the hours and days are rolled up from them ([`super::roll_up`]). A minute
    // that has a row already gets it merged with what grew, here rather than in SQL, where
    // summing two JSON objects key by key differs in each dialect; the lock taken above keeps
    // every other writer of minutes out meanwhile.
    let minutes = id_list(grown.keys().map(|(_, start)| *start).collect::<BTreeSet<_>>());
    let stored: Vec<(i64, i64, String)> = on_db!(db.reborrow(), |e| sqlx::query_as(&format!(
        "SELECT resource_id, period_start, figures FROM ws_traffic \
         WHERE granularity = $1 AND period_start IN ({minutes}) AND resource_id IN ({listed})"
    ))
    .bind(minute.seconds())
    .fetch_all(e)
    .await)?;
    for (id, start, figures) in stored {
        if let Some(grown) = grown.get_mut(&(id, start)) {
            grown.merge(&Figures::from_json(&figures));
        }
    }
    let rows: Vec<((i64, i64), Figures)> = grown.into_iter().collect();
    figures::write(db.reborrow(), minute, &rows).await?;
    tx.commit().await?;
    Ok(())
}

/// The figures of one edge and resource: as last recorded, then as the batch's reports move them.
struct Last {
    boot: String,
    open: u64,
    counts: Counts,
    reported_ms: i64,
    /// Whether a report of the batch moved them, so that they are written back.
    changed: bool,
}

impl Last {
    /// Nothing recorded yet of `boot`.
    fn none(boot: &str) -> Last {
        Last { boot: boot.to_owned(), open: 0, counts: Counts::new(), reported_ms: 0, changed: false }
    }
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
    }
}
