//! Recording, reading and pruning on a fresh database each, with a clock the test sets.

use super::*;
use crate::domain::{EmailAddress, Integration, Timestamp};
use crate::error::AppError;
use crate::server::accounts;
use crate::server::db::{Pool, on_db, testing::fresh_database};
use crate::server::resources::{self, Actor, NewResource};
use ::edge_feed::{CloseReason, ResourceTraffic, TrafficReport, WsCounter};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A moment on a minute's boundary, far from the epoch: 2026-11-30 00:00:00 UTC.
const T0: i64 = 1_795_996_800;

fn at(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs((T0 + seconds) as u64)
}

async fn resource(pool: &Pool, domain: &str) -> i64 {
    let email = EmailAddress::parse(&format!("owner@{domain}")).unwrap();
    let account = accounts::insert(pool.db(), &email, "hash", Timestamp::now()).await.unwrap().unwrap().id;
    let new = NewResource::parse(domain, "127.0.0.1:8090", Some(Integration::EntireWebsite.as_str())).unwrap();
    resources::create(pool, &Actor::portal(account, None), &new).await.unwrap().id
}

/// A resource's figures in a report: its id, its open connections, and its counters.
type Figures<'a> = (i64, u64, &'a [(WsCounter, u64)]);

fn report(edge: &str, boot: &str, resources: &[Figures]) -> TrafficReport {
    TrafficReport {
        edge: edge.into(),
        boot: boot.into(),
        resources: resources
            .iter()
            .map(|(id, open, counters)| ResourceTraffic {
                id: *id,
                open: *open,
                counters: counters.iter().map(|(counter, count)| (counter.name().to_owned(), *count)).collect(),
            })
            .collect(),
    }
}

async fn minutes(pool: &Pool, id: i64, metric: WsMetric, from: i64, to: i64) -> Vec<u64> {
    let range = Range { from: T0 + from, to: T0 + to, granularity: Granularity::OneMinute };
    let series = series(pool, &[id], &[metric], range).await.unwrap();
    series[&id][&metric].iter().map(|(_, value)| *value).collect()
}

const ACCEPTED: WsMetric = WsMetric::Counter(WsCounter::Accepted);

/// The `accepted` figures of `granularity` (seconds) as stored: (period start, value), of the
/// rows that have one.
async fn stored(pool: &Pool, granularity: i64) -> Vec<(i64, u64)> {
    let rows: Vec<(i64, String)> = on_db!(pool.db(), |e| sqlx::query_as(
        "SELECT period_start, figures FROM ws_traffic WHERE granularity = $1 ORDER BY period_start"
    )
    .bind(granularity)
    .fetch_all(e)
    .await)
    .unwrap();
    rows.into_iter()
        .filter_map(|(start, figures)| {
            let figures = figures::Figures::from_json(&figures);
            figures.iter().find(|(metric, _)| *metric == ACCEPTED).map(|(_, value)| (start, value))
        })
        .collect()
}

#[tokio::test]
async fn growth_is_counted_once_in_the_minute_it_was_reported() {
    let (pool, _guard) = fresh_database().await;
    let id = resource(&pool, "a.example.com").await;
    let accepted = WsCounter::Accepted;
    record(&pool, report("edge-1", "b1", &[(id, 1, &[(accepted, 3)])]), at(5)).await.unwrap();
    // The same report again (its answer was lost): nothing more.
    record(&pool, report("edge-1", "b1", &[(id, 1, &[(accepted, 3)])]), at(6)).await.unwrap();
    // A minute later, two more; a late report of an older figure lowers nothing.
    record(&pool, report("edge-1", "b1", &[(id, 2, &[(accepted, 5)])]), at(65)).await.unwrap();
    record(&pool, report("edge-1", "b1", &[(id, 2, &[(accepted, 4)])]), at(66)).await.unwrap();
    // The edge restarted: its counters start again from zero, and all of them are new.
    record(&pool, report("edge-1", "b2", &[(id, 0, &[(accepted, 2)])]), at(125)).await.unwrap();
    // Another edge adds its own.
    record(&pool, report("edge-2", "x1", &[(id, 0, &[(accepted, 1)])]), at(126)).await.unwrap();
    assert_eq!(minutes(&pool, id, ACCEPTED, 0, 240).await, vec![3, 2, 3, 0]);

    // The hour holds every minute's growth: read from its minutes before it is rolled up (so as
    // current as the reports), and the same once rolled up, however often that runs.
    let hour = Range { from: T0, to: T0 + 3600, granularity: Granularity::OneHour };
    let hours = series(&pool, &[id], &[ACCEPTED], hour).await.unwrap();
    assert_eq!(hours[&id][&ACCEPTED], vec![(T0, 8)], "the hour holds every minute's growth before a roll-up");
    roll_up(&pool, at(130)).await.unwrap();
    assert_eq!(stored(&pool, 3_600).await, Vec::<(i64, u64)>::new(), "an hour not ended is not rolled up");
    roll_up(&pool, at(3_600 + 90)).await.unwrap();
    roll_up(&pool, at(3_600 + 91)).await.unwrap();
    assert_eq!(stored(&pool, 3_600).await, vec![(T0, 8)], "rolled up once it ended");
    let hours = series(&pool, &[id], &[ACCEPTED], hour).await.unwrap();
    assert_eq!(hours[&id][&ACCEPTED], vec![(T0, 8)], "and read from its stored row once rolled up");
    let five = Range { from: T0, to: T0 + 600, granularity: Granularity::FiveMinutes };
    let five = series(&pool, &[id], &[ACCEPTED], five).await.unwrap();
    assert_eq!(five[&id][&ACCEPTED], vec![(T0, 8), (T0 + 300, 0)]);
}

