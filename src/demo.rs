//! Synthetic demo shop generator (`seglens demo-data`).
//!
//! This module owns the deterministic, seed-driven generation of a realistic online shop:
//! a product catalogue, customers drawn from seven planted behavioural archetypes, their
//! order lines, browsing events, reviews, and the ground-truth file that lets tests check
//! whether segmentation recovers the archetypes. It owns nothing about reading or
//! segmenting data; word lists and templates live in `demo_text.rs`.
//!
//! Determinism: one `ChaCha8Rng` stream (seeded from the user's seed) drives the catalogue,
//! customers and orders; events and review texts use their own streams of the same seed,
//! so switching `--events`/`--reviews` never changes customers or orders. Nothing depends
//! on the wall clock: all dates are relative to [`AS_OF`].

#[path = "demo_text.rs"]
mod text;

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::util::AtomicFile;
use text::{
    CatSpec, CATEGORIES, CAT_SPECS, CLOSERS, COUNTRIES, NCAT, NTHEMES, OPENERS, QUERIES, REVIEWS,
    SIZES, THEME_COMPARE, THEME_DELIVERY, THEME_FIT, THEME_FIT_BEAUTY, THEME_GENERIC,
    THEME_QUALITY, THEME_TECH, THEME_TREND, THEME_VALUE,
};

/// The planted archetypes, in the order used by [`DemoSummary::archetype_counts`] and the
/// truth file; tests compare recovered segments against these labels.
pub const ARCHETYPES: [&str; 7] = [
    "electronics_enthusiast",
    "fashion_beauty_browser",
    "new_arrival_follower",
    "promo_hunter",
    "window_shopper",
    "loyal_high_value",
    "lapsed",
];

/// The two archetypes that behave alike and differ mainly in what their reviews and search
/// queries talk about; only text features can tell them apart.
pub const TEXT_ONLY_PAIR: (&str, &str) = ("fashion_beauty_browser", "new_arrival_follower");

/// The demo's fixed "today": every date in the demo shop is relative to this day, so the
/// output never depends on when the generator runs.
pub const AS_OF: &str = "2026-07-01";

/// What `seglens demo-data` should write; mirrors the command-line flags.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of customers to generate (must be > 0).
    pub customers: usize,
    /// Seed: the same seed and options give byte-identical files.
    pub seed: u64,
    /// Directory receiving the shop's CSV files (created if missing).
    pub out: PathBuf,
    /// Where to write `truth.csv`; `None` puts it beside `out` (in its parent), never inside.
    pub truth: Option<PathBuf>,
    /// Whether to write `events.csv`.
    pub events: bool,
    /// Whether to write `reviews.csv`.
    pub reviews: bool,
}

/// What was generated, so the CLI can report it and tests can check it.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Customers written.
    pub customers: usize,
    /// Order lines written to `orders.csv`.
    pub order_lines: usize,
    /// Events written (0 when events are off).
    pub events: usize,
    /// Reviews written (0 when reviews are off).
    pub reviews: usize,
    /// Where the ground truth was written.
    pub truth_path: PathBuf,
    /// Customers per archetype, in [`ARCHETYPES`] order.
    pub archetype_counts: Vec<(&'static str, usize)>,
}

/// Why demo generation failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A file or directory could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The options make no sense (e.g. zero customers, truth inside the output directory).
    #[error("{0}")]
    Invalid(String),
}

// ---------------------------------------------------------------------------------------
// Archetype profiles
// ---------------------------------------------------------------------------------------

/// Archetype shares in percent (same order as [`ARCHETYPES`]).
const SHARES: [f64; 7] = [14.0, 15.0, 13.0, 16.0, 15.0, 10.0, 17.0];

/// Index of the grocery category (bought in larger quantities).
const GROCERY: usize = 7;

/// Return-probability multiplier per category (fashion sizes come back most).
const RETURN_FACTOR: [f64; NCAT] = [0.6, 1.6, 0.7, 0.8, 0.9, 0.3, 0.6, 0.3];

/// Event types, in the order of `Profile::events`.
const EVENT_TYPES: [&str; 5] = ["view", "search", "add_to_cart", "wishlist", "share"];
const EV_SEARCH: usize = 1;

/// Relative weight of each hour of the day for orders and events.
const HOUR_WEIGHTS: [f64; 24] = [
    1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.0, 2.2, 2.4, 2.6, 3.0, 2.8, 2.6, 2.6, 2.8, 3.0, 3.4,
    4.0, 4.4, 4.2, 3.2, 2.0,
];

/// Seasonality of orders per month (index 0 = January); November and December peak.
const MONTH_WEIGHTS: [f64; 12] = [
    0.8, 0.8, 0.95, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.05, 1.5, 1.8,
];

/// Days back from [`AS_OF`] covered by the date table.
const MAX_BACK: u32 = 3000;
/// Days back covered by the events log.
const EVENT_WINDOW: u32 = 364;
/// Share of customers with a secondary archetype blended into their category tastes.
const SECONDARY_P: f64 = 0.08;
/// Share of order lines in a uniformly random ("one-off") category.
const ONE_OFF_P: f64 = 0.05;

/// How many orders a customer of an archetype places.
enum OrderCount {
    /// Log-normal around a median, rounded and clamped.
    LogNormal {
        median: f64,
        sigma: f64,
        min: u32,
        max: u32,
    },
    /// Probabilities of 0, 1 and 2 orders.
    Small([f64; 3]),
}

/// How long ago a customer's last order was.
enum Recency {
    /// Exponential with this mean (days), capped.
    Recent { mean: f64, max: u32 },
    /// Uniform in this range (days): the customer has stopped buying.
    Lapsed { min: u32, max: u32 },
    /// No constraint: orders anywhere since signup.
    Anywhere,
}

/// The distributions a customer's own parameters are drawn from.
struct Profile {
    cat_weights: [f64; NCAT],
    orders: OrderCount,
    /// Mean of the Poisson number of extra lines per order.
    lines_extra: f64,
    /// Mean of the Poisson extra quantity per line.
    qty_extra: f64,
    /// Signup between this many days back (inclusive).
    signup_back: (u32, u32),
    recency: Recency,
    /// Beta(mean, concentration) of the price percentile a customer buys at.
    price_pref: (f64, f64),
    /// Probability of deliberately picking a new arrival for recent purchases and views.
    new_bias: f64,
    /// Beta(mean, concentration) of the share of lines with a discount.
    disc_prob: (f64, f64),
    /// Customer's typical discount depth (share of line value) drawn uniformly from here.
    disc_depth: (f64, f64),
    /// Clamp for a single line's discount depth.
    depth_clamp: (f64, f64),
    /// Beta(mean, concentration) of the base return probability.
    return_rate: (f64, f64),
    /// Poisson means of yearly events: view, search, add_to_cart, wishlist, share.
    events: [f64; 5],
    /// Browse all categories evenly (high-entropy browsing).
    uniform_browse: bool,
    /// Probability that the customer uses search at all.
    searcher: f64,
    /// Probability that the customer writes reviews at all.
    reviewer: f64,
    /// Poisson mean of reviews beyond the first.
    reviews_extra: f64,
    rating_mean: f64,
    theme: usize,
    theme_p: f64,
    gender: [f64; 3],
    channel: [f64; 4],
    age: (f64, f64),
}

