//! The periods traffic is kept in and asked for: what is stored (a minute, an hour, a day, each
//! kept for as long as [`Resolution::retention`] says) and what the REST API's `granularity`
//! offers (Gcore's values: `1m`, `5m`, `15m`, `1h`, `1d`).

use std::time::Duration;

/// A period length the portal stores rows of (`ws_traffic.granularity`, in seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resolution {
    Minute,
    Hour,
    Day,
}

impl Resolution {
    /// Every resolution, finest first: reports add to the minutes, and each coarser one is
    /// rolled up from the one before it ([`Resolution::coarser`]).
    pub const ALL: [Resolution; 3] = [Resolution::Minute, Resolution::Hour, Resolution::Day];

    /// The period's length in seconds: 60, 3,600 or 86,400.
    pub const fn seconds(self) -> i64 {
        match self {
            Resolution::Minute => 60,
            Resolution::Hour => 3_600,
            Resolution::Day => 86_400,
        }
    }

    /// How long rows of this resolution are kept after their period starts: minutes for 2 days
    /// (the reports show the last day by minute), hours for 35 days (the last week by hour, and
    /// a month for the API), days for 400 days (a year and a margin, as Gcore's statistics
    /// keep 365 days).
    pub const fn retention(self) -> Duration {
        match self {
            Resolution::Minute => Duration::from_secs(2 * 86_400),
            Resolution::Hour => Duration::from_secs(35 * 86_400),
            Resolution::Day => Duration::from_secs(400 * 86_400),
        }
    }

    /// The resolution rolled up from this one's rows (`ws_traffic::roll_up`), and kept until
    /// then (`ws_traffic::retention`): hours from minutes, days from hours; none from days.
    pub const fn coarser(self) -> Option<Resolution> {
        match self {
            Resolution::Minute => Some(Resolution::Hour),
            Resolution::Hour => Some(Resolution::Day),
            Resolution::Day => None,
        }
    }

    /// The start of the period that holds `unix_seconds`.
    pub const fn start_of(self, unix_seconds: i64) -> i64 {
        unix_seconds - unix_seconds.rem_euclid(self.seconds())
    }
}

/// The REST API's `granularity`: how long each point of a series is (Gcore's statistics API
/// names). `5m` and `15m` are read from the minute rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    OneMinute,
    FiveMinutes,
    FifteenMinutes,
    OneHour,
    OneDay,
}

impl Granularity {
    /// Every value, with its name in the API.
    pub const ALL: [(Granularity, &'static str); 5] = [
        (Granularity::OneMinute, "1m"),
        (Granularity::FiveMinutes, "5m"),
        (Granularity::FifteenMinutes, "15m"),
        (Granularity::OneHour, "1h"),
        (Granularity::OneDay, "1d"),
    ];

    /// The granularity the API names `name` (`1m` … `1d`).
    pub fn from_name(name: &str) -> Option<Granularity> {
        Self::ALL.iter().find(|(_, known)| *known == name).map(|(granularity, _)| *granularity)
    }

    /// Its name in the API.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(granularity, _)| *granularity == self).map_or("1m", |(_, name)| name)
    }

    /// The length of one point, in seconds.
    pub const fn seconds(self) -> i64 {
        match self {
            Granularity::OneMinute => 60,
            Granularity::FiveMinutes => 300,
            Granularity::FifteenMinutes => 900,
            Granularity::OneHour => 3_600,
            Granularity::OneDay => 86_400,
        }
    }

    /// The stored rows its points are made of.
    pub const fn resolution(self) -> Resolution {
        match self {
            Granularity::OneMinute | Granularity::FiveMinutes | Granularity::FifteenMinutes => Resolution::Minute,
            Granularity::OneHour => Resolution::Hour,
            Granularity::OneDay => Resolution::Day,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_their_boundary() {
        assert_eq!(Resolution::Minute.start_of(125), 120);
        assert_eq!(Resolution::Hour.start_of(7_199), 3_600);
        assert_eq!(Resolution::Day.start_of(86_400 * 3 + 5), 86_400 * 3);
        assert_eq!(Resolution::Minute.start_of(-1), -60);
        for (granularity, name) in Granularity::ALL {
            assert_eq!(Granularity::from_name(name), Some(granularity));
            assert_eq!(granularity.name(), name);
            assert_eq!(granularity.seconds() % granularity.resolution().seconds(), 0);
        }
        assert_eq!(Granularity::from_name("2m"), None);
    }
}
