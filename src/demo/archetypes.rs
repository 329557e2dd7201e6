//! The family's archetype catalogue.
//!
//! This module owns the archetype definitions a family shop draws from (`family.rs` picks
//! some of them), the text-only pairs among them (same behaviour, different reviews and
//! searches) and the twins (same behaviour except one timing/basket/loyalty dimension that
//! the older features do not capture, e.g. a night owl and its daytime twin).

use super::phrases::{
    QUERIES, Q_DIY, Q_ECO_HOME, Q_GIFTS, Q_GROCERY, Q_KIDS, Q_LUXURY, Q_REORDER, Q_RETURNS,
    Q_SPORTS, THEME_COMPARE, THEME_DELIVERY, THEME_FIT, THEME_GENERIC, THEME_QUALITY, THEME_TECH,
    THEME_TREND, THEME_VALUE,
};
use super::profiles::{DEMO_BASKET, HOUR_WEIGHTS, MONTH_WEIGHTS};
use super::spec::{Archetype, Basket, Cadence, DayWeights, OrderCount, Profile, Recency};

/// Every weekday alike.
const FLAT_WEEK: [f64; 7] = [1.0; 7];
/// Saturday and Sunday shoppers.
const WEEKEND: [f64; 7] = [0.35, 0.35, 0.35, 0.35, 0.5, 2.6, 2.8];
/// Monday-to-Friday shoppers (office hours, lunch breaks).
const WORKDAYS: [f64; 7] = [1.4, 1.4, 1.4, 1.4, 1.2, 0.25, 0.25];
/// Almost everything in November and December.
const HOLIDAY: [f64; 12] = [
    0.1, 0.05, 0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.15, 0.3, 2.5, 4.5,
];
/// Late evening and the small hours.
const NIGHT: [f64; 24] = [
    4.5, 4.2, 3.6, 2.8, 1.6, 0.6, 0.2, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3, 0.3, 0.3, 0.3, 0.4, 0.5, 0.7,
    1.0, 1.6, 2.6, 3.6, 4.4,
];
/// Office and school hours.
const DAYTIME: [f64; 24] = [
    0.05, 0.02, 0.02, 0.02, 0.02, 0.05, 0.3, 1.2, 2.5, 3.2, 3.4, 3.6, 4.2, 3.8, 3.4, 3.2, 2.8, 2.0,
    1.0, 0.6, 0.4, 0.3, 0.2, 0.1,
];

/// The family's default calendar: the demo's month curve, no weekday preference.
const YEAR: DayWeights = DayWeights::Custom {
    months: MONTH_WEIGHTS,
    weekdays: FLAT_WEEK,
};

/// Neutral starting point; each archetype overrides what makes it itself.
const BASE: Profile = Profile {
    cat_weights: [0.125; 8],
    orders: OrderCount::LogNormal {
        median: 6.0,
        sigma: 0.3,
        min: 2,
        max: 14,
    },
    lines_extra: 0.6,
    qty_extra: 0.1,
    signup_back: (150, 1000),
    recency: Recency::Recent {
        mean: 30.0,
        max: 150,
    },
    price_pref: (0.5, 8.0),
    new_bias: 0.0,
    disc_prob: (0.15, 12.0),
    disc_depth: (0.08, 0.2),
    depth_clamp: (0.05, 0.4),
    return_rate: (0.08, 15.0),
    events: [12.0, 4.0, 3.0, 2.0, 0.5],
    uniform_browse: false,
    searcher: 0.5,
    reviewer: 0.35,
    reviews_extra: 0.8,
    rating_mean: 4.0,
    gender: [0.5, 0.46, 0.04],
    channel: [0.4, 0.35, 0.15, 0.1],
    age: (38.0, 12.0),
    hours: HOUR_WEIGHTS,
    days: YEAR,
    basket: DEMO_BASKET,
    cadence: Cadence::Random,
    repeat_p: 0.0,
    brand_loyalty: 0.0,
};

