//! The demo shop's seven archetypes.
//!
//! This module owns the behaviour profiles, shares, review themes and search vocabularies of
//! the default demo shop (`seglens demo-data` without `--family`), plus the shop-wide hour and
//! month curves the demo uses. Changing anything here changes the demo's bytes, which a test
//! in `mod.rs` guards.

use super::phrases::{
    QUERIES, THEME_DELIVERY, THEME_FIT, THEME_GENERIC, THEME_QUALITY, THEME_TECH, THEME_TREND,
    THEME_VALUE,
};
use super::spec::{Archetype, Basket, Cadence, DayWeights, OrderCount, Profile, Recency};
use super::text::NCAT;
use super::ARCHETYPES;

/// Archetype shares in percent (same order as [`ARCHETYPES`]).
pub(super) const SHARES: [f64; 7] = [14.0, 15.0, 13.0, 16.0, 15.0, 10.0, 17.0];

/// Relative weight of each hour of the day for orders and events.
pub(super) const HOUR_WEIGHTS: [f64; 24] = [
    1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.0, 2.2, 2.4, 2.6, 3.0, 2.8, 2.6, 2.6, 2.8, 3.0, 3.4,
    4.0, 4.4, 4.2, 3.2, 2.0,
];

/// Seasonality of orders per month (index 0 = January); November and December peak.
pub(super) const MONTH_WEIGHTS: [f64; 12] = [
    0.8, 0.8, 0.95, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.05, 1.5, 1.8,
];

/// The demo's basket shape: at most 5 lines, at most 6 units a line, no bulk lines.
pub(super) const DEMO_BASKET: Basket = Basket {
    lines_max: 4,
    qty_max: 5,
    bulk_p: 0.0,
    bulk_qty: (1, 1),
};

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
    gender: [0.7, 0.26, 0.04],
    channel: [0.33, 0.42, 0.1, 0.15],
    age: (30.0, 8.0),
    hours: HOUR_WEIGHTS,
    days: DayWeights::Demo,
    basket: DEMO_BASKET,
    cadence: Cadence::Random,
    repeat_p: 0.0,
    brand_loyalty: 0.0,
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
        gender: [0.3, 0.66, 0.04],
        channel: [0.45, 0.35, 0.15, 0.05],
        age: (33.0, 9.0),
        hours: HOUR_WEIGHTS,
        days: DayWeights::Demo,
        basket: DEMO_BASKET,
        cadence: Cadence::Random,
        repeat_p: 0.0,
        brand_loyalty: 0.0,
    },
    // fashion_beauty_browser
    FASHION_BEAUTY,
    // new_arrival_follower: same behaviour, different talk (and a taste for new drops)
    Profile {
        new_bias: 0.3,
        events: [22.0, 4.0, 6.0, 6.0, 1.4],
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
        gender: [0.5, 0.46, 0.04],
        channel: [0.3, 0.2, 0.4, 0.1],
        age: (42.0, 13.0),
        hours: HOUR_WEIGHTS,
        days: DayWeights::Demo,
        basket: DEMO_BASKET,
        cadence: Cadence::Random,
        repeat_p: 0.0,
        brand_loyalty: 0.0,
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
        gender: [0.5, 0.46, 0.04],
        channel: [0.5, 0.3, 0.1, 0.1],
        age: (35.0, 13.0),
        hours: HOUR_WEIGHTS,
        days: DayWeights::Demo,
        basket: DEMO_BASKET,
        cadence: Cadence::Random,
        repeat_p: 0.0,
        brand_loyalty: 0.0,
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
        gender: [0.5, 0.46, 0.04],
        channel: [0.4, 0.5, 0.05, 0.05],
        age: (47.0, 11.0),
        hours: HOUR_WEIGHTS,
        days: DayWeights::Demo,
        basket: DEMO_BASKET,
        cadence: Cadence::Random,
        repeat_p: 0.0,
        brand_loyalty: 0.0,
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
        gender: [0.5, 0.46, 0.04],
        channel: [0.55, 0.2, 0.2, 0.05],
        age: (44.0, 14.0),
        hours: HOUR_WEIGHTS,
        days: DayWeights::Demo,
        basket: DEMO_BASKET,
        cadence: Cadence::Random,
        repeat_p: 0.0,
        brand_loyalty: 0.0,
    },
];

/// Review theme and how often it is used, per archetype (same order as [`ARCHETYPES`]).
const THEMES: [(usize, f64); 7] = [
    (THEME_TECH, 0.8),
    (THEME_FIT, 0.85),
    (THEME_TREND, 0.85),
    (THEME_VALUE, 0.8),
    (THEME_GENERIC, 0.75),
    (THEME_QUALITY, 0.8),
    (THEME_DELIVERY, 0.7),
];

/// The demo's archetypes, in [`ARCHETYPES`] order.
pub(super) fn demo_archetypes() -> [Archetype; 7] {
    std::array::from_fn(|i| Archetype {
        name: ARCHETYPES[i],
        profile: PROFILES[i],
        queries: &QUERIES[i],
        theme: THEMES[i].0,
        theme_p: THEMES[i].1,
    })
}