/// Fashion/beauty browsing behaviour, shared by both archetypes of the text-only pair.
const FASHION_BEAUTY: Profile = Profile {
    cat_weights: [0.03, 0.52, 0.33, 0.04, 0.03, 0.02, 0.01, 0.02],
    orders: OrderCount::LogNormal {
        median: 5.8,
        sigma: 0.25,
        min: 3,
        max: 10,
    },
    lines_extra: 0.8,
    qty_extra: 0.1,
    signup_back: (120, 1000),
    recency: Recency::Recent {
        mean: 35.0,
        max: 150,
    },
    price_pref: (0.5, 8.0),
    new_bias: 0.0,
    disc_prob: (0.25, 12.0),
    disc_depth: (0.1, 0.25),
    depth_clamp: (0.05, 0.4),
    return_rate: (0.14, 20.0),
    events: [22.0, 4.0, 6.0, 6.0, 1.0],
    uniform_browse: false,
    searcher: 0.4,
    reviewer: 0.65,
    reviews_extra: 1.0,
    rating_mean: 3.9,
    theme: THEME_FIT,
    theme_p: 0.85,
    gender: [0.7, 0.26, 0.04],
    channel: [0.33, 0.42, 0.1, 0.15],
    age: (30.0, 8.0),
};

const PROFILES: [Profile; 7] = [
    // electronics_enthusiast
    Profile {
        cat_weights: [0.74, 0.03, 0.01, 0.07, 0.05, 0.05, 0.03, 0.02],
        orders: OrderCount::LogNormal {
            median: 12.5,
            sigma: 0.3,
            min: 7,
            max: 22,
        },
        lines_extra: 0.3,
        qty_extra: 0.05,
        signup_back: (200, 950),
        recency: Recency::Recent {
            mean: 18.0,
            max: 90,
        },
        price_pref: (0.75, 10.0),
        new_bias: 0.0,
        disc_prob: (0.07, 20.0),
        disc_depth: (0.05, 0.12),
        depth_clamp: (0.03, 0.25),
        return_rate: (0.03, 30.0),
        events: [18.0, 7.0, 3.0, 1.5, 0.4],
        uniform_browse: false,
        searcher: 0.7,
        reviewer: 0.3,
        reviews_extra: 0.8,
        rating_mean: 4.1,
        theme: THEME_TECH,
        theme_p: 0.8,
        gender: [0.3, 0.66, 0.04],
        channel: [0.45, 0.35, 0.15, 0.05],
        age: (33.0, 9.0),
    },
    // fashion_beauty_browser
    FASHION_BEAUTY,
    // new_arrival_follower: same behaviour, different talk (and a taste for new drops)
    Profile {
        new_bias: 0.3,
        events: [22.0, 4.0, 6.0, 6.0, 1.4],
        theme: THEME_TREND,
        channel: [0.3, 0.42, 0.08, 0.2],
        ..FASHION_BEAUTY
    },
    // promo_hunter
    Profile {
        cat_weights: [0.04, 0.05, 0.18, 0.24, 0.04, 0.03, 0.14, 0.28],
        orders: OrderCount::LogNormal {
            median: 10.0,
            sigma: 0.3,
            min: 5,
            max: 20,
        },
        lines_extra: 1.1,
        qty_extra: 0.4,
        signup_back: (120, 1000),
        recency: Recency::Recent {
            mean: 25.0,
            max: 120,
        },
        price_pref: (0.2, 8.0),
        new_bias: 0.0,
        disc_prob: (0.75, 20.0),
        disc_depth: (0.25, 0.42),
        depth_clamp: (0.2, 0.5),
        return_rate: (0.08, 20.0),
        events: [10.0, 6.0, 5.0, 0.8, 0.3],
        uniform_browse: false,
        searcher: 0.7,
        reviewer: 0.25,
        reviews_extra: 0.6,
        rating_mean: 3.7,
        theme: THEME_VALUE,
        theme_p: 0.8,
        gender: [0.5, 0.46, 0.04],
        channel: [0.3, 0.2, 0.4, 0.1],
        age: (42.0, 13.0),
    },
    // window_shopper
    Profile {
        cat_weights: [0.125; NCAT],
        orders: OrderCount::Small([0.35, 0.40, 0.25]),
        lines_extra: 0.8,
        qty_extra: 0.05,
        signup_back: (20, 1000),
        recency: Recency::Anywhere,
        price_pref: (0.45, 6.0),
        new_bias: 0.0,
        disc_prob: (0.15, 10.0),
        disc_depth: (0.1, 0.25),
        depth_clamp: (0.05, 0.4),
        return_rate: (0.1, 10.0),
        events: [40.0, 12.0, 2.0, 3.0, 0.4],
        uniform_browse: true,
        searcher: 0.85,
        reviewer: 0.05,
        reviews_extra: 0.0,
        rating_mean: 3.6,
        theme: THEME_GENERIC,
        theme_p: 0.75,
        gender: [0.5, 0.46, 0.04],
        channel: [0.5, 0.3, 0.1, 0.1],
        age: (35.0, 13.0),
    },
    // loyal_high_value
    Profile {
        cat_weights: [0.14, 0.27, 0.10, 0.33, 0.07, 0.04, 0.03, 0.02],
        orders: OrderCount::LogNormal {
            median: 30.0,
            sigma: 0.3,
            min: 14,
            max: 45,
        },
        lines_extra: 0.8,
        qty_extra: 0.15,
        signup_back: (1095, 2190),
        recency: Recency::Recent {
            mean: 12.0,
            max: 60,
        },
        price_pref: (0.66, 10.0),
        new_bias: 0.0,
        disc_prob: (0.07, 20.0),
        disc_depth: (0.05, 0.12),
        depth_clamp: (0.03, 0.25),
        return_rate: (0.04, 30.0),
        events: [10.0, 2.0, 6.0, 2.0, 0.6],
        uniform_browse: false,
        searcher: 0.2,
        reviewer: 0.75,
        reviews_extra: 1.5,
        rating_mean: 4.6,
        theme: THEME_QUALITY,
        theme_p: 0.8,
        gender: [0.5, 0.46, 0.04],
        channel: [0.4, 0.5, 0.05, 0.05],
        age: (47.0, 11.0),
    },
    // lapsed
    Profile {
        cat_weights: [0.14, 0.16, 0.12, 0.16, 0.12, 0.10, 0.10, 0.10],
        orders: OrderCount::LogNormal {
            median: 5.5,
            sigma: 0.35,
            min: 3,
            max: 10,
        },
        lines_extra: 0.4,
        qty_extra: 0.15,
        signup_back: (730, 1825),
        recency: Recency::Lapsed { min: 365, max: 900 },
        price_pref: (0.45, 6.0),
        new_bias: 0.0,
        disc_prob: (0.2, 10.0),
        disc_depth: (0.1, 0.25),
        depth_clamp: (0.05, 0.4),
        return_rate: (0.12, 12.0),
        events: [0.6, 0.2, 0.1, 0.1, 0.0],
        uniform_browse: false,
        searcher: 0.05,
        reviewer: 0.3,
        reviews_extra: 0.6,
        rating_mean: 2.5,
        theme: THEME_DELIVERY,
        theme_p: 0.7,
        gender: [0.5, 0.46, 0.04],
        channel: [0.55, 0.2, 0.2, 0.05],
        age: (44.0, 14.0),
    },
];