const TECH: Profile = Profile {
    cat_weights: [0.74, 0.03, 0.01, 0.07, 0.05, 0.05, 0.03, 0.02],
    orders: OrderCount::LogNormal {
        median: 12.0,
        sigma: 0.3,
        min: 6,
        max: 22,
    },
    lines_extra: 0.3,
    qty_extra: 0.05,
    recency: Recency::Recent {
        mean: 18.0,
        max: 90,
    },
    price_pref: (0.75, 10.0),
    disc_prob: (0.07, 20.0),
    disc_depth: (0.05, 0.12),
    return_rate: (0.03, 30.0),
    events: [18.0, 7.0, 3.0, 1.5, 0.4],
    searcher: 0.7,
    reviewer: 0.3,
    gender: [0.3, 0.66, 0.04],
    age: (33.0, 9.0),
    ..BASE
};

const FASHION: Profile = Profile {
    cat_weights: [0.03, 0.52, 0.33, 0.04, 0.03, 0.02, 0.01, 0.02],
    orders: OrderCount::LogNormal {
        median: 6.0,
        sigma: 0.25,
        min: 3,
        max: 10,
    },
    lines_extra: 0.8,
    recency: Recency::Recent {
        mean: 35.0,
        max: 150,
    },
    disc_prob: (0.25, 12.0),
    disc_depth: (0.1, 0.25),
    return_rate: (0.14, 20.0),
    events: [22.0, 4.0, 6.0, 6.0, 1.2],
    searcher: 0.4,
    reviewer: 0.65,
    reviews_extra: 1.0,
    rating_mean: 3.9,
    gender: [0.7, 0.26, 0.04],
    channel: [0.33, 0.42, 0.1, 0.15],
    age: (30.0, 8.0),
    ..BASE
};

const PROMO: Profile = Profile {
    cat_weights: [0.04, 0.05, 0.18, 0.24, 0.04, 0.03, 0.14, 0.28],
    orders: OrderCount::LogNormal {
        median: 10.0,
        sigma: 0.3,
        min: 5,
        max: 20,
    },
    lines_extra: 1.1,
    qty_extra: 0.4,
    recency: Recency::Recent {
        mean: 25.0,
        max: 120,
    },
    price_pref: (0.2, 8.0),
    disc_prob: (0.75, 20.0),
    disc_depth: (0.25, 0.42),
    depth_clamp: (0.2, 0.5),
    events: [10.0, 6.0, 5.0, 0.8, 0.3],
    searcher: 0.7,
    reviewer: 0.25,
    rating_mean: 3.7,
    channel: [0.3, 0.2, 0.4, 0.1],
    age: (42.0, 13.0),
    ..BASE
};

const WINDOW: Profile = Profile {
    orders: OrderCount::Small([0.35, 0.40, 0.25]),
    signup_back: (20, 1000),
    recency: Recency::Anywhere,
    price_pref: (0.45, 6.0),
    events: [40.0, 12.0, 2.0, 3.0, 0.4],
    uniform_browse: true,
    searcher: 0.85,
    reviewer: 0.05,
    reviews_extra: 0.0,
    ..BASE
};

const LOYAL: Profile = Profile {
    cat_weights: [0.14, 0.27, 0.10, 0.33, 0.07, 0.04, 0.03, 0.02],
    orders: OrderCount::LogNormal {
        median: 30.0,
        sigma: 0.3,
        min: 14,
        max: 45,
    },
    lines_extra: 0.8,
    signup_back: (1095, 2190),
    recency: Recency::Recent {
        mean: 12.0,
        max: 60,
    },
    price_pref: (0.66, 10.0),
    disc_prob: (0.07, 20.0),
    return_rate: (0.04, 30.0),
    events: [10.0, 2.0, 6.0, 2.0, 0.6],
    searcher: 0.2,
    reviewer: 0.75,
    reviews_extra: 1.5,
    rating_mean: 4.6,
    age: (47.0, 11.0),
    ..BASE
};