#[tokio::test]
async fn open_now_counts_only_edges_that_report_and_the_peak_is_kept() {
    let (pool, _guard) = fresh_database().await;
    let id = resource(&pool, "a.example.com").await;
    let other = resource(&pool, "b.example.com").await;
    record(&pool, report("edge-1", "b1", &[(id, 2, &[])]), at(1)).await.unwrap();
    record(&pool, report("edge-2", "b1", &[(id, 3, &[])]), at(2)).await.unwrap();
    assert_eq!(
        open_now(&pool, &[id, other], at(2)).await.unwrap(),
        vec![OpenNow { open: 5, edges: 2 }, OpenNow::default()]
    );
    // edge-2 falls silent; edge-1 goes on, one connection closed.
    record(&pool, report("edge-1", "b1", &[(id, 1, &[])]), at(6)).await.unwrap();
    assert_eq!(open_now(&pool, &[id], at(6)).await.unwrap(), vec![OpenNow { open: 1, edges: 1 }]);
    assert_eq!(open_now(&pool, &[id], at(30)).await.unwrap(), vec![OpenNow::default()], "no edge reports any more");
    assert_eq!(minutes(&pool, id, WsMetric::OpenPeak, 0, 60).await, vec![5], "the minute's peak, across edges");
}

#[tokio::test]
async fn hours_and_days_roll_up_from_their_minutes_and_peaks_stay_peaks() {
    let (pool, _guard) = fresh_database().await;
    let id = resource(&pool, "a.example.com").await;
    let accepted = WsCounter::Accepted;
    // Two minutes of the first hour, one of the second; the peak is highest in the first.
    record(&pool, report("edge-1", "b1", &[(id, 4, &[(accepted, 4)])]), at(10)).await.unwrap();
    record(&pool, report("edge-1", "b1", &[(id, 1, &[(accepted, 5)])]), at(70)).await.unwrap();
    roll_up(&pool, at(80)).await.unwrap();
    record(&pool, report("edge-1", "b1", &[(id, 2, &[(accepted, 7)])]), at(3_610)).await.unwrap();
    // Within a minute of the hour's end a report may still be committing into its last minute:
    // not rolled up yet.
    roll_up(&pool, at(3_620)).await.unwrap();
    assert_eq!(stored(&pool, 3_600).await, Vec::<(i64, u64)>::new());
    // The day ended: its hours, then the day.
    roll_up(&pool, at(86_400 + 60)).await.unwrap();
    assert_eq!(stored(&pool, 3_600).await, vec![(T0, 5), (T0 + 3_600, 2)]);
    assert_eq!(stored(&pool, 86_400).await, vec![(T0, 7)]);
    // Read from their rows alone: the minutes are deleted first.
    on_db!(pool.db(), |e| sqlx::query("DELETE FROM ws_traffic WHERE granularity = 60").execute(e).await.map(|_| ()))
        .unwrap();
    let read = |granularity, to| {
        let pool = pool.clone();
        async move {
            let range = Range { from: T0, to: T0 + to, granularity };
            series(&pool, &[id], &[ACCEPTED, WsMetric::OpenPeak], range).await.unwrap().remove(&id).unwrap()
        }
    };
    let hours = read(Granularity::OneHour, 7_200).await;
    assert_eq!(hours[&ACCEPTED], vec![(T0, 5), (T0 + 3_600, 2)]);
    assert_eq!(hours[&WsMetric::OpenPeak], vec![(T0, 4), (T0 + 3_600, 2)]);
    let days = read(Granularity::OneDay, 86_400).await;
    assert_eq!((days[&ACCEPTED][0].1, days[&WsMetric::OpenPeak][0].1), (7, 4));
}

