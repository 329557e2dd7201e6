//! What a generated shop is made of.
//!
//! This module owns the data types that drive generation: an [`Archetype`] (name, behaviour
//! [`Profile`], search vocabulary and review theme), the behaviour dimensions a profile is
//! built from (order counts, recency, hour-of-day and calendar weights, basket shape, order
//! cadence, repeat buying, brand loyalty) and the shop-level [`ShopSpec`] (archetypes with
//! shares plus the [`Noise`] level). It owns no randomness and no output; `engine.rs` turns a
//! spec into files, `profiles.rs` and `family.rs` define the archetypes.

use serde::{Deserialize, Serialize};

use super::phrases::QuerySet;
use super::text::NCAT;

/// How many orders a customer of an archetype places.
#[derive(Debug, Clone, Copy)]
pub(super) enum OrderCount {
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
#[derive(Debug, Clone, Copy)]
pub(super) enum Recency {
    /// Exponential with this mean (days), capped.
    Recent { mean: f64, max: u32 },
    /// Uniform in this range (days): the customer has stopped buying.
    Lapsed { min: u32, max: u32 },
    /// No constraint: orders anywhere since signup.
    Anywhere,
}

/// On which days of the year a customer orders and browses.
#[derive(Debug, Clone, Copy)]
pub(super) enum DayWeights {
    /// The demo's behaviour: order days by rejection against the shop-wide month curve
    /// ([`super::profiles::MONTH_WEIGHTS`]), events uniform over the event window.
    Demo,
    /// Month (January first) × weekday (Monday first) weights, for orders and events alike,
    /// sampled exactly from a per-archetype cumulative table.
    Custom {
        months: [f64; 12],
        weekdays: [f64; 7],
    },
}

/// The shape of an order: how many lines and how many units per line.
#[derive(Debug, Clone, Copy)]
pub(super) struct Basket {
    /// Cap on the Poisson number of extra lines per order (demo: 4).
    pub lines_max: u32,
    /// Cap on the Poisson extra quantity per line (demo: 5).
    pub qty_max: u32,
    /// Probability that a line is a bulk line (demo: 0, draws nothing).
    pub bulk_p: f64,
    /// Units of a bulk line, uniform in this range (inclusive).
    pub bulk_qty: (u32, u32),
}

/// When a customer's orders fall between their first and their last.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cadence {
    /// Independent days (seasonal for [`DayWeights::Demo`]): the demo's behaviour.
    Random,
    /// Subscription-like: a customer gap drawn uniformly from `gap` days, each order `jitter`
    /// days (standard deviation) off the grid; orders that would predate signup are dropped.
    Regular { gap: (f64, f64), jitter: f64 },
    /// Clumpy: orders gather around a few burst days, `width` days (mean) before each.
    Bursty { bursts: (u32, u32), width: f64 },
}

/// The distributions a customer's own parameters are drawn from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Profile {
    pub cat_weights: [f64; NCAT],
    pub orders: OrderCount,
    /// Mean of the Poisson number of extra lines per order.
    pub lines_extra: f64,
    /// Mean of the Poisson extra quantity per line.
    pub qty_extra: f64,
    /// Signup between this many days back (inclusive).
    pub signup_back: (u32, u32),
    pub recency: Recency,
    /// Beta(mean, concentration) of the price percentile a customer buys at.
    pub price_pref: (f64, f64),
    /// Probability of deliberately picking a new arrival for recent purchases and views.
    pub new_bias: f64,
    /// Beta(mean, concentration) of the share of lines with a discount.
    pub disc_prob: (f64, f64),
    /// Customer's typical discount depth (share of line value) drawn uniformly from here.
    pub disc_depth: (f64, f64),
    /// Clamp for a single line's discount depth.
    pub depth_clamp: (f64, f64),
    /// Beta(mean, concentration) of the base return probability.
    pub return_rate: (f64, f64),
    /// Poisson means of yearly events: view, search, add_to_cart, wishlist, share.
    pub events: [f64; 5],
    /// Browse all categories evenly (high-entropy browsing).
    pub uniform_browse: bool,
    /// Probability that the customer uses search at all.
    pub searcher: f64,
    /// Probability that the customer writes reviews at all.
    pub reviewer: f64,
    /// Poisson mean of reviews beyond the first.
    pub reviews_extra: f64,
    pub rating_mean: f64,
    pub gender: [f64; 3],
    pub channel: [f64; 4],
    pub age: (f64, f64),
    /// Relative weight of each hour of the day for orders and events.
    pub hours: [f64; 24],
    /// Month and weekday preferences.
    pub days: DayWeights,
    /// Lines per order and units per line.
    pub basket: Basket,
    /// Regularity of the gaps between orders.
    pub cadence: Cadence,
    /// Probability that a line re-buys a product the customer bought before (demo: 0).
    pub repeat_p: f64,
    /// Probability that a line comes from the customer's favourite brand of its category
    /// (demo: 0, draws nothing).
    pub brand_loyalty: f64,
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t
}