const LAPSED: Profile = Profile {
    cat_weights: [0.14, 0.16, 0.12, 0.16, 0.12, 0.10, 0.10, 0.10],
    orders: OrderCount::LogNormal {
        median: 5.5,
        sigma: 0.35,
        min: 3,
        max: 10,
    },
    lines_extra: 0.4,
    signup_back: (730, 1825),
    recency: Recency::Lapsed { min: 365, max: 900 },
    events: [0.6, 0.2, 0.1, 0.1, 0.0],
    searcher: 0.05,
    rating_mean: 2.5,
    age: (44.0, 14.0),
    ..BASE
};

const NEWCOMER: Profile = Profile {
    orders: OrderCount::Small([0.0, 1.0, 0.0]),
    signup_back: (3, 120),
    recency: Recency::Recent {
        mean: 20.0,
        max: 110,
    },
    events: [8.0, 3.0, 1.5, 1.0, 0.3],
    reviewer: 0.2,
    reviews_extra: 0.0,
    age: (31.0, 10.0),
    ..BASE
};

const BULK: Profile = Profile {
    cat_weights: [0.01, 0.01, 0.05, 0.2, 0.02, 0.01, 0.02, 0.68],
    orders: OrderCount::LogNormal {
        median: 9.0,
        sigma: 0.3,
        min: 4,
        max: 18,
    },
    lines_extra: 0.3,
    qty_extra: 0.2,
    basket: Basket {
        lines_max: 2,
        qty_max: 5,
        bulk_p: 0.65,
        bulk_qty: (6, 24),
    },
    price_pref: (0.35, 8.0),
    events: [6.0, 3.0, 3.0, 0.5, 0.1],
    age: (45.0, 11.0),
    ..BASE
};

const BIG_BASKET: Profile = Profile {
    lines_extra: 6.0,
    qty_extra: 0.0,
    basket: Basket {
        lines_max: 11,
        qty_max: 0,
        bulk_p: 0.0,
        bulk_qty: (1, 1),
    },
    ..BULK
};

const SUBSCRIBER: Profile = Profile {
    cat_weights: [0.01, 0.01, 0.35, 0.17, 0.02, 0.01, 0.01, 0.42],
    orders: OrderCount::LogNormal {
        median: 14.0,
        sigma: 0.3,
        min: 6,
        max: 30,
    },
    lines_extra: 0.5,
    signup_back: (400, 1200),
    recency: Recency::Recent {
        mean: 10.0,
        max: 40,
    },
    cadence: Cadence::Regular {
        gap: (26.0, 34.0),
        jitter: 1.5,
    },
    repeat_p: 0.75,
    events: [5.0, 1.5, 2.0, 0.3, 0.1],
    searcher: 0.3,
    age: (41.0, 11.0),
    ..BASE
};

const GIFTER: Profile = Profile {
    cat_weights: [0.15, 0.05, 0.15, 0.12, 0.05, 0.18, 0.28, 0.02],
    orders: OrderCount::LogNormal {
        median: 5.0,
        sigma: 0.3,
        min: 3,
        max: 10,
    },
    lines_extra: 1.2,
    signup_back: (500, 1500),
    recency: Recency::Anywhere,
    events: [9.0, 5.0, 3.0, 3.0, 0.4],
    reviewer: 0.3,
    days: DayWeights::Custom {
        months: HOLIDAY,
        weekdays: FLAT_WEEK,
    },
    age: (44.0, 12.0),
    ..BASE
};

const DIY: Profile = Profile {
    cat_weights: [0.1, 0.02, 0.02, 0.7, 0.1, 0.02, 0.02, 0.02],
    orders: OrderCount::LogNormal {
        median: 8.0,
        sigma: 0.3,
        min: 3,
        max: 16,
    },
    lines_extra: 0.9,
    price_pref: (0.55, 8.0),
    events: [14.0, 6.0, 4.0, 2.5, 0.3],
    searcher: 0.7,
    reviewer: 0.5,
    gender: [0.4, 0.56, 0.04],
    days: DayWeights::Custom {
        months: MONTH_WEIGHTS,
        weekdays: WEEKEND,
    },
    age: (43.0, 11.0),
    ..BASE
};

