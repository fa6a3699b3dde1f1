//! WebSocket traffic per resource: what the edges report (`POST /edge/v1/traffic`, the contract
//! in `feed/src/traffic.rs`), kept per minute, hour and day, and read back for the Reports
//! section, the resource list and the REST API.
//!
//! - `record`: the reports, turned into what grew since each edge's last one, in their minute
//!   (migrations 0012 and 0014), several reports in a transaction;
//! - `roll_up`: the hours and days, from the minutes, once each has ended;
//! - `read`: the connections open now, and series;
//! - `retention`: deleting what is past retention;
//! - `report`, `chart`: the Reports section's charts (SVG) and tables;
//! - `metric`, `period`, `figures`: the names and periods all of them use, and a period's
//!   figures as a row stores them (migration 0014).
//!
//! Every function takes the time it works at (`now`), so that tests set the clock.

mod chart;
mod figures;
mod metric;
mod period;
mod read;
mod record;
mod report;
mod retention;
mod roll_up;

pub use crate::model::OpenNow;
pub use metric::WsMetric;
pub use period::{Granularity, Resolution};
pub use read::{Points, Range, open_now, series, total};
pub use record::Recorder;
#[cfg(test)]
use record::record;
pub use report::report;
pub use retention::prune;
pub use roll_up::{ROLL_UP_EVERY, keep_rolling_up, roll_up};

use std::time::{SystemTime, UNIX_EPOCH};

/// Rows per statement: at most 6 values each, well under SQLite's 32,766 bound parameters and
/// PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 1_000;

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

/// `time` in whole milliseconds since the Unix epoch (negative before it).
fn unix_ms(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_millis() as i64,
        Err(before) => -(before.duration().as_millis() as i64),
    }
}

#[cfg(test)]
mod tests;
