use serde::{Deserialize, Serialize};
use std::fmt;

/// A moment in UTC, as whole seconds since the Unix epoch. Shown as a calendar date and time
/// computed here, so that the server's and the browser's renderings are identical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    #[cfg(feature = "ssr")]
    pub fn now() -> Self {
        let since_epoch =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("the clock is after 1970");
        Self(since_epoch.as_secs() as i64)
    }

    /// The RFC 3339 form, for `<time datetime="…">`.
    pub fn to_rfc3339(self) -> String {
        let (date, (hour, minute, second)) = self.parts();
        format!("{date}T{hour:02}:{minute:02}:{second:02}Z")
    }

    /// Reads an RFC 3339 date and time (`2026-01-31T12:00:00Z`, `…T14:00:00+02:00`, with
    /// optional fractions of a second, which are dropped); `None` for anything else.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let number = |range: std::ops::Range<usize>| number_of(text.get(range)?);
        let at = |index: usize, expected: &[u8]| bytes.get(index).is_some_and(|byte| expected.contains(byte));
        if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
            return None;
        }
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        let mut rest = &text[19..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &fraction[digits..];
        }
        let offset_seconds = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                    return None;
                }
                let (hours, minutes) = (number_of(&rest[1..3])?, number_of(&rest[4..6])?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                sign * (hours * 3600 + minutes * 60)
            }
        };
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        // A leap second (60) is read as the last second of its minute.
        if !(1..=days_in_month).contains(&day) || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let days = CivilDate { year, month, day }.days_since_epoch();
        Some(Self(days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset_seconds))
    }

    fn parts(self) -> (CivilDate, (i64, i64, i64)) {
        let days = self.0.div_euclid(86_400);
        let second_of_day = self.0.rem_euclid(86_400);
        (CivilDate::from_days_since_epoch(days), (second_of_day / 3600, second_of_day % 3600 / 60, second_of_day % 60))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, (hour, minute, _)) = self.parts();
        write!(f, "{date} {hour:02}:{minute:02} UTC")
    }
}

struct CivilDate {
    year: i64,
    month: i64,
    day: i64,
}

impl CivilDate {
    /// Howard Hinnant's `civil_from_days`: exact for the proleptic Gregorian calendar.
    fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self { year, month, day }
    }
}

/// Digits only (no sign), as a number.
fn number_of(digits: &str) -> Option<i64> {
    digits.bytes().all(|byte| byte.is_ascii_digit()).then(|| digits.parse().ok())?
}

impl CivilDate {
    /// Howard Hinnant's `days_from_civil`, the inverse of [`Self::from_days_since_epoch`].
    fn days_since_epoch(&self) -> i64 {
        let year = if self.month <= 2 { self.year - 1 } else { self.year };
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let shifted_month = if self.month > 2 { self.month - 3 } else { self.month + 9 };
        let day_of_year = (153 * shifted_month + 2) / 5 + self.day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_3339_as_written_and_refuses_the_rest() {
        for (text, seconds) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T00:00:00Z", 951_782_400),
            ("2026-11-24T22:00:00.999Z", 1_795_557_600),
            ("2026-11-25T00:00:00+02:00", 1_795_557_600),
            ("2026-11-24t21:30:00-00:30", 1_795_557_600),
            ("1969-12-31T23:59:59Z", -1),
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text), Some(Timestamp::from_unix_seconds(seconds)), "{text}");
        }
        for seconds in [0, 951_782_400, 1_709_164_799, 4_107_542_400, -1] {
            let timestamp = Timestamp::from_unix_seconds(seconds);
            assert_eq!(Timestamp::parse_rfc3339(&timestamp.to_rfc3339()), Some(timestamp));
        }
        for text in [
            "",
            "2026-11-24",
            "2026-11-24T22:00:00",
            "2026-11-24T22:00Z",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T22:00:00.Z",
            "2026-11-24T22:00:00+2:00",
            "+026-11-24T22:00:00Z",
            "2026-11-24T22:00:00Z ",
            "1795557600",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text), None, "{text}");
        }
    }

    #[test]
    fn formats_known_moments() {
        for (seconds, shown, rfc3339) in [
            (0, "1970-01-01 00:00 UTC", "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29 00:00 UTC", "2000-02-29T00:00:00Z"),
            (1_709_164_799, "2024-02-28 23:59 UTC", "2024-02-28T23:59:59Z"),
            (1_795_557_600, "2026-11-24 22:00 UTC", "2026-11-24T22:00:00Z"),
            (4_107_542_400, "2100-03-01 00:00 UTC", "2100-03-01T00:00:00Z"),
            (-1, "1969-12-31 23:59 UTC", "1969-12-31T23:59:59Z"),
        ] {
            let timestamp = Timestamp::from_unix_seconds(seconds);
            assert_eq!(timestamp.to_string(), shown);
            assert_eq!(timestamp.to_rfc3339(), rfc3339);
        }
    }

    #[test]
    fn every_day_for_four_centuries_follows_the_previous_one() {
        let mut previous = CivilDate::from_days_since_epoch(-1);
        for days in 0..146_097 {
            let date = CivilDate::from_days_since_epoch(days);
            let next_day = date.day == previous.day + 1 && date.month == previous.month;
            let next_month = date.day == 1
                && date.month == previous.month % 12 + 1
                && previous.day == days_in_month(previous.year, previous.month);
            assert!(next_day || next_month, "{date} after {previous}");
            if date.month == 1 && date.day == 1 {
                assert_eq!(date.year, previous.year + 1);
            } else {
                assert_eq!(date.year, previous.year);
            }
            previous = date;
        }
    }

    fn days_in_month(year: i64, month: i64) -> i64 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }
}