const LUXURY: Profile = Profile {
    cat_weights: [0.2, 0.4, 0.2, 0.15, 0.02, 0.01, 0.01, 0.01],
    orders: OrderCount::LogNormal {
        median: 4.0,
        sigma: 0.3,
        min: 2,
        max: 9,
    },
    lines_extra: 0.3,
    price_pref: (0.94, 25.0),
    disc_prob: (0.02, 40.0),
    disc_depth: (0.05, 0.1),
    return_rate: (0.05, 20.0),
    brand_loyalty: 0.6,
    events: [10.0, 2.0, 3.0, 4.0, 0.2],
    reviewer: 0.45,
    rating_mean: 4.3,
    age: (50.0, 10.0),
    ..BASE
};

const SPORTS: Profile = Profile {
    cat_weights: [0.05, 0.15, 0.01, 0.02, 0.65, 0.01, 0.01, 0.1],
    orders: OrderCount::LogNormal {
        median: 8.0,
        sigma: 0.3,
        min: 3,
        max: 16,
    },
    lines_extra: 0.5,
    price_pref: (0.6, 8.0),
    brand_loyalty: 0.85,
    events: [12.0, 5.0, 3.0, 2.0, 0.6],
    searcher: 0.6,
    gender: [0.4, 0.56, 0.04],
    age: (32.0, 9.0),
    ..BASE
};

const RETURNER: Profile = Profile {
    cat_weights: [0.04, 0.7, 0.15, 0.04, 0.04, 0.01, 0.01, 0.01],
    orders: OrderCount::LogNormal {
        median: 9.0,
        sigma: 0.3,
        min: 4,
        max: 18,
    },
    lines_extra: 1.8,
    return_rate: (0.45, 15.0),
    events: [20.0, 5.0, 8.0, 4.0, 0.5],
    reviewer: 0.5,
    rating_mean: 3.3,
    gender: [0.65, 0.31, 0.04],
    age: (29.0, 8.0),
    ..BASE
};

const CLEARANCE: Profile = Profile {
    cat_weights: [0.1, 0.2, 0.1, 0.2, 0.12, 0.08, 0.1, 0.1],
    orders: OrderCount::LogNormal {
        median: 9.0,
        sigma: 0.3,
        min: 4,
        max: 18,
    },
    lines_extra: 1.4,
    price_pref: (0.08, 12.0),
    disc_prob: (0.85, 20.0),
    disc_depth: (0.35, 0.55),
    depth_clamp: (0.3, 0.7),
    cadence: Cadence::Bursty {
        bursts: (2, 4),
        width: 3.0,
    },
    events: [14.0, 6.0, 6.0, 1.0, 0.2],
    searcher: 0.7,
    rating_mean: 3.8,
    ..BASE
};

const KIDS: Profile = Profile {
    cat_weights: [0.03, 0.15, 0.03, 0.06, 0.1, 0.2, 0.33, 0.1],
    orders: OrderCount::LogNormal {
        median: 9.0,
        sigma: 0.3,
        min: 4,
        max: 18,
    },
    lines_extra: 1.0,
    qty_extra: 0.2,
    price_pref: (0.4, 8.0),
    disc_prob: (0.3, 12.0),
    events: [12.0, 5.0, 4.0, 3.0, 0.5],
    gender: [0.62, 0.34, 0.04],
    age: (37.0, 7.0),
    hours: DAYTIME,
    ..BASE
};

const fn arch(
    name: &'static str,
    profile: Profile,
    queries: &'static super::phrases::QuerySet,
    theme: usize,
) -> Archetype {
    Archetype {
        name,
        profile,
        queries,
        theme,
        theme_p: 0.8,
    }
}

/// Number of archetypes in the family catalogue.
pub(super) const N_FAMILY: usize = 25;