const GENDERS: [&str; 3] = ["F", "M", "X"];
const CHANNELS: [&str; 4] = ["web", "app", "marketplace", "social"];

// ---------------------------------------------------------------------------------------
// Random helpers (kept local so no distribution constructor can fail)
// ---------------------------------------------------------------------------------------

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.gen::<f64>()
}

/// Gamma(shape, 1) by Marsaglia–Tsang.
fn gamma(rng: &mut ChaCha8Rng, shape: f64) -> f64 {
    if shape <= 0.0 {
        return 0.0;
    }
    if shape < 1.0 {
        let u: f64 = rng.gen();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = rng.gen();
        if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// Beta distribution parameterised by mean and concentration (a + b).
fn beta(rng: &mut ChaCha8Rng, (mean, conc): (f64, f64)) -> f64 {
    let x = gamma(rng, mean * conc);
    let y = gamma(rng, (1.0 - mean) * conc);
    if x + y > 0.0 {
        x / (x + y)
    } else {
        mean
    }
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let limit = (-lambda).exp();
        let mut k = 0u32;
        let mut p = rng.gen::<f64>();
        while p > limit {
            k += 1;
            p *= rng.gen::<f64>();
        }
        k
    } else {
        (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32
    }
}

fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.gen::<f64>()).ln()
}

fn weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut r = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    weights.len().saturating_sub(1)
}

fn choose<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or("")
}

/// Seconds since midnight, following the daily traffic curve.
fn sample_sec(rng: &mut ChaCha8Rng) -> u32 {
    let hour = weighted(rng, &HOUR_WEIGHTS) as u32;
    hour * 3600 + rng.gen_range(0..3600)
}

// ---------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------

/// Pre-formatted dates for each day back from `AS_OF`, plus their month (0-based).
struct Calendar {
    dates: Vec<[u8; 10]>,
    months: Vec<u8>,
}