#[tokio::test]
async fn a_day_not_rolled_up_is_read_from_its_hours_then_its_minutes() {
    let (pool, _guard) = fresh_database().await;
    let id = resource(&pool, "a.example.com").await;
    let accepted = WsCounter::Accepted;
    record(&pool, report("edge-1", "b1", &[(id, 1, &[(accepted, 4)])]), at(10)).await.unwrap();
    record(&pool, report("edge-1", "b1", &[(id, 1, &[(accepted, 6)])]), at(3_610)).await.unwrap();
    // The first two hours are rolled up, the day is not; the third hour has only its minutes.
    roll_up(&pool, at(7_200 + 60)).await.unwrap();
    record(&pool, report("edge-1", "b1", &[(id, 3, &[(accepted, 9)])]), at(7_210)).await.unwrap();
    assert_eq!(stored(&pool, 3_600).await, vec![(T0, 4), (T0 + 3_600, 2)]);
    assert_eq!(stored(&pool, 86_400).await, Vec::<(i64, u64)>::new());
    // The rolled-up hours answer for their minutes: those could be gone, and nothing changes.
    on_db!(pool.db(), |e| sqlx::query("DELETE FROM ws_traffic WHERE granularity = 60 AND period_start < $1")
        .bind(T0 + 7_200)
        .execute(e)
        .await
        .map(|_| ()))
    .unwrap();
    let day = Range { from: T0, to: T0 + 86_400, granularity: Granularity::OneDay };
    let days = series(&pool, &[id], &[ACCEPTED, WsMetric::OpenPeak], day).await.unwrap().remove(&id).unwrap();
    assert_eq!(days[&ACCEPTED], vec![(T0, 9)], "two hours' rows and the third hour's minute");
    assert_eq!(days[&WsMetric::OpenPeak], vec![(T0, 3)]);
    let hour = Range { from: T0, to: T0 + 3 * 3_600, granularity: Granularity::OneHour };
    let hours = series(&pool, &[id], &[ACCEPTED], hour).await.unwrap().remove(&id).unwrap();
    assert_eq!(hours[&ACCEPTED], vec![(T0, 4), (T0 + 3_600, 2), (T0 + 7_200, 3)]);
    // Once the day ends, its row is the same sum, and is what is read.
    roll_up(&pool, at(86_400 + 60)).await.unwrap();
    assert_eq!(stored(&pool, 86_400).await, vec![(T0, 9)]);
    on_db!(pool.db(), |e| sqlx::query("DELETE FROM ws_traffic WHERE granularity <> 86400")
        .execute(e)
        .await
        .map(|_| ()))
    .unwrap();
    let days = series(&pool, &[id], &[ACCEPTED], day).await.unwrap().remove(&id).unwrap();
    assert_eq!(days[&ACCEPTED], vec![(T0, 9)]);
}

#[tokio::test]
async fn a_malformed_report_changes_nothing_and_a_removed_resource_is_skipped() {
    let (pool, _guard) = fresh_database().await;
    let id = resource(&pool, "a.example.com").await;
    let accepted = WsCounter::Accepted;
    for bad in [
        report("edge-1", "not valid!", &[(id, 0, &[(accepted, 1)])]),
        report("edge-1", "b1", &[(id, 0, &[(accepted, 1)]), (id, 0, &[(accepted, 2)])]),
        report("edge-1", "b1", &[(0, 0, &[(accepted, 1)])]),
    ] {
        assert!(matches!(record(&pool, bad, at(1)).await, Err(AppError::BadRequest)));
    }
    let mut unknown = report("edge-1", "b1", &[(id, 0, &[(accepted, 1)]), (id + 1000, 4, &[(accepted, 9)])]);
    unknown.resources[0].counters.insert("from_a_newer_edge".into(), 7);
    record(&pool, unknown, at(1)).await.unwrap();
    assert_eq!(minutes(&pool, id, ACCEPTED, 0, 60).await, vec![1]);
    let rows: (i64,) = on_db!(pool.db(), |e| sqlx::query_as("SELECT COUNT(*) FROM ws_traffic WHERE resource_id <> $1")
        .bind(id)
        .fetch_one(e)
        .await)
    .unwrap();
    assert_eq!(rows.0, 0);
}

