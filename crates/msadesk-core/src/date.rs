//! Calendar dates (no time of day, no zone), as the registry records them.
//!
//! A supply event happens on a day; the law counts its retention in years from that day. We wrap
//! `jiff::civil::Date` so that the rest of the code parses once (`Date::parse`) and never holds an
//! invalid date, and so that the year arithmetic the law needs lives in one place.

use std::fmt;
use std::str::FromStr;

use jiff::ToSpan;

/// A calendar date, `YYYY-MM-DD`, between the years 1900 and 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a date: expected YYYY-MM-DD (for example 2026-03-31)")]
pub struct DateError {
    pub input: String,
}

impl Date {
    /// Parses `YYYY-MM-DD`. A date-time such as `2026-03-31T10:00:00Z` is accepted and cut to its
    /// date, because ERP exports often carry a time the registry does not need.
    pub fn parse(input: &str) -> Result<Self, DateError> {
        let err = || DateError { input: input.to_string() };
        let s = input.trim();
        let day = s.get(..10).ok_or_else(err)?;
        let rest = &s[10..];
        if !rest.is_empty() && !rest.starts_with(['T', 't', ' ']) {
            return Err(err());
        }
        let b = day.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)) {
            return Err(err());
        }
        let num =
            |r: std::ops::Range<usize>| -> i16 { b[r].iter().fold(0i16, |acc, d| acc * 10 + i16::from(d - b'0')) };
        let (y, m, d) = (num(0..4), num(5..7), num(8..10));
        if !(1900..=9999).contains(&y) {
            return Err(err());
        }
        let m = i8::try_from(m).map_err(|_| err())?;
        let d = i8::try_from(d).map_err(|_| err())?;
        jiff::civil::Date::new(y, m, d).map(Date).map_err(|_| err())
    }

    /// Builds a date from its parts; `None` when the day does not exist.
    pub fn from_ymd(year: i16, month: i8, day: i8) -> Option<Self> {
        jiff::civil::Date::new(year, month, day).ok().map(Date)
    }

    pub fn year(self) -> i16 {
        self.0.year()
    }

    /// The same day `years` later; 29 February becomes 28 February in a year without one
    /// (LEGAL.md: "29 February + 10 years = 28 February").
    pub fn plus_years(self, years: i16) -> Self {
        // The span is small and the year range bounded, so this cannot overflow for dates we parse;
        // saturate at the maximum rather than panic if it ever did.
        Date(self.0.checked_add(i64::from(years).years()).unwrap_or(jiff::civil::Date::MAX))
    }

    /// The same day `days` later (or earlier, when negative), saturating at the calendar's ends.
    pub fn plus_days(self, days: i64) -> Self {
        let fallback = if days < 0 { jiff::civil::Date::MIN } else { jiff::civil::Date::MAX };
        Date(self.0.checked_add(days.days()).unwrap_or(fallback))
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        let epoch = jiff::civil::date(1970, 1, 1);
        i64::from(self.0.since(epoch).map(|s| s.get_days()).unwrap_or(0))
    }

    pub fn inner(self) -> jiff::civil::Date {
        self.0
    }

    /// Wraps a `jiff` civil date (the day of a zoned date-time, for the inbox's clocks).
    pub fn from_civil(d: jiff::civil::Date) -> Date {
        Date(d)
    }

    /// The UTC calendar day of a Unix time in seconds (the caller reads the clock: the core does
    /// no I/O).
    pub fn from_unix_seconds(seconds: i64) -> Self {
        let ts = jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        Date(ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = (self.0.year(), self.0.month(), self.0.day());
        // Written by hand: an import formats two dates per event, and `write!` with padding costs
        // several times more. Years outside 0..=9999 (never produced by `parse`) take the slow way.
        let Ok(y) = u16::try_from(year) else {
            return write!(f, "{year:04}-{month:02}-{day:02}");
        };
        if y > 9999 {
            return write!(f, "{year:04}-{month:02}-{day:02}");
        }
        let digit = |v: u16| b'0' + (v % 10) as u8;
        let (m, d) = (month as u16, day as u16);
        let b = [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ];
        f.pad(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        let got = Date::parse(input).ok().map(|d| d.to_string());
        assert_eq!(got.as_deref(), expected, "parsing {input:?}");
    }

    #[test]
    fn display_is_iso_8601_for_every_day_and_respects_width() {
        let mut d = Date::from_ymd(1, 1, 1).unwrap();
        let mut checked = 0;
        // Up to 9999-09-01: adding days saturates at the end of the range.
        while d.year() < 9999 || d.inner().month() < 9 {
            let c = d.inner();
            assert_eq!(d.to_string(), format!("{:04}-{:02}-{:02}", c.year(), c.month(), c.day()));
            // Every day of the years around now, then one day in 97 across the whole range.
            d = if (1990..2100).contains(&c.year()) { d.plus_days(1) } else { d.plus_days(97) };
            checked += 1;
        }
        assert!(checked > 40_000, "{checked}");
        assert_eq!(format!("[{:>12}]", Date::from_ymd(2026, 3, 9).unwrap()), "[  2026-03-09]");
        assert_eq!(Date::from_ymd(-5, 1, 2).unwrap().to_string(), "-005-01-02");
    }

    #[test]
    fn parses_dates_and_rejects_the_rest() {
        check("2026-03-31", Some("2026-03-31"));
        check(" 2026-03-31 ", Some("2026-03-31"));
        check("2026-03-31T23:59:59Z", Some("2026-03-31"));
        check("2024-02-29", Some("2024-02-29"));
        check("2023-02-29", None);
        check("2026-13-01", None);
        check("2026-00-10", None);
        check("26-03-31", None);
        check("31/03/2026", None);
        check("2026-3-31", None);
        check("2026-03-31x", None);
        check("", None);
        check("1899-12-31", None);
        check("٢٠٢٦-03-31", None);
    }

    #[test]
    fn ten_years_after_29_february_is_28_february() {
        let cases = [
            ("2024-02-29", "2034-02-28"),
            ("2020-02-29", "2030-02-28"),
            ("2016-02-29", "2026-02-28"),
            ("2024-02-28", "2034-02-28"),
            ("2024-03-01", "2034-03-01"),
            ("2026-12-31", "2036-12-31"),
        ];
        for (from, to) in cases {
            let d = Date::parse(from).unwrap();
            assert_eq!(d.plus_years(10).to_string(), to, "{from} + 10 years");
        }
        // 40 years after a leap day lands on a leap year again: the day is kept.
        assert_eq!(Date::parse("2024-02-29").unwrap().plus_years(40).to_string(), "2064-02-29");
    }

    #[test]
    fn days_since_epoch_is_exact() {
        assert_eq!(Date::parse("1970-01-01").unwrap().days_since_epoch(), 0);
        assert_eq!(Date::parse("2000-03-01").unwrap().days_since_epoch(), 11017);
        assert_eq!(Date::parse("1969-12-31").unwrap().days_since_epoch(), -1);
    }
}
