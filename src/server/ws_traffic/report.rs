//! A resource's Reports section: its WebSocket traffic over a window ending now, as charts (SVG,
//! drawn here), their text alternatives and their figures in tables.

use super::chart::{self, Line};
use super::metric::WsMetric;
use super::period::Granularity;
use super::read::{Range, open_now, series};
use super::unix_ms;
use crate::domain::Timestamp;
use crate::error::AppError;
use crate::model::{ReportChart, ReportPeriod, WsReport};
use crate::server::db::Pool;
use ::edge_feed::{CloseReason, DURATION_BOUNDS_S, HandshakeRefusal, WsCounter, duration_quantile};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// What a line of a chart shows at each point.
#[derive(Clone, Copy)]
enum Value {
    /// A stored metric, as it is.
    Metric(WsMetric),
    /// A quantile (0 to 1) of the durations of the connections that ended in the point.
    Duration(f64),
}

/// A chart: its title, the unit of its y axis, and its lines.
struct ChartSpec {
    title: &'static str,
    unit: &'static str,
    lines: Vec<(String, Value)>,
}

/// The section's charts, in the order shown: the one list of what a report charts.
fn charts() -> Vec<ChartSpec> {
    let counter = |counter: WsCounter| Value::Metric(WsMetric::Counter(counter));
    vec![
        ChartSpec {
            title: "Open connections",
            unit: "connections",
            lines: vec![("most open at once".into(), Value::Metric(WsMetric::OpenPeak))],
        },
        ChartSpec {
            title: "Handshakes accepted",
            unit: "handshakes",
            lines: vec![("accepted".into(), counter(WsCounter::Accepted))],
        },
        ChartSpec {
            title: "Handshakes refused, by reason",
            unit: "handshakes",
            lines: HandshakeRefusal::ALL
                .into_iter()
                .map(|reason| (reason.label().to_owned(), counter(WsCounter::Refused(reason))))
                .collect(),
        },
        ChartSpec {
            title: "Bytes relayed",
            unit: "bytes",
            lines: vec![
                ("to the origin".into(), counter(WsCounter::BytesToOrigin)),
                ("to visitors".into(), counter(WsCounter::BytesToVisitor)),
            ],
        },
        ChartSpec {
            title: "Connection durations",
            unit: "seconds",
            lines: vec![("median".into(), Value::Duration(0.5)), ("95th percentile".into(), Value::Duration(0.95))],
        },
        ChartSpec {
            title: "Connections closed, by reason",
            unit: "connections",
            lines: CloseReason::ALL
                .into_iter()
                .map(|reason| (reason.label().to_owned(), counter(WsCounter::Closed(reason))))
                .collect(),
        },
    ]
}

/// Each metric's values, one per point, and the points' starts (Unix seconds).
struct Figures {
    starts: Vec<i64>,
    values: BTreeMap<WsMetric, Vec<u64>>,
}

impl Figures {
    fn at(&self, metric: WsMetric, index: usize) -> u64 {
        self.values.get(&metric).and_then(|values| values.get(index)).copied().unwrap_or(0)
    }

    fn value(&self, value: Value, index: usize) -> Option<f64> {
        match value {
            Value::Metric(metric) => Some(self.at(metric, index) as f64),
            Value::Duration(q) => {
                let buckets: Vec<u64> = (0..=DURATION_BOUNDS_S.len())
                    .map(|bucket| self.at(WsMetric::Counter(WsCounter::Duration(bucket)), index))
                    .collect();
                duration_quantile(&buckets, q)
            }
        }
    }

    /// The whole window as one point.
    fn whole(&self) -> Figures {
        self.coarsen(i64::MAX)
    }

    /// The same figures in points of `step` seconds (on its boundaries), each combining the
    /// points it holds as its metric says.
    fn coarsen(&self, step: i64) -> Figures {
        let mut starts: Vec<i64> = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (index, start) in self.starts.iter().enumerate() {
            let group = if step == i64::MAX { 0 } else { start - start.rem_euclid(step) };
            if starts.last() != Some(&group) {
                starts.push(group);
                groups.push(Vec::new());
            }
            if let Some(last) = groups.last_mut() {
                last.push(index);
            }
        }
        let values = self
            .values
            .iter()
            .map(|(metric, values)| {
                let combined = groups
                    .iter()
                    .map(|group| group.iter().map(|index| values[*index]).fold(0, |a, b| metric.combine(a, b)))
                    .collect();
                (*metric, combined)
            })
            .collect();
        Figures { starts, values }
    }
}

/// The report of resource `resource_id` (the caller has checked it is the account's) over
/// `period`, ending at `now`.
pub async fn report(
    pool: &Pool,
    resource_id: i64,
    period: ReportPeriod,
    now: SystemTime,
) -> Result<WsReport, AppError> {
    let now_s = unix_ms(now).div_euclid(1_000);
    let step = period.chart_step();
    let granularity = if step == 60 { Granularity::OneMinute } else { Granularity::OneHour };
    let last_start = now_s - now_s.rem_euclid(step);
    let range = Range { from: last_start - period.seconds() + step, to: last_start + step, granularity };
    let metrics: Vec<WsMetric> = WsMetric::all().collect();
    let mut by_resource = series(pool, &[resource_id], &metrics, range).await?;
    let by_metric = by_resource.remove(&resource_id).unwrap_or_default();
    let figures = Figures {
        starts: range.starts().collect(),
        values: by_metric
            .into_iter()
            .map(|(metric, points)| (metric, points.into_iter().map(|(_, value)| value).collect()))
            .collect(),
    };
    let open_now = open_now(pool, &[resource_id], now).await?.pop().unwrap_or_default();
    let table = figures.coarsen(period.table_step());
    let whole = figures.whole();
    let specs = charts();
    let charts = specs.iter().map(|spec| chart(spec, period, &figures, &table, &whole)).collect();
    Ok(WsReport { period, open_now, totals: totals(&whole), charts })
}