#[tokio::test]
async fn rows_past_retention_are_deleted_and_the_rest_kept() {
    let (pool, _guard) = fresh_database().await;
    let id = resource(&pool, "a.example.com").await;
    let idle = WsCounter::Closed(CloseReason::Idle);
    record(&pool, report("edge-1", "b1", &[(id, 0, &[(idle, 1)])]), at(0)).await.unwrap();
    // Not rolled up yet: kept past retention, so that its hour and day are not lost.
    assert_eq!(prune(&pool, at(3 * 86_400)).await.unwrap(), 0);
    roll_up(&pool, at(86_400 + 60)).await.unwrap();
    let count = |pool: Pool| async move {
        let rows: Vec<(i64, i64)> = on_db!(pool.db(), |e| sqlx::query_as(
            "SELECT granularity, CAST(COUNT(*) AS BIGINT) FROM ws_traffic GROUP BY granularity ORDER BY granularity"
        )
        .fetch_all(e)
        .await)
        .unwrap();
        rows
    };
    assert_eq!(count(pool.clone()).await, vec![(60, 1), (3600, 1), (86400, 1)]);
    assert_eq!(prune(&pool, at(86_400)).await.unwrap(), 0, "a day later, all is kept");
    assert_eq!(prune(&pool, at(2 * 86_400 + 60)).await.unwrap(), 1, "the minute goes after two days");
    assert_eq!(count(pool.clone()).await, vec![(3600, 1), (86400, 1)]);
    assert_eq!(prune(&pool, at(35 * 86_400 + 3_600)).await.unwrap(), 1);
    assert_eq!(prune(&pool, at(400 * 86_400 + 86_400)).await.unwrap(), 1);
    assert!(count(pool.clone()).await.is_empty());
    // The edge's baseline stays: the same report again still counts nothing.
    record(&pool, report("edge-1", "b1", &[(id, 0, &[(idle, 1)])]), at(401 * 86_400)).await.unwrap();
    assert!(count(pool).await.is_empty());
}

#[tokio::test]
async fn reports_written_together_count_as_written_one_by_one() {
    let (pool, _guard) = fresh_database().await;
    let id = resource(&pool, "a.example.com").await;
    let accepted = WsCounter::Accepted;
    // One transaction: edge-1 twice (the second measured against the first), edge-2 once, a
    // report of edge-1's next boot, and a resource that does not exist.
    let batch = [
        (report("edge-1", "b1", &[(id, 2, &[(accepted, 3)])]), at(5)),
        (report("edge-2", "x1", &[(id, 1, &[(accepted, 4)]), (id + 1000, 1, &[(accepted, 9)])]), at(5)),
        (report("edge-1", "b1", &[(id, 3, &[(accepted, 5)])]), at(6)),
        (report("edge-1", "b1", &[(id, 3, &[(accepted, 4)])]), at(6)),
    ];
    record::record_all(&pool, &batch).await.unwrap();
    assert_eq!(minutes(&pool, id, ACCEPTED, 0, 60).await, vec![9], "3 + 4 + 2 more: each growth once");
    assert_eq!(minutes(&pool, id, WsMetric::OpenPeak, 0, 60).await, vec![4], "edge-1's last 3 and edge-2's 1");
    assert_eq!(open_now(&pool, &[id], at(6)).await.unwrap(), vec![OpenNow { open: 4, edges: 2 }]);
    // The baseline written back is the last report's: the same figures again add nothing.
    record(&pool, report("edge-1", "b1", &[(id, 3, &[(accepted, 5)])]), at(7)).await.unwrap();
    record(&pool, report("edge-2", "x1", &[(id, 1, &[(accepted, 4)])]), at(7)).await.unwrap();
    assert_eq!(minutes(&pool, id, ACCEPTED, 0, 60).await, vec![9]);

    // Through the recorder's queue: reports sent at once are each answered once written.
    let recorder = Recorder::new(pool.clone());
    let sends = (0..20).map(|edge| {
        let recorder = recorder.clone();
        let report = report(&format!("edge-q{edge}"), "q1", &[(id, 0, &[(accepted, 1)])]);
        async move { recorder.record(report, at(65)).await }
    });
    for answer in futures_util::future::join_all(sends).await {
        answer.unwrap();
    }
    assert_eq!(minutes(&pool, id, ACCEPTED, 60, 120).await, vec![20]);
    let bad = report("edge-1", "not valid!", &[(id, 0, &[])]);
    assert!(matches!(recorder.record(bad, at(66)).await, Err(AppError::BadRequest)));
}
