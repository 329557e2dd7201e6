//! The generator's output plumbing: calendar and CSV.
//!
//! This module owns the pre-formatted date table relative to [`AS_OF`] (with month and
//! weekday per day, and the day-weight samplers), the allocation-free CSV field writers, and
//! [`Sink`], a line buffer in front of an atomically committed file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::profiles::MONTH_WEIGHTS;
use super::{DemoError, AS_OF};
use crate::util::AtomicFile;

/// Days back from [`AS_OF`] covered by the date table.
pub(super) const MAX_BACK: u32 = 3000;

/// Pre-formatted dates for each day back from `AS_OF`, plus their month (0-based) and
/// weekday (0 = Monday).
pub(super) struct Calendar {
    dates: Vec<[u8; 10]>,
    months: Vec<u8>,
    weekdays: Vec<u8>,
}

impl Calendar {
    pub(super) fn new() -> Result<Self, DemoError> {
        let as_of = NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d")
            .map_err(|e| DemoError::Invalid(format!("bad AS_OF date {AS_OF}: {e}")))?;
        let mut dates = Vec::with_capacity(MAX_BACK as usize + 1);
        let mut months = Vec::with_capacity(MAX_BACK as usize + 1);
        let mut weekdays = Vec::with_capacity(MAX_BACK as usize + 1);
        for back in 0..=MAX_BACK {
            let d = as_of
                .checked_sub_days(Days::new(u64::from(back)))
                .ok_or_else(|| DemoError::Invalid("date out of range".into()))?;
            let mut s = [0u8; 10];
            let y = d.year().max(0) as u32;
            write_digits(&mut s[0..4], y);
            s[4] = b'-';
            write_digits(&mut s[5..7], d.month());
            s[7] = b'-';
            write_digits(&mut s[8..10], d.day());
            dates.push(s);
            months.push(d.month0() as u8);
            weekdays.push(d.weekday().num_days_from_monday() as u8);
        }
        Ok(Self {
            dates,
            months,
            weekdays,
        })
    }

    pub(super) fn date(&self, back: u32) -> &[u8; 10] {
        &self.dates[(back.min(MAX_BACK)) as usize]
    }

    /// A day in `lo..=hi` days back, favouring the busy months.
    pub(super) fn seasonal_back(&self, rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> u32 {
        let hi = hi.max(lo).min(MAX_BACK);
        let lo = lo.min(hi);
        let max_w = MONTH_WEIGHTS.iter().copied().fold(0.0, f64::max);
        let mut b = lo;
        for _ in 0..16 {
            b = rng.gen_range(lo..=hi);
            let w = MONTH_WEIGHTS[self.months[b as usize] as usize];
            if rng.gen::<f64>() * max_w < w {
                break;
            }
        }
        b
    }

    /// Cumulative day weights (`table[b + 1] - table[b]` is day `b`'s weight) for an
    /// archetype's month and weekday preferences, to sample with [`Calendar::table_back`].
    pub(super) fn day_table(&self, months: &[f64; 12], weekdays: &[f64; 7]) -> Vec<f64> {
        let mut table = Vec::with_capacity(self.months.len() + 1);
        let mut acc = 0.0;
        table.push(acc);
        for (m, d) in self.months.iter().zip(&self.weekdays) {
            acc += (months[*m as usize] * weekdays[*d as usize]).max(0.0);
            table.push(acc);
        }
        table
    }

    /// A day in `lo..=hi` days back, drawn exactly from a [`Calendar::day_table`] (one draw).
    pub(super) fn table_back(table: &[f64], rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> u32 {
        let hi = hi.max(lo).min(MAX_BACK);
        let lo = lo.min(hi);
        let (a, b) = (table[lo as usize], table[hi as usize + 1]);
        let u: f64 = rng.gen();
        if b <= a {
            return lo + ((f64::from(hi - lo) + 1.0) * u) as u32;
        }
        let target = a + (b - a) * u;
        let pos = table.partition_point(|&c| c <= target);
        (pos.saturating_sub(1) as u32).clamp(lo, hi)
    }
}

/// Writes `v` as zero-padded decimal filling `out` exactly.
fn write_digits(out: &mut [u8], mut v: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

pub(super) fn push_uint(buf: &mut Vec<u8>, v: u64) {
    push_padded(buf, v, 1);
}

pub(super) fn push_padded(buf: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let digits = tmp.len() - i;
    for _ in digits..width {
        buf.push(b'0');
    }
    buf.extend_from_slice(&tmp[i..]);
}

pub(super) fn push_money(buf: &mut Vec<u8>, cents: i64) {
    let cents = cents.max(0) as u64;
    push_uint(buf, cents / 100);
    buf.push(b'.');
    push_padded(buf, cents % 100, 2);
}

pub(super) fn push_time(buf: &mut Vec<u8>, sec: u32) {
    let mut s = [0u8; 8];
    write_digits(&mut s[0..2], sec / 3600);
    s[2] = b':';
    write_digits(&mut s[3..5], (sec / 60) % 60);
    s[5] = b':';
    write_digits(&mut s[6..8], sec % 60);
    buf.extend_from_slice(&s);
}

/// Writes a CSV field with RFC 4180 quoting where needed.
pub(super) fn push_field(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

pub(super) fn push_id(buf: &mut Vec<u8>, prefix: u8, n: usize, width: usize) {
    buf.push(prefix);
    push_padded(buf, n as u64, width);
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One output CSV: a line buffer in front of an [`AtomicFile`].
pub(super) struct Sink {
    path: PathBuf,
    file: AtomicFile,
    pub(super) buf: Vec<u8>,
}

impl Sink {
    pub(super) fn create(path: PathBuf, header: &str) -> Result<Self, DemoError> {
        let file = AtomicFile::create(&path).map_err(io_err(&path))?;
        let mut buf = Vec::with_capacity(1 << 17);
        buf.extend_from_slice(header.as_bytes());
        buf.push(b'\n');
        Ok(Self { path, file, buf })
    }

    pub(super) fn flush_if_full(&mut self) -> Result<(), DemoError> {
        if self.buf.len() >= 1 << 16 {
            self.file.write_all(&self.buf).map_err(io_err(&self.path))?;
            self.buf.clear();
        }
        Ok(())
    }

    pub(super) fn commit(mut self) -> Result<(), DemoError> {
        self.file.write_all(&self.buf).map_err(io_err(&self.path))?;
        self.file.commit().map_err(io_err(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_follows_rfc4180() {
        let mut b = Vec::new();
        push_field(&mut b, "plain");
        b.push(b'|');
        push_field(&mut b, "a, \"b\"");
        assert_eq!(String::from_utf8(b).unwrap(), "plain|\"a, \"\"b\"\"\"");
        let mut m = Vec::new();
        push_money(&mut m, 1205);
        m.push(b' ');
        push_money(&mut m, 7);
        assert_eq!(String::from_utf8(m).unwrap(), "12.05 0.07");
    }
}
