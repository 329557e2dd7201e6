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