fn chart(spec: &ChartSpec, period: ReportPeriod, figures: &Figures, table: &Figures, whole: &Figures) -> ReportChart {
    let lines: Vec<Line> = spec
        .lines
        .iter()
        .map(|(label, value)| Line {
            label: label.clone(),
            values: (0..figures.starts.len()).map(|index| figures.value(*value, index)).collect(),
        })
        .collect();
    let svg = chart::svg(&lines, &figures.starts, spec.unit, |start| axis_time(period, start));
    let said: Vec<String> = spec
        .lines
        .iter()
        .map(|(label, value)| format!("{label}: {}", describe(*value, whole.value(*value, 0))))
        .collect();
    let summary = format!("{}, {}: {}.", spec.title, period.label().to_lowercase(), said.join("; "));
    let mut columns = vec!["Period starting (UTC)".to_owned()];
    columns.extend(spec.lines.iter().map(|(label, _)| label.clone()));
    let rows = (0..table.starts.len())
        .map(|index| {
            let mut row = vec![table_time(period, table.starts[index])];
            row.extend(spec.lines.iter().map(|(_, value)| cell(*value, table.value(*value, index))));
            row
        })
        .collect();
    ReportChart { title: spec.title.to_owned(), svg, summary, columns, rows }
}

/// The window's figures in a line each.
fn totals(whole: &Figures) -> Vec<(String, String)> {
    let sum = |counters: &mut dyn Iterator<Item = WsCounter>| -> u64 {
        counters.map(|counter| whole.at(WsMetric::Counter(counter), 0)).sum()
    };
    vec![
        ("Most open at once".into(), whole.at(WsMetric::OpenPeak, 0).to_string()),
        ("Handshakes accepted".into(), whole.at(WsMetric::Counter(WsCounter::Accepted), 0).to_string()),
        ("Handshakes refused".into(), sum(&mut HandshakeRefusal::ALL.into_iter().map(WsCounter::Refused)).to_string()),
        ("Bytes to the origin".into(), whole.at(WsMetric::Counter(WsCounter::BytesToOrigin), 0).to_string()),
        ("Bytes to visitors".into(), whole.at(WsMetric::Counter(WsCounter::BytesToVisitor), 0).to_string()),
        ("Connections closed".into(), sum(&mut CloseReason::ALL.into_iter().map(WsCounter::Closed)).to_string()),
        ("Median duration".into(), cell(Value::Duration(0.5), whole.value(Value::Duration(0.5), 0))),
        ("95th percentile duration".into(), cell(Value::Duration(0.95), whole.value(Value::Duration(0.95), 0))),
    ]
}

/// A figure in words, for the chart's text alternative.
fn describe(value: Value, figure: Option<f64>) -> String {
    match (value, figure) {
        (Value::Metric(WsMetric::OpenPeak), Some(peak)) => format!("at most {peak} at once"),
        (Value::Metric(_), Some(total)) => format!("{total} in all"),
        (Value::Duration(_), Some(_)) => cell(value, figure),
        (_, None) => "no connection ended".to_owned(),
    }
}

/// A figure in a table's cell: a count as it is, a duration in seconds to a tenth, "–" for none.
fn cell(value: Value, figure: Option<f64>) -> String {
    match (value, figure) {
        (_, None) => "–".to_owned(),
        (Value::Metric(_), Some(count)) => format!("{count}"),
        (Value::Duration(_), Some(seconds)) => format!("{seconds:.1} s"),
    }
}

/// A point's time under the chart: the clock (UTC) for a window by minute, the day and hour for
/// the week.
fn axis_time(period: ReportPeriod, start: i64) -> String {
    let text = Timestamp::from_unix_seconds(start).to_rfc3339();
    match period {
        ReportPeriod::Hour | ReportPeriod::Day => text.get(11..16).unwrap_or_default().to_owned(),
        ReportPeriod::Week => {
            format!("{} {}", text.get(5..10).unwrap_or_default(), text.get(11..13).unwrap_or_default())
        }
    }
}

/// A table row's time (UTC): "2026-11-30 18:37" by minute or hour, "2026-11-30" by day.
fn table_time(period: ReportPeriod, start: i64) -> String {
    let text = Timestamp::from_unix_seconds(start).to_rfc3339();
    match period {
        ReportPeriod::Week => text.get(..10).unwrap_or_default().to_owned(),
        ReportPeriod::Hour | ReportPeriod::Day => text.get(..16).unwrap_or_default().replace('T', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarser_points_combine_as_their_metric_says() {
        let peak = WsMetric::OpenPeak;
        let accepted = WsMetric::Counter(WsCounter::Accepted);
        let figures = Figures {
            starts: vec![3_540, 3_600, 3_660],
            values: BTreeMap::from([(peak, vec![4, 2, 3]), (accepted, vec![1, 2, 3])]),
        };
        let hours = figures.coarsen(3_600);
        assert_eq!(hours.starts, vec![0, 3_600]);
        assert_eq!(hours.values[&peak], vec![4, 3]);
        assert_eq!(hours.values[&accepted], vec![1, 5]);
        let whole = figures.whole();
        assert_eq!((whole.at(peak, 0), whole.at(accepted, 0)), (4, 6));
        assert_eq!(whole.value(Value::Duration(0.5), 0), None);
        assert_eq!(axis_time(ReportPeriod::Hour, 1_795_996_800 + 3_660), "01:01");
        assert_eq!(table_time(ReportPeriod::Week, 1_795_996_800), "2026-11-30");
    }
}