/// The family's archetypes. Text-only pairs share one profile constant; twins differ in a
/// single field of it.
pub(super) static CATALOGUE: [Archetype; N_FAMILY] = [
    arch("tech_enthusiast", TECH, &QUERIES[0], THEME_TECH),
    arch(
        "night_owl_techie",
        Profile {
            hours: NIGHT,
            ..TECH
        },
        &QUERIES[0],
        THEME_TECH,
    ),
    arch("fashion_browser", FASHION, &QUERIES[1], THEME_FIT),
    arch("trend_follower", FASHION, &QUERIES[2], THEME_TREND),
    arch("promo_hunter", PROMO, &QUERIES[3], THEME_VALUE),
    arch("window_shopper", WINDOW, &QUERIES[4], THEME_GENERIC),
    arch("loyal_high_value", LOYAL, &QUERIES[5], THEME_QUALITY),
    arch("lapsed", LAPSED, &QUERIES[6], THEME_DELIVERY),
    arch("one_time_newcomer", NEWCOMER, &QUERIES[4], THEME_GENERIC),
    arch("bulk_stocker", BULK, &Q_GROCERY, THEME_VALUE),
    arch("big_basket_grocer", BIG_BASKET, &Q_GROCERY, THEME_VALUE),
    arch("subscriber", SUBSCRIBER, &Q_REORDER, THEME_QUALITY),
    arch(
        "pantry_replenisher",
        Profile {
            cadence: Cadence::Random,
            ..SUBSCRIBER
        },
        &Q_REORDER,
        THEME_QUALITY,
    ),
    arch(
        "pantry_explorer",
        Profile {
            cadence: Cadence::Random,
            repeat_p: 0.0,
            ..SUBSCRIBER
        },
        &Q_REORDER,
        THEME_QUALITY,
    ),
    arch("holiday_gifter", GIFTER, &Q_GIFTS, THEME_GENERIC),
    arch(
        "year_round_gifter",
        Profile {
            days: YEAR,
            ..GIFTER
        },
        &Q_GIFTS,
        THEME_GENERIC,
    ),
    arch("diy_weekender", DIY, &Q_DIY, THEME_COMPARE),
    arch(
        "diy_weekday",
        Profile {
            days: DayWeights::Custom {
                months: MONTH_WEIGHTS,
                weekdays: WORKDAYS,
            },
            ..DIY
        },
        &Q_DIY,
        THEME_COMPARE,
    ),
    arch("eco_home_nester", DIY, &Q_ECO_HOME, THEME_QUALITY),
    arch("luxury_buyer", LUXURY, &Q_LUXURY, THEME_QUALITY),
    arch("sports_brand_loyalist", SPORTS, &Q_SPORTS, THEME_COMPARE),
    arch(
        "sports_allrounder",
        Profile {
            brand_loyalty: 0.0,
            ..SPORTS
        },
        &Q_SPORTS,
        THEME_COMPARE,
    ),
    arch("serial_returner", RETURNER, &Q_RETURNS, THEME_FIT),
    arch("clearance_bargainer", CLEARANCE, &QUERIES[3], THEME_VALUE),
    arch("kids_parent", KIDS, &Q_KIDS, THEME_GENERIC),
];

/// Text-only pairs: identical behaviour, different review theme and search vocabulary.
pub(super) const TEXT_ONLY_PAIRS: [(&str, &str); 2] = [
    ("fashion_browser", "trend_follower"),
    ("diy_weekender", "eco_home_nester"),
];

/// Twins: identical except the named behaviour dimension.
pub(super) const TWINS: [(&str, &str, &str); 7] = [
    ("tech_enthusiast", "night_owl_techie", "hour_of_day"),
    ("bulk_stocker", "big_basket_grocer", "basket_shape"),
    ("subscriber", "pantry_replenisher", "order_cadence"),
    ("pantry_replenisher", "pantry_explorer", "repeat_purchase"),
    ("holiday_gifter", "year_round_gifter", "season"),
    ("diy_weekender", "diy_weekday", "weekday"),
    (
        "sports_brand_loyalist",
        "sports_allrounder",
        "brand_loyalty",
    ),
];

/// The catalogue entry called `name`.
pub(super) fn find(name: &str) -> Option<&'static Archetype> {
    CATALOGUE.iter().find(|a| a.name == name)
}