fn lerp_pair(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    (lerp(a.0, b.0, t), lerp(a.1, b.1, t))
}

fn lerp_arr<const N: usize>(a: &[f64; N], b: &[f64; N], t: f64) -> [f64; N] {
    std::array::from_fn(|i| lerp(a[i], b[i], t))
}

impl Profile {
    /// A hybrid customer's profile: `self` (the dominant archetype) moved a share `t` towards
    /// `other`. Continuous parameters are interpolated; structural ones (recency, calendar,
    /// cadence, signup window) stay the dominant's.
    pub(super) fn blend(&self, other: &Profile, t: f64) -> Profile {
        let orders = match (self.orders, other.orders) {
            (
                OrderCount::LogNormal {
                    median,
                    sigma,
                    min,
                    max,
                },
                OrderCount::LogNormal { median: m2, .. },
            ) => OrderCount::LogNormal {
                median: lerp(median, m2, t).clamp(f64::from(min), f64::from(max)),
                sigma,
                min,
                max,
            },
            (own, _) => own,
        };
        Profile {
            cat_weights: lerp_arr(&self.cat_weights, &other.cat_weights, t),
            orders,
            lines_extra: lerp(self.lines_extra, other.lines_extra, t),
            qty_extra: lerp(self.qty_extra, other.qty_extra, t),
            price_pref: lerp_pair(self.price_pref, other.price_pref, t),
            new_bias: lerp(self.new_bias, other.new_bias, t),
            disc_prob: lerp_pair(self.disc_prob, other.disc_prob, t),
            disc_depth: lerp_pair(self.disc_depth, other.disc_depth, t),
            return_rate: lerp_pair(self.return_rate, other.return_rate, t),
            events: lerp_arr(&self.events, &other.events, t),
            searcher: lerp(self.searcher, other.searcher, t),
            reviewer: lerp(self.reviewer, other.reviewer, t),
            reviews_extra: lerp(self.reviews_extra, other.reviews_extra, t),
            rating_mean: lerp(self.rating_mean, other.rating_mean, t),
            hours: lerp_arr(&self.hours, &other.hours, t),
            repeat_p: lerp(self.repeat_p, other.repeat_p, t),
            brand_loyalty: lerp(self.brand_loyalty, other.brand_loyalty, t),
            ..*self
        }
    }
}

/// One planted archetype: who they are (behaviour) and what they talk about (text).
#[derive(Debug, Clone, Copy)]
pub(super) struct Archetype {
    /// Label written to the truth file.
    pub name: &'static str,
    pub profile: Profile,
    /// Search vocabulary.
    pub queries: &'static QuerySet,
    /// Preferred review theme (a `THEME_*` index) and how often it is used.
    pub theme: usize,
    pub theme_p: f64,
}

/// How much a shop's archetypes overlap; the demo uses [`Noise::DEMO`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// Share of customers with a second archetype's category tastes blended in (20-35%).
    pub secondary_p: f64,
    /// Share of order lines in a uniformly random ("one-off") category.
    pub one_off_p: f64,
    /// Multiplier on the per-customer parameter spread (1 = the demo's spread).
    pub spread: f64,
    /// Share of hybrid customers whose whole behaviour blends in another archetype of the shop
    /// (their truth label stays the dominant archetype).
    pub hybrid_p: f64,
}

impl Noise {
    /// The demo shop's overlap.
    pub const DEMO: Noise = Noise {
        secondary_p: 0.08,
        one_off_p: 0.05,
        spread: 1.0,
        hybrid_p: 0.0,
    };
}

/// Everything the engine needs to write one shop.
pub(super) struct ShopSpec<'a> {
    /// The archetypes with their share (any positive scale; normalised by the engine).
    pub archetypes: Vec<(&'a Archetype, f64)>,
    pub noise: Noise,
}
