//! Parsing of individual cell values: numbers, timestamps and booleans as shop exports write them.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Parses a plain decimal number ("12", "-3.5", "1e3"). Thousands separators and currency symbols are
/// rejected rather than guessed at.
pub fn parse_number(s: &str) -> Option<f64> {
    let x: f64 = s.parse().ok()?;
    x.is_finite().then_some(x)
}

/// Parses an ISO date or datetime into seconds since the Unix epoch. Accepts `YYYY-MM-DD`,
/// `YYYY/MM/DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]`, the same with `T`, and RFC 3339 with an offset
/// (converted to UTC). Naive times are taken as UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = fast_iso(s.as_bytes()) {
        return Some(t);
    }
    if s.len() == 10 {
        for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
            if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
                return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
            }
        }
        return None;
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp());
        }
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp())
        .or_else(|| {
            DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z")
                .ok()
                .map(|t| t.timestamp())
        })
}

/// The common exact forms `YYYY-MM-DD` and `YYYY-MM-DD[ T]HH:MM:SS`, parsed without allocation
/// (order tables have millions of them). Anything else returns None and takes the general path.
fn fast_iso(b: &[u8]) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    if !(b.len() == 10 || b.len() == 19) || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if b.len() == 19 {
        if !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        secs += hh * 3600 + mm * 60 + ss;
    }
    Some(secs)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses the usual spellings of a boolean; empty means false.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "" | "false" | "f" | "no" | "n" | "0" | "0.0" => Some(false),
        "true" | "t" | "yes" | "y" | "1" | "1.0" => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400));
        assert_eq!(parse_timestamp("1970/01/02"), Some(86_400));
        assert_eq!(parse_timestamp("1970-01-01 00:01:00"), Some(60));
        assert_eq!(parse_timestamp("1970-01-01T00:01:00"), Some(60));
        assert_eq!(parse_timestamp("1970-01-01 00:01:00.250"), Some(60));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2024-02-30"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("03/04/2024"), None);
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "2024-02-29",
            "1999-12-31 23:59:59",
            "2000-03-01T00:00:00",
            "1969-07-20 20:17:40",
            "2026-11-25",
            "1900-02-28",
        ] {
            let slow = if s.len() == 10 {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    .and_utc()
                    .timestamp()
            } else {
                NaiveDateTime::parse_from_str(&s.replace('T', " "), "%Y-%m-%d %H:%M:%S")
                    .unwrap()
                    .and_utc()
                    .timestamp()
            };
            assert_eq!(fast_iso(s.as_bytes()), Some(slow), "{s}");
        }
        assert_eq!(fast_iso(b"2023-02-29"), None);
        assert_eq!(fast_iso(b"2023-13-01"), None);
        assert_eq!(fast_iso(b"2023-01-01 24:00:00"), None);
        assert_eq!(fast_iso(b"2023-01-0x"), None);
    }

    #[test]
    fn numbers_and_bools() {
        assert_eq!(parse_number("12.5"), Some(12.5));
        assert_eq!(parse_number("-1"), Some(-1.0));
        assert_eq!(parse_number("$12"), None);
        assert_eq!(parse_number("1,000"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool(""), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