impl Calendar {
    fn new() -> Result<Self, DemoError> {
        let as_of = NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d")
            .map_err(|e| DemoError::Invalid(format!("bad AS_OF date {AS_OF}: {e}")))?;
        let mut dates = Vec::with_capacity(MAX_BACK as usize + 1);
        let mut months = Vec::with_capacity(MAX_BACK as usize + 1);
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
        }
        Ok(Self { dates, months })
    }

    fn date(&self, back: u32) -> &[u8; 10] {
        &self.dates[(back.min(MAX_BACK)) as usize]
    }

    /// A day in `lo..=hi` days back, favouring the busy months.
    fn seasonal_back(&self, rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> u32 {
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
}

/// Writes `v` as zero-padded decimal filling `out` exactly.
fn write_digits(out: &mut [u8], mut v: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

// ---------------------------------------------------------------------------------------
// CSV output
// ---------------------------------------------------------------------------------------

fn push_uint(buf: &mut Vec<u8>, v: u64) {
    push_padded(buf, v, 1);
}

fn push_padded(buf: &mut Vec<u8>, mut v: u64, width: usize) {
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

fn push_money(buf: &mut Vec<u8>, cents: i64) {
    let cents = cents.max(0) as u64;
    push_uint(buf, cents / 100);
    buf.push(b'.');
    push_padded(buf, cents % 100, 2);
}

fn push_time(buf: &mut Vec<u8>, sec: u32) {
    let mut s = [0u8; 8];
    write_digits(&mut s[0..2], sec / 3600);
    s[2] = b':';
    write_digits(&mut s[3..5], (sec / 60) % 60);
    s[5] = b':';
    write_digits(&mut s[6..8], sec % 60);
    buf.extend_from_slice(&s);
}

/// Writes a CSV field with RFC 4180 quoting where needed.
fn push_field(buf: &mut Vec<u8>, s: &str) {
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

fn push_id(buf: &mut Vec<u8>, prefix: u8, n: usize, width: usize) {
    buf.push(prefix);
    push_padded(buf, n as u64, width);
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One output CSV: a line buffer in front of an [`AtomicFile`].
struct Sink {
    path: PathBuf,
    file: AtomicFile,
    buf: Vec<u8>,
}

impl Sink {
    fn create(path: PathBuf, header: &str) -> Result<Self, DemoError> {
        let file = AtomicFile::create(&path).map_err(io_err(&path))?;
        let mut buf = Vec::with_capacity(1 << 17);
        buf.extend_from_slice(header.as_bytes());
        buf.push(b'\n');
        Ok(Self { path, file, buf })
    }

    fn flush_if_full(&mut self) -> Result<(), DemoError> {
        if self.buf.len() >= 1 << 16 {
            self.file.write_all(&self.buf).map_err(io_err(&self.path))?;
            self.buf.clear();
        }
        Ok(())
    }

    fn commit(mut self) -> Result<(), DemoError> {
        self.file.write_all(&self.buf).map_err(io_err(&self.path))?;
        self.file.commit().map_err(io_err(&self.path))
    }
}

// ---------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------

struct Product {
    name: String,
    cat: usize,
    brand: &'static str,
    cents: i64,
    launch_back: u32,
    noun: &'static str,
}

struct Catalogue {
    products: Vec<Product>,
    /// Product indices per category, cheapest first.
    by_price: [Vec<usize>; NCAT],
    /// New arrivals per category.
    new_arrivals: [Vec<usize>; NCAT],
    /// The longest-available product per category (always purchasable).
    oldest: [usize; NCAT],
}

fn product_name(rng: &mut ChaCha8Rng, spec: &CatSpec, noun: &str) -> String {
    let mut name = String::with_capacity(40);
    if !spec.noun_in_name {
        name.push_str("The ");
    }
    name.push_str(choose(rng, spec.first));
    if !spec.second.is_empty() && rng.gen::<f64>() < spec.second_p {
        name.push(' ');
        name.push_str(choose(rng, spec.second));
    }
    if spec.noun_in_name {
        name.push(' ');
        name.push_str(noun);
    }
    if !spec.suffixes.is_empty() && rng.gen::<f64>() < spec.suffix_p {
        name.push_str(choose(rng, spec.suffixes));
    }
    name
}

impl Catalogue {
    fn generate(rng: &mut ChaCha8Rng) -> Self {
        let mut products = Vec::with_capacity(600);
        let mut seen = HashSet::new();
        for (cat, spec) in CAT_SPECS.iter().enumerate() {
            for _ in 0..spec.count {
                let (mut noun, mut median) =
                    spec.nouns.choose(rng).copied().unwrap_or(("Item", 10.0));
                let mut name = product_name(rng, spec, noun);
                for _ in 0..30 {
                    if !seen.contains(&name) {
                        break;
                    }
                    (noun, median) = spec.nouns.choose(rng).copied().unwrap_or(("Item", 10.0));
                    name = product_name(rng, spec, noun);
                }
                if seen.contains(&name) {
                    name.push_str(" Edition ");
                    name.push_str(&(products.len() + 1).to_string());
                }
                seen.insert(name.clone());
                let price = (median * (spec.sigma * normal(rng)).exp())
                    .clamp(spec.price_range.0, spec.price_range.1 - 1.0);
                let ending = match rng.gen_range(0..10) {
                    0..=6 => 99,
                    7..=8 => 49,
                    _ => 0,
                };
                let cents = (price.floor() as i64) * 100 + ending;
                let launch_back = if rng.gen::<f64>() < 0.2 {
                    rng.gen_range(1..=90)
                } else {
                    91 + (2809.0 * rng.gen::<f64>().sqrt()) as u32
                };
                products.push(Product {
                    name,
                    cat,
                    brand: choose(rng, spec.brands),
                    cents,
                    launch_back,
                    noun,
                });
            }
        }
        let mut by_price: [Vec<usize>; NCAT] = std::array::from_fn(|_| Vec::new());
        let mut new_arrivals: [Vec<usize>; NCAT] = std::array::from_fn(|_| Vec::new());
        let mut oldest = [0usize; NCAT];
        for (i, p) in products.iter().enumerate() {
            by_price[p.cat].push(i);
            if p.launch_back <= 90 {
                new_arrivals[p.cat].push(i);
            }
            if by_price[p.cat].len() == 1 || p.launch_back > products[oldest[p.cat]].launch_back {
                oldest[p.cat] = i;
            }
        }
        for list in by_price.iter_mut() {
            list.sort_by_key(|&i| (products[i].cents, i));
        }
        Self {
            products,
            by_price,
            new_arrivals,
            oldest,
        }
    }

    /// A product of `cat` available `back` days ago, near the customer's price percentile.
    fn pick(&self, rng: &mut ChaCha8Rng, cat: usize, pref: f64, back: u32, new_bias: f64) -> usize {
        if new_bias > 0.0 && back < 90 && rng.gen::<f64>() < new_bias {
            let list = &self.new_arrivals[cat];
            for _ in 0..4 {
                if let Some(&p) = list.choose(rng) {
                    if self.products[p].launch_back >= back {
                        return p;
                    }
                }
            }
        }
        let list = &self.by_price[cat];
        if !list.is_empty() {
            for _ in 0..6 {
                let x = (pref + 0.18 * normal(rng)).clamp(0.0, 0.9999);
                let p = list[((x * list.len() as f64) as usize).min(list.len() - 1)];
                if self.products[p].launch_back >= back {
                    return p;
                }
            }
        }
        self.oldest[cat]
    }

    fn write(&self, sink: &mut Sink, cal: &Calendar) -> Result<(), DemoError> {
        for (i, p) in self.products.iter().enumerate() {
            let b = &mut sink.buf;
            push_id(b, b'P', i + 1, 5);
            b.push(b',');
            push_field(b, &p.name);
            b.push(b',');
            b.extend_from_slice(CATEGORIES[p.cat].as_bytes());
            b.push(b',');
            push_field(b, p.brand);
            b.push(b',');
            push_money(b, p.cents);
            b.push(b',');
            b.extend_from_slice(cal.date(p.launch_back));
            b.push(b'\n');
            sink.flush_if_full()?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Text filling
// ---------------------------------------------------------------------------------------

/// What template placeholders refer to.
struct FillCtx<'a> {
    product: &'a str,
    noun: &'a str,
    brand: &'a str,
    cat: usize,
}

fn push_lower(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
}

fn fill(out: &mut String, tpl: &str, ctx: &FillCtx<'_>, rng: &mut ChaCha8Rng) {
    let spec = &CAT_SPECS[ctx.cat];
    let mut chars = tpl.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            out.push(c);
            continue;
        }
        let key = chars.next();
        // skip the closing brace
        chars.next();
        match key {
            Some('p') => out.push_str(ctx.product),
            Some('n') => push_lower(out, ctx.noun),
            Some('a') => out.push_str(choose(rng, spec.attrs)),
            Some('b') => out.push_str(ctx.brand),
            Some('c') => out.push_str(CATEGORIES[ctx.cat]),
            Some('d') => out.push_str(&rng.gen_range(2..=25u32).to_string()),
            Some('s') => out.push_str(choose(rng, &SIZES)),
            Some('m') => push_lower(out, choose(rng, spec.first)),
            Some(other) => {
                out.push('{');
                out.push(other);
                out.push('}');
            }
            None => out.push('{'),
        }
    }
}

/// Swaps two adjacent letters somewhere in `s` (a realistic typo).
fn add_typo(s: &mut String, rng: &mut ChaCha8Rng) {
    let mut chars: Vec<char> = s.chars().collect();
    let candidates: Vec<usize> = (0..chars.len().saturating_sub(1))
        .filter(|&i| {
            chars[i].is_ascii_lowercase()
                && chars[i + 1].is_ascii_lowercase()
                && chars[i] != chars[i + 1]
        })
        .collect();
    if let Some(&i) = candidates.choose(rng) {
        chars.swap(i, i + 1);
        *s = chars.into_iter().collect();
    }
}

/// Index of the electronics category.
const ELECTRONICS: usize = 0;
/// Index of the fashion category.
const FASHION: usize = 1;
/// Index of the beauty category.
const BEAUTY: usize = 2;

/// Adapts a review theme to the reviewed product, so that a "detail" reviewer talks about fit
/// for a dress, shade for a foundation and materials for a lamp, and tech talk only ever
/// concerns electronics.
fn resolve_theme(theme: usize, cat: usize) -> usize {
    match theme {
        THEME_TECH if cat == ELECTRONICS => THEME_TECH,
        THEME_TECH => THEME_GENERIC,
        THEME_FIT | THEME_FIT_BEAUTY | THEME_COMPARE => match cat {
            FASHION => THEME_FIT,
            BEAUTY => THEME_FIT_BEAUTY,
            _ => THEME_COMPARE,
        },
        other => other,
    }
}

/// Review sentiment bucket for a rating: 0 negative, 1 mixed, 2 positive.
fn sentiment(rating: u32) -> usize {
    match rating {
        0..=2 => 0,
        3 => 1,
        _ => 2,
    }
}

fn build_review(
    out: &mut String,
    rng: &mut ChaCha8Rng,
    theme: usize,
    rating: u32,
    ctx: &FillCtx<'_>,
) {
    out.clear();
    let sent = sentiment(rating);
    if rng.gen::<f64>() < 0.3 {
        out.push_str(choose(rng, OPENERS[sent]));
        out.push(' ');
    }
    let main_list = REVIEWS[theme][sent];
    let main_idx = rng.gen_range(0..main_list.len());
    fill(out, main_list[main_idx], ctx, rng);
    if rng.gen::<f64>() < 0.5 {
        let second_theme = if rng.gen::<f64>() < 0.6 {
            theme
        } else {
            THEME_GENERIC
        };
        let list = REVIEWS[second_theme][sent];
        let mut idx = rng.gen_range(0..list.len());
        if second_theme == theme && idx == main_idx && list.len() > 1 {
            idx = (idx + 1) % list.len();
        }
        out.push(' ');
        fill(out, list[idx], ctx, rng);
    }
    if rng.gen::<f64>() < 0.25 {
        out.push(' ');
        out.push_str(choose(rng, CLOSERS[sent]));
    }
    if rng.gen::<f64>() < 0.06 {
        add_typo(out, rng);
    }
    if rng.gen::<f64>() < 0.07 {
        out.make_ascii_lowercase();
    }
    if rng.gen::<f64>() < 0.05 && out.ends_with('.') {
        out.pop();
    }
}

fn build_query(out: &mut String, rng: &mut ChaCha8Rng, arch: usize, cat: &mut usize) {
    let start = out.len();
    build_query_text(out, rng, arch, cat);
    if let Some(q) = out.get_mut(start..) {
        q.make_ascii_lowercase();
    }
}

fn build_query_text(out: &mut String, rng: &mut ChaCha8Rng, arch: usize, cat: &mut usize) {
    let set = &QUERIES[arch];
    if !set.full.is_empty() && rng.gen::<f64>() < set.full_p {
        if let Some(&(q, tag)) = set.full.choose(rng) {
            out.push_str(q);
            if (tag as usize) < NCAT {
                *cat = tag as usize;
            }
            return;
        }
    }
    let spec = &CAT_SPECS[*cat];
    let (noun, _) = spec.nouns.choose(rng).copied().unwrap_or(("item", 0.0));
    let ctx = FillCtx {
        product: "",
        noun,
        brand: choose(rng, spec.brands),
        cat: *cat,
    };
    let tpl = choose(rng, set.templates);
    fill(out, tpl, &ctx, rng);
    if rng.gen::<f64>() < 0.04 {
        add_typo(out, rng);
    }
}

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

/// Exact archetype quotas (largest remainder) in a shuffled order.
fn assign_archetypes(rng: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
    let total: f64 = SHARES.iter().sum();
    let exact: Vec<f64> = SHARES.iter().map(|s| s / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut rest = n - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..SHARES.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &a in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        counts[a] += 1;
        rest -= 1;
    }
    let mut arch = Vec::with_capacity(n);
    for (a, &c) in counts.iter().enumerate() {
        arch.extend(std::iter::repeat_n(a, c));
    }
    arch.shuffle(rng);
    arch
}

/// Default truth location: beside `out`, in its parent directory.
fn default_truth(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join("truth.csv"),
        _ => Path::new(".").join("truth.csv"),
    }
}

/// Resolves the truth path and makes sure it does not lie inside `out` (which must exist).
fn resolve_truth(opts: &DemoOptions) -> Result<PathBuf, DemoError> {
    let explicit = opts.truth.is_some();
    let truth = opts
        .truth
        .clone()
        .unwrap_or_else(|| default_truth(&opts.out));
    let parent = match truth.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let out_abs = std::fs::canonicalize(&opts.out).map_err(io_err(&opts.out))?;
    let parent_abs = std::fs::canonicalize(&parent).map_err(io_err(&parent))?;
    if !parent_abs.starts_with(&out_abs) {
        return Ok(truth);
    }
    if explicit {
        return Err(DemoError::Invalid(format!(
            "truth file {} must not be inside the output directory {}",
            truth.display(),
            opts.out.display()
        )));
    }
    match out_abs.parent() {
        Some(p) => Ok(p.join("truth.csv")),
        None => Err(DemoError::Invalid(format!(
            "output directory {} has no parent for truth.csv; pass --truth",
            opts.out.display()
        ))),
    }
}

/// One order line, as generated.
struct Line {
    product: usize,
    qty: u32,
}

/// One browsing event, before sorting.
struct Event {
    back: u32,
    sec: u32,
    kind: usize,
    product: Option<usize>,
    cat: usize,
    query: (usize, usize),
}

/// Reused per-customer scratch buffers.
#[derive(Default)]
struct Scratch {
    orders: Vec<(u32, u32)>,
    lines: Vec<Line>,
    bought: Vec<(usize, u32)>,
    events: Vec<Event>,
    queries: String,
    reviews: Vec<(u32, usize, u32, String)>,
    text: String,
}

/// Writes a synthetic shop into `opts.out` and the ground truth beside it; see the module
/// docs. Same options => byte-identical files.
pub fn generate(opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    if opts.customers == 0 {
        return Err(DemoError::Invalid(
            "--customers must be at least 1".to_string(),
        ));
    }
    let created = !opts.out.exists();
    std::fs::create_dir_all(&opts.out).map_err(io_err(&opts.out))?;
    let truth_path = resolve_truth(opts).inspect_err(|_| {
        // A refused --truth must not leave an empty output directory behind.
        if created {
            let _ = std::fs::remove_dir(&opts.out);
        }
    })?;
    let cal = Calendar::new()?;

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut ev_rng = ChaCha8Rng::seed_from_u64(opts.seed);
    ev_rng.set_stream(1);
    let mut rv_rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rv_rng.set_stream(2);

    let cat = Catalogue::generate(&mut rng);
    let mut products = Sink::create(
        opts.out.join("products.csv"),
        "product_id,name,category,brand,price,launch_date",
    )?;
    cat.write(&mut products, &cal)?;

    let mut customers = Sink::create(
        opts.out.join("customers.csv"),
        "customer_id,signup_date,country,city,gender,channel,age",
    )?;
    let mut orders = Sink::create(
        opts.out.join("orders.csv"),
        "order_id,customer_id,order_date,product_id,category,unit_price,quantity,discount,returned",
    )?;
    let mut events = if opts.events {
        Some(Sink::create(
            opts.out.join("events.csv"),
            "customer_id,event_time,event_type,product_id,category,query",
        )?)
    } else {
        None
    };
    let mut reviews = if opts.reviews {
        Some(Sink::create(
            opts.out.join("reviews.csv"),
            "customer_id,product_id,review_date,rating,text",
        )?)
    } else {
        None
    };
    let mut truth = Sink::create(truth_path.clone(), "customer_id,archetype")?;

    let archetypes = assign_archetypes(&mut rng, opts.customers);
    let country_weights: Vec<f64> = COUNTRIES.iter().map(|c| c.1).collect();
    let mut counts = [0usize; 7];
    let mut n_lines = 0usize;
    let mut n_events = 0usize;
    let mut n_reviews = 0usize;
    let mut order_no = 0usize;
    let mut s = Scratch::default();

    for (idx, &arch) in archetypes.iter().enumerate() {
        let cid = idx + 1;
        counts[arch] += 1;
        let prof = &PROFILES[arch];

        // --- who they are
        let signup_back = rng.gen_range(prof.signup_back.0..=prof.signup_back.1);
        let country = weighted(&mut rng, &country_weights);
        let city = choose(&mut rng, COUNTRIES[country].2);
        let gender = weighted(&mut rng, &prof.gender);
        let channel = weighted(&mut rng, &prof.channel);
        let age = (prof.age.0 + prof.age.1 * normal(&mut rng))
            .round()
            .clamp(16.0, 85.0) as u64;

        // --- their own parameters
        let mut w = [0.0f64; NCAT];
        for (wc, base) in w.iter_mut().zip(prof.cat_weights.iter()) {
            *wc = base * gamma(&mut rng, 10.0);
        }
        normalise(&mut w);
        if rng.gen::<f64>() < SECONDARY_P {
            let mut other = rng.gen_range(0..ARCHETYPES.len() - 1);
            if other >= arch {
                other += 1;
            }
            let blend = uniform(&mut rng, 0.2, 0.35);
            let mut ow = PROFILES[other].cat_weights;
            normalise(&mut ow);
            for (wc, o) in w.iter_mut().zip(ow.iter()) {
                *wc = (1.0 - blend) * *wc + blend * o;
            }
        }
        let price_pref = beta(&mut rng, prof.price_pref);
        let disc_p = beta(&mut rng, prof.disc_prob);
        let disc_centre = uniform(&mut rng, prof.disc_depth.0, prof.disc_depth.1);
        let ret_p = beta(&mut rng, prof.return_rate);
        let activity = (0.35 * normal(&mut rng)).exp();

        // --- orders
        let n_orders = match prof.orders {
            OrderCount::LogNormal {
                median,
                sigma,
                min,
                max,
            } => ((median * (sigma * normal(&mut rng)).exp()).round() as u32).clamp(min, max),
            OrderCount::Small(p) => weighted(&mut rng, &p) as u32,
        };
        s.orders.clear();
        let start_back = match prof.recency {
            Recency::Lapsed { .. } => signup_back.min(1400),
            _ => signup_back.min(1095),
        };
        if n_orders > 0 {
            let (recency, free) = match prof.recency {
                Recency::Recent { mean, max } => {
                    let r = (exponential(&mut rng, mean) as u32)
                        .min(max)
                        .min(start_back);
                    (r, false)
                }
                Recency::Lapsed { min, max } => {
                    let hi = max.min(start_back.saturating_sub(60)).max(min);
                    (rng.gen_range(min..=hi).min(start_back), false)
                }
                Recency::Anywhere => (0, true),
            };
            for k in 0..n_orders {
                let back = if k == 0 && !free {
                    recency
                } else {
                    cal.seasonal_back(&mut rng, recency, start_back)
                };
                s.orders.push((back, sample_sec(&mut rng)));
            }
            s.orders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        }

        s.bought.clear();
        for &(back, sec) in &s.orders {
            order_no += 1;
            let n_lines_here = 1 + poisson(&mut rng, prof.lines_extra).min(4);
            s.lines.clear();
            for _ in 0..n_lines_here {
                let c = if rng.gen::<f64>() < ONE_OFF_P {
                    rng.gen_range(0..NCAT)
                } else {
                    weighted(&mut rng, &w)
                };
                let product = cat.pick(&mut rng, c, price_pref, back, prof.new_bias);
                let extra = if c == GROCERY { 0.5 } else { 0.0 };
                let qty = 1 + poisson(&mut rng, prof.qty_extra + extra).min(5);
                match s.lines.iter_mut().find(|l| l.product == product) {
                    Some(l) => l.qty += qty,
                    None => s.lines.push(Line { product, qty }),
                }
            }
            for line in &s.lines {
                let p = &cat.products[line.product];
                let total = p.cents * i64::from(line.qty);
                let discount = if rng.gen::<f64>() < disc_p {
                    let depth = (disc_centre + 0.05 * normal(&mut rng))
                        .clamp(prof.depth_clamp.0, prof.depth_clamp.1);
                    ((total as f64 * depth).round() as i64).clamp(0, total)
                } else {
                    0
                };
                let returned = rng.gen::<f64>() < (ret_p * RETURN_FACTOR[p.cat]).min(0.9);
                let b = &mut orders.buf;
                push_id(b, b'O', order_no, 7);
                b.push(b',');
                push_id(b, b'C', cid, 6);
                b.push(b',');
                b.extend_from_slice(cal.date(back));
                b.push(b' ');
                push_time(b, sec);
                b.push(b',');
                push_id(b, b'P', line.product + 1, 5);
                b.push(b',');
                b.extend_from_slice(CATEGORIES[p.cat].as_bytes());
                b.push(b',');
                push_money(b, p.cents);
                b.push(b',');
                push_uint(b, u64::from(line.qty));
                b.push(b',');
                push_money(b, discount);
                b.push(b',');
                b.extend_from_slice(if returned { b"true" } else { b"false" });
                b.push(b'\n');
                n_lines += 1;
                s.bought.push((line.product, back));
            }
            orders.flush_if_full()?;
        }

        // --- event and review volumes (always drawn, so flags never shift the main stream)
        let mut ev_counts = [0u32; 5];
        for (k, count) in ev_counts.iter_mut().enumerate() {
            *count = if k == EV_SEARCH {
                if rng.gen::<f64>() < prof.searcher {
                    1 + poisson(&mut rng, prof.events[k] * activity)
                } else {
                    0
                }
            } else {
                poisson(&mut rng, prof.events[k] * activity)
            };
        }
        let wants_reviews = rng.gen::<f64>() < prof.reviewer;
        let review_target = if wants_reviews {
            (1 + poisson(&mut rng, prof.reviews_extra)).min(4) as usize
        } else {
            0
        };

        // --- customer + truth rows
        {
            let b = &mut customers.buf;
            push_id(b, b'C', cid, 6);
            b.push(b',');
            b.extend_from_slice(cal.date(signup_back));
            b.push(b',');
            push_field(b, COUNTRIES[country].0);
            b.push(b',');
            push_field(b, city);
            b.push(b',');
            b.extend_from_slice(GENDERS[gender].as_bytes());
            b.push(b',');
            b.extend_from_slice(CHANNELS[channel].as_bytes());
            b.push(b',');
            push_uint(b, age);
            b.push(b'\n');
            customers.flush_if_full()?;
            let t = &mut truth.buf;
            push_id(t, b'C', cid, 6);
            t.push(b',');
            t.extend_from_slice(ARCHETYPES[arch].as_bytes());
            t.push(b'\n');
            truth.flush_if_full()?;
        }

        // --- events
        if let Some(sink) = events.as_mut() {
            let mut ev_w = w;
            if prof.uniform_browse {
                for x in ev_w.iter_mut() {
                    *x = gamma(&mut ev_rng, 20.0);
                }
            } else {
                for x in ev_w.iter_mut() {
                    *x = 0.85 * *x + 0.15 / NCAT as f64;
                }
            }
            s.events.clear();
            s.queries.clear();
            let window = signup_back.min(EVENT_WINDOW);
            for (kind, &count) in ev_counts.iter().enumerate() {
                for _ in 0..count {
                    let back = ev_rng.gen_range(0..=window);
                    let sec = sample_sec(&mut ev_rng);
                    let mut c = weighted(&mut ev_rng, &ev_w);
                    let (product, query) = if kind == EV_SEARCH {
                        let start = s.queries.len();
                        build_query(&mut s.queries, &mut ev_rng, arch, &mut c);
                        (None, (start, s.queries.len()))
                    } else {
                        let p = cat.pick(&mut ev_rng, c, price_pref, back, prof.new_bias);
                        (Some(p), (0, 0))
                    };
                    s.events.push(Event {
                        back,
                        sec,
                        kind,
                        product,
                        cat: c,
                        query,
                    });
                }
            }
            s.events.sort_by(|a, b| {
                b.back
                    .cmp(&a.back)
                    .then(a.sec.cmp(&b.sec))
                    .then(a.kind.cmp(&b.kind))
            });
            for e in &s.events {
                let b = &mut sink.buf;
                push_id(b, b'C', cid, 6);
                b.push(b',');
                b.extend_from_slice(cal.date(e.back));
                b.push(b' ');
                push_time(b, e.sec);
                b.push(b',');
                b.extend_from_slice(EVENT_TYPES[e.kind].as_bytes());
                b.push(b',');
                if let Some(p) = e.product {
                    push_id(b, b'P', p + 1, 5);
                }
                b.push(b',');
                b.extend_from_slice(CATEGORIES[e.cat].as_bytes());
                b.push(b',');
                push_field(b, s.queries.get(e.query.0..e.query.1).unwrap_or(""));
                b.push(b'\n');
                n_events += 1;
                sink.flush_if_full()?;
            }
        }

        // --- reviews
        if let Some(sink) = reviews.as_mut() {
            if review_target > 0 && !s.bought.is_empty() {
                s.reviews.clear();
                let rating_mean = prof.rating_mean + 0.35 * normal(&mut rv_rng);
                let mut tries = 0;
                while s.reviews.len() < review_target && tries < review_target * 4 {
                    tries += 1;
                    let Some(&(product, back)) = s.bought.choose(&mut rv_rng) else {
                        break;
                    };
                    if s.reviews.iter().any(|r| r.1 == product) {
                        continue;
                    }
                    let rating = (rating_mean + 0.8 * normal(&mut rv_rng))
                        .round()
                        .clamp(1.0, 5.0) as u32;
                    let theme = if rv_rng.gen::<f64>() < prof.theme_p {
                        prof.theme
                    } else if rv_rng.gen::<f64>() < 0.75 {
                        THEME_GENERIC
                    } else {
                        rv_rng.gen_range(0..NTHEMES)
                    };
                    let p = &cat.products[product];
                    let theme = resolve_theme(theme, p.cat);
                    let ctx = FillCtx {
                        product: &p.name,
                        noun: p.noun,
                        brand: p.brand,
                        cat: p.cat,
                    };
                    build_review(&mut s.text, &mut rv_rng, theme, rating, &ctx);
                    let review_back = back.saturating_sub(rv_rng.gen_range(2..=20));
                    s.reviews
                        .push((review_back, product, rating, s.text.clone()));
                }
                s.reviews.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                for (back, product, rating, text) in &s.reviews {
                    let b = &mut sink.buf;
                    push_id(b, b'C', cid, 6);
                    b.push(b',');
                    push_id(b, b'P', product + 1, 5);
                    b.push(b',');
                    b.extend_from_slice(cal.date(*back));
                    b.push(b',');
                    // About one review in eight carries no star rating (imported from elsewhere,
                    // or the shop made stars optional): its sentiment must come from the text.
                    // Derived from ids, not the generator's random stream, so all else is unchanged.
                    if (cid as u64 * 7 + *product as u64 * 13) % 8 != 3 {
                        push_uint(b, u64::from(*rating));
                    }
                    b.push(b',');
                    push_field(b, text);
                    b.push(b'\n');
                    n_reviews += 1;
                }
                sink.flush_if_full()?;
            }
        }
    }

    products.commit()?;
    customers.commit()?;
    orders.commit()?;
    if let Some(sink) = events {
        sink.commit()?;
    } else {
        remove_stale(&opts.out.join("events.csv"))?;
    }
    if let Some(sink) = reviews {
        sink.commit()?;
    } else {
        remove_stale(&opts.out.join("reviews.csv"))?;
    }
    truth.commit()?;

    Ok(DemoSummary {
        customers: opts.customers,
        order_lines: n_lines,
        events: n_events,
        reviews: n_reviews,
        truth_path,
        archetype_counts: ARCHETYPES.iter().copied().zip(counts).collect(),
    })
}

fn normalise(w: &mut [f64; NCAT]) {
    let total: f64 = w.iter().sum();
    if total > 0.0 {
        for x in w.iter_mut() {
            *x /= total;
        }
    } else {
        *w = [1.0 / NCAT as f64; NCAT];
    }
}

/// Removes a file left by an earlier run with different flags, so the directory never mixes
/// two generations.
fn remove_stale(path: &Path) -> Result<(), DemoError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(DemoError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn opts(out: PathBuf, customers: usize, seed: u64) -> DemoOptions {
        DemoOptions {
            customers,
            seed,
            out,
            truth: None,
            events: true,
            reviews: true,
        }
    }

    /// Minimal RFC 4180 reader: rows of fields, header included.
    fn read_csv(path: &Path) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if in_quotes {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        field.push('"');
                        chars.next();
                    } else {
                        in_quotes = false;
                    }
                } else {
                    field.push(c);
                }
            } else {
                match c {
                    '"' => in_quotes = true,
                    ',' => row.push(std::mem::take(&mut field)),
                    '\n' => {
                        row.push(std::mem::take(&mut field));
                        rows.push(std::mem::take(&mut row));
                    }
                    _ => field.push(c),
                }
            }
        }
        assert!(
            field.is_empty() && row.is_empty(),
            "file must end with a newline"
        );
        rows
    }

    #[test]
    fn same_seed_gives_identical_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let a = generate(&opts(dir.path().join("a/data"), 300, 42)).unwrap();
        let b = generate(&opts(dir.path().join("b/data"), 300, 42)).unwrap();
        for f in [
            "customers.csv",
            "orders.csv",
            "products.csv",
            "events.csv",
            "reviews.csv",
        ] {
            let x = std::fs::read(dir.path().join("a/data").join(f)).unwrap();
            let y = std::fs::read(dir.path().join("b/data").join(f)).unwrap();
            assert_eq!(x, y, "{f} differs");
        }
        assert_eq!(
            std::fs::read(&a.truth_path).unwrap(),
            std::fs::read(&b.truth_path).unwrap()
        );
        let c = generate(&opts(dir.path().join("c/data"), 300, 43)).unwrap();
        let x = std::fs::read(dir.path().join("a/data/orders.csv")).unwrap();
        let z = std::fs::read(dir.path().join("c/data/orders.csv")).unwrap();
        assert_ne!(x, z, "different seeds should differ");
        assert!(c.order_lines > 0);
    }

    #[test]
    fn flags_do_not_change_orders() {
        let dir = tempfile::tempdir().unwrap();
        generate(&opts(dir.path().join("a/data"), 200, 5)).unwrap();
        let mut o = opts(dir.path().join("b/data"), 200, 5);
        o.events = false;
        o.reviews = false;
        let s = generate(&o).unwrap();
        assert_eq!(s.events, 0);
        assert_eq!(s.reviews, 0);
        assert!(!dir.path().join("b/data/events.csv").exists());
        for f in ["customers.csv", "orders.csv", "products.csv"] {
            let x = std::fs::read(dir.path().join("a/data").join(f)).unwrap();
            let y = std::fs::read(dir.path().join("b/data").join(f)).unwrap();
            assert_eq!(x, y, "{f} differs");
        }
    }

    #[test]
    fn truth_is_beside_out_never_inside() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("shop/data");
        let s = generate(&opts(out.clone(), 50, 1)).unwrap();
        assert_eq!(s.truth_path, dir.path().join("shop/truth.csv"));
        assert!(s.truth_path.exists());
        assert!(!out.join("truth.csv").exists());
        assert!(!s.truth_path.starts_with(&out));

        let mut inside = opts(out.clone(), 50, 1);
        inside.truth = Some(out.join("sub/truth.csv"));
        assert!(matches!(generate(&inside), Err(DemoError::Invalid(_))));

        // Refused before anything is written: a new output directory is not left behind.
        let fresh = dir.path().join("fresh/data");
        let mut refused = opts(fresh.clone(), 50, 1);
        refused.truth = Some(fresh.join("truth.csv"));
        assert!(matches!(generate(&refused), Err(DemoError::Invalid(_))));
        assert!(!fresh.exists());

        let mut explicit = opts(out, 50, 1);
        explicit.truth = Some(dir.path().join("elsewhere/labels.csv"));
        let s = generate(&explicit).unwrap();
        assert!(s.truth_path.ends_with("elsewhere/labels.csv"));
        assert!(s.truth_path.exists());
    }

    #[test]
    fn default_truth_for_bare_dir_is_dot() {
        assert_eq!(default_truth(Path::new("data")), Path::new("./truth.csv"));
        assert_eq!(
            default_truth(Path::new("shop/data")),
            Path::new("shop/truth.csv")
        );
    }

    #[test]
    fn zero_customers_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let r = generate(&opts(dir.path().join("data"), 0, 1));
        assert!(matches!(r, Err(DemoError::Invalid(_))));
    }

    #[test]
    fn counts_and_order_lines_are_sane() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("shop/data");
        let s = generate(&opts(out.clone(), 400, 9)).unwrap();
        let total: usize = s.archetype_counts.iter().map(|c| c.1).sum();
        assert_eq!(total, 400);
        assert_eq!(s.archetype_counts.len(), 7);
        assert!(s.archetype_counts.iter().all(|c| c.1 > 0));

        let customers = read_csv(&out.join("customers.csv"));
        assert_eq!(customers.len(), 401);
        assert_eq!(
            customers[0].join(","),
            "customer_id,signup_date,country,city,gender,channel,age"
        );
        let truth = read_csv(&s.truth_path);
        assert_eq!(truth.len(), 401);
        assert!(truth[1..]
            .iter()
            .all(|r| ARCHETYPES.contains(&r[1].as_str())));

        let products = read_csv(&out.join("products.csv"));
        assert!((500..=700).contains(&(products.len() - 1)));
        let new = products[1..]
            .iter()
            .filter(|r| r[5].as_str() > "2026-04-01")
            .count();
        let share = new as f64 / (products.len() - 1) as f64;
        assert!((0.12..0.3).contains(&share), "new arrival share {share}");

        let orders = read_csv(&out.join("orders.csv"));
        assert_eq!(orders.len() - 1, s.order_lines);
        for r in &orders[1..] {
            assert_eq!(r.len(), 9);
            let unit: f64 = r[5].parse().unwrap();
            let qty: u32 = r[6].parse().unwrap();
            let disc: f64 = r[7].parse().unwrap();
            assert!(unit >= 0.0);
            assert!(qty >= 1);
            assert!(disc >= 0.0 && disc <= unit * f64::from(qty) + 1e-9);
            assert!(r[8] == "true" || r[8] == "false");
            assert!(r[2].len() == 19 && r[2].as_str() <= "2026-07-01 23:59:59");
        }

        let events = read_csv(&out.join("events.csv"));
        assert_eq!(events.len() - 1, s.events);
        for r in &events[1..] {
            assert_eq!(r.len(), 6);
            assert!(EVENT_TYPES.contains(&r[2].as_str()));
            assert_eq!(r[2] == "search", r[3].is_empty());
            assert_eq!(r[2] == "search", !r[5].is_empty());
        }
        let reviews = read_csv(&out.join("reviews.csv"));
        assert_eq!(reviews.len() - 1, s.reviews);
        for r in &reviews[1..] {
            if !r[3].is_empty() {
                let rating: u32 = r[3].parse().unwrap();
                assert!((1..=5).contains(&rating));
            }
            assert!(!r[4].is_empty());
        }
    }

    /// Per customer: distinct orders, last order time, lines, discounted lines, electronics lines.
    type Agg = (HashSet<String>, String, usize, usize, usize);

    #[test]
    fn archetypes_have_their_planted_shape() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("shop/data");
        let s = generate(&opts(out.clone(), 700, 3)).unwrap();
        let truth: HashMap<String, String> = read_csv(&s.truth_path)[1..]
            .iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        // per customer: distinct orders, last order date, lines, discounted lines, electronics lines
        let mut per: HashMap<String, Agg> = HashMap::new();
        for r in &read_csv(&out.join("orders.csv"))[1..] {
            let e = per.entry(r[1].clone()).or_default();
            e.0.insert(r[0].clone());
            if r[2] > e.1 {
                e.1 = r[2].clone();
            }
            e.2 += 1;
            e.3 += usize::from(r[7] != "0.00");
            e.4 += usize::from(r[4] == "electronics");
        }
        let mean = |arch: &str, f: &dyn Fn(&Agg) -> f64| {
            let vals: Vec<f64> = truth
                .iter()
                .filter(|(_, a)| a.as_str() == arch)
                .map(|(c, _)| per.get(c).map(f).unwrap_or(0.0))
                .collect();
            vals.iter().sum::<f64>() / vals.len() as f64
        };
        let orders = |e: &Agg| e.0.len() as f64;
        let disc = |e: &Agg| e.3 as f64 / e.2 as f64;
        let elec = |e: &Agg| e.4 as f64 / e.2 as f64;
        assert!(mean("window_shopper", &orders) < 1.5);
        assert!(mean("loyal_high_value", &orders) > 18.0);
        assert!(mean("lapsed", &orders) > 2.5);
        assert!(mean("promo_hunter", &disc) > 0.55);
        assert!(mean("electronics_enthusiast", &disc) < 0.15);
        assert!(mean("electronics_enthusiast", &elec) > 0.55);
        // every lapsed customer's last order is more than ~a year old
        for (c, a) in &truth {
            if a == "lapsed" {
                let last = &per[c].1;
                assert!(last.as_str() < "2025-07-02", "{c} last ordered {last}");
            }
        }
    }

    #[test]
    fn review_texts_vary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("shop/data");
        let s = generate(&opts(out.clone(), 1500, 11)).unwrap();
        assert!(s.reviews >= 500, "only {} reviews", s.reviews);
        let reviews = read_csv(&out.join("reviews.csv"));
        let distinct: HashSet<&str> = reviews[1..501].iter().map(|r| r[4].as_str()).collect();
        assert!(distinct.len() >= 300, "only {} distinct", distinct.len());

        // The text-only pair differs in what it talks about.
        let truth: HashMap<String, String> = read_csv(&s.truth_path)[1..]
            .iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        let trendy = |t: &str| {
            let t = t.to_lowercase();
            [
                "drop",
                "trend",
                "influencer",
                "feed",
                "launch",
                "limited",
                "hype",
                "viral",
            ]
            .iter()
            .any(|w| t.contains(w))
        };
        let share = |arch: &str| {
            let texts: Vec<&str> = reviews[1..]
                .iter()
                .filter(|r| truth[&r[0]] == arch)
                .map(|r| r[4].as_str())
                .collect();
            texts.iter().filter(|t| trendy(t)).count() as f64 / texts.len() as f64
        };
        assert!(share(TEXT_ONLY_PAIR.1) > 0.6, "{}", share(TEXT_ONLY_PAIR.1));
        assert!(
            share(TEXT_ONLY_PAIR.0) < 0.15,
            "{}",
            share(TEXT_ONLY_PAIR.0)
        );
    }

    #[test]
    fn review_themes_fit_the_product() {
        assert_eq!(resolve_theme(THEME_TECH, 0), THEME_TECH);
        assert_eq!(resolve_theme(THEME_TECH, 3), THEME_GENERIC);
        assert_eq!(resolve_theme(THEME_FIT, FASHION), THEME_FIT);
        assert_eq!(resolve_theme(THEME_FIT, BEAUTY), THEME_FIT_BEAUTY);
        assert_eq!(resolve_theme(THEME_FIT_BEAUTY, 3), THEME_COMPARE);
        assert_eq!(resolve_theme(THEME_TREND, 5), THEME_TREND);
    }

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
