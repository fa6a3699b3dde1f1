//! A resource's WebSocket report, as its Reports section shows it: built on the server
//! (`server::ws_traffic::report`), charts drawn there as SVG, and rendered by the page.

use serde::{Deserialize, Serialize};

/// The Reports section of a resource: `/cdn/resources/{id}/reports`, `?period=day` or
/// `?period=week` for a longer window than the last hour.
pub fn resource_reports_path(id: i64) -> String {
    format!("/cdn/resources/{id}/reports")
}

/// The window a report covers, ending now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportPeriod {
    /// The last 60 minutes, by minute.
    #[default]
    Hour,
    /// The last 24 hours, by minute (its tables, by hour).
    Day,
    /// The last 7 days, by hour (its tables, by day).
    Week,
}

impl ReportPeriod {
    /// Every window, shortest first.
    pub const ALL: [ReportPeriod; 3] = [ReportPeriod::Hour, ReportPeriod::Day, ReportPeriod::Week];

    /// Its value in the address's `period`: `hour`, `day` or `week`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportPeriod::Hour => "hour",
            ReportPeriod::Day => "day",
            ReportPeriod::Week => "week",
        }
    }

    /// The window `period` names; `None` for anything else (an absent `period` is the hour).
    pub fn parse(period: &str) -> Option<ReportPeriod> {
        ReportPeriod::ALL.into_iter().find(|known| known.as_str() == period)
    }

    /// Its words: "Last hour".
    pub fn label(self) -> &'static str {
        match self {
            ReportPeriod::Hour => "Last hour",
            ReportPeriod::Day => "Last 24 hours",
            ReportPeriod::Week => "Last 7 days",
        }
    }

    /// The window's length, in seconds.
    pub const fn seconds(self) -> i64 {
        match self {
            ReportPeriod::Hour => 3_600,
            ReportPeriod::Day => 86_400,
            ReportPeriod::Week => 7 * 86_400,
        }
    }

    /// The length of a chart's points, in seconds: a minute for the hour and the day (one-minute
    /// resolution for the last day), an hour for the week.
    pub const fn chart_step(self) -> i64 {
        match self {
            ReportPeriod::Hour | ReportPeriod::Day => 60,
            ReportPeriod::Week => 3_600,
        }
    }

    /// The length of a table's rows, in seconds: a minute for the hour (60 rows), an hour for the
    /// day (24), a day for the week (7), so that each table stays one a person can read through.
    pub const fn table_step(self) -> i64 {
        match self {
            ReportPeriod::Hour => 60,
            ReportPeriod::Day => 3_600,
            ReportPeriod::Week => 86_400,
        }
    }

    /// The address of the resource's report for this window.
    pub fn path(self, resource_id: i64) -> String {
        match self {
            ReportPeriod::Hour => resource_reports_path(resource_id),
            other => format!("{}?period={}", resource_reports_path(resource_id), other.as_str()),
        }
    }
}

/// A resource's WebSocket connections open now, across the CDN edges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenNow {
    /// Connections open at the edges that reported in the last few seconds.
    pub open: u64,
    /// How many of those edges have one or more open.
    pub edges: u64,
}

impl OpenNow {
    /// "3 open WebSocket connections, on 2 CDN edges".
    pub fn describe(self) -> String {
        match (self.open, self.edges) {
            (0, _) => "No open WebSocket connections.".to_owned(),
            (1, _) => "1 open WebSocket connection, on 1 CDN edge.".to_owned(),
            (open, 1) => format!("{open} open WebSocket connections, on 1 CDN edge."),
            (open, edges) => format!("{open} open WebSocket connections, on {edges} CDN edges."),
        }
    }
}

/// One chart of a report, with what a person who cannot see it needs: a text alternative and
/// its figures in a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportChart {
    /// "Open connections".
    pub title: String,
    /// The chart: an SVG document, drawn on the server.
    pub svg: String,
    /// The chart in words (its text alternative): what each line came to over the window.
    pub summary: String,
    /// The table's column headers: the period's start (UTC) first, then one per line.
    pub columns: Vec<String>,
    /// The table's rows, oldest first, each as many cells as `columns`.
    pub rows: Vec<Vec<String>>,
}

/// A resource's WebSocket traffic over one window, across every CDN edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WsReport {
    pub period: ReportPeriod,
    pub open_now: OpenNow,
    /// What the window came to: label and figure, such as ("Handshakes accepted", "12").
    pub totals: Vec<(String, String)>,
    pub charts: Vec<ReportChart>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_back_and_divide_evenly() {
        for period in ReportPeriod::ALL {
            assert_eq!(ReportPeriod::parse(period.as_str()), Some(period));
            assert_eq!(period.seconds() % period.table_step(), 0);
            assert_eq!(period.table_step() % period.chart_step(), 0);
        }
        assert_eq!(ReportPeriod::parse("month"), None);
        assert_eq!(ReportPeriod::Week.path(3), "/cdn/resources/3/reports?period=week");
        assert_eq!(ReportPeriod::Hour.path(3), "/cdn/resources/3/reports");
        assert_eq!(OpenNow { open: 3, edges: 2 }.describe(), "3 open WebSocket connections, on 2 CDN edges.");
    }
}
