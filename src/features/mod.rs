//! Per-customer features: RFM, spend, category mix, discount use, returns, order behaviour (timing,
//! basket shape, cadence, replenishment, brand loyalty, price level; see `behaviour`), browsing,
//! reviews, and the derived RFM segment and value tier; plus the scaling that turns them into the
//! clustering matrix.
//!
//! Aggregation runs as polars group-bys over the order lines, events and reviews; the results are
//! scattered into one row per customer in the customers table's order.
//!
//! Features that are undefined for a customer (average order value, category mix, discount and
//! return rates without orders; mean rating without rated reviews) are NaN, not 0: a customer who
//! never bought has no return rate. Profiles leave them out of means; scaling imputes the median.

mod behaviour;
pub mod filter;
mod rfm;
pub use rfm::SEGMENT_NAMES as RFM_SEGMENTS;
pub mod scale;

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::config::Config;
use crate::data::Shop;
pub use rfm::{rfm_scores, rfm_segment, value_tiers, Rfm};
pub use scale::{scale, Scaled};

const DAY: f64 = 86_400.0;

/// Errors computing features (the data already passed validation, so these are rare).
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("feature engineering failed: {0}")]
    Polars(#[from] PolarsError),
    #[error("the data has no customers with any activity; check that the orders table has rows")]
    NoCustomers,
}

/// How a feature is transformed before scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// Skewed counts and money: log(1 + x).
    Log1p,
    /// Shares, rates and ratings: used as they are.
    Identity,
}

/// One feature column. Missing values (a mean rating without reviews) are NaN.
#[derive(Debug, Clone)]
pub struct Feature {
    pub name: String,
    pub description: String,
    pub transform: Transform,
    pub values: Vec<f64>,
    /// For rates and shares: how many observations (order lines, items, rated reviews) each value
    /// rests on. Scaling shrinks thin values toward the population mean (`features.shrinkage`).
    pub support: Option<Vec<f64>>,
}

/// All features of all customers, row-aligned with `customer_ids`.
#[derive(Debug, Clone)]
pub struct Features {
    pub customer_ids: Vec<String>,
    pub features: Vec<Feature>,
    pub rfm: Vec<Rfm>,
    pub rfm_segment: Vec<&'static str>,
    pub value_tier: Vec<&'static str>,
    /// The date recency and tenure are measured against.
    pub as_of: NaiveDate,
    /// Categories with their own share feature, biggest first.
    pub categories: Vec<String>,
}

impl Features {
    pub fn len(&self) -> usize {
        self.customer_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customer_ids.is_empty()
    }

    /// The values of a named feature.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.features
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.values.as_slice())
    }

    /// The features as a frame for `features.parquet`, with customer attributes appended.
    pub fn to_frame(&self, customers: &DataFrame) -> PolarsResult<DataFrame> {
        let mut cols = vec![Column::new("customer_id".into(), self.customer_ids.clone())];
        for f in &self.features {
            let v: Vec<Option<f64>> = f
                .values
                .iter()
                .map(|x| x.is_finite().then_some(*x))
                .collect();
            cols.push(Column::new(f.name.as_str().into(), v));
        }
        cols.push(Column::new(
            "rfm_score".into(),
            self.rfm.iter().map(Rfm::code).collect::<Vec<_>>(),
        ));
        cols.push(Column::new("rfm_segment".into(), self.rfm_segment.clone()));
        cols.push(Column::new("value_tier".into(), self.value_tier.clone()));
        // Customer attributes (country, channel, extras) ride along, prefixed to avoid clashes.
        for c in customers.get_columns() {
            let name = c.name().as_str();
            if name == "customer_id" || name == "signup_ts" {
                continue;
            }
            cols.push(c.clone().with_name(format!("attr_{name}").into()));
        }
        DataFrame::new(cols)
    }
}

/// Computes every feature for every customer of the shop.
pub fn build(shop: &Shop, cfg: &Config) -> Result<Features, FeatureError> {
    let ids = shop.customer_ids()?;
    let n = ids.len();
    if n == 0 {
        return Err(FeatureError::NoCustomers);
    }
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();

    let as_of = as_of_date(shop, cfg)?;
    let as_of_ts = day_start(as_of) as f64;

    // Order lines: net value excludes discounts and returned lines.
    let lines = shop
        .orders
        .clone()
        .lazy()
        .with_column((col("unit_price") * col("quantity").cast(DataType::Float64)).alias("gross"))
        .with_column(
            when(col("returned"))
                .then(lit(0.0))
                .otherwise(col("gross") - col("discount"))
                .alias("net"),
        );
    let per = lines
        .clone()
        .group_by([col("customer_id")])
        .agg([
            col("order_id").n_unique().alias("frequency"),
            col("net").sum().alias("monetary"),
            col("gross").sum().alias("gross"),
            col("discount").sum().alias("discount_sum"),
            col("ts").max().alias("last_ts"),
            col("ts").min().alias("first_ts"),
            len().cast(DataType::Float64).alias("lines"),
            col("discount")
                .gt(lit(0.0))
                .cast(DataType::Float64)
                .mean()
                .alias("discount_share"),
            col("returned")
                .cast(DataType::Float64)
                .mean()
                .alias("return_rate"),
        ])
        .collect()?;
    let frequency = scatter(&per, "frequency", &index, n, 0.0)?;
    let monetary = scatter(&per, "monetary", &index, n, 0.0)?;
    let gross = scatter(&per, "gross", &index, n, 0.0)?;
    let discount_sum = scatter(&per, "discount_sum", &index, n, 0.0)?;
    let last_ts = scatter(&per, "last_ts", &index, n, f64::NAN)?;
    let first_order_ts = scatter(&per, "first_ts", &index, n, f64::NAN)?;
    let discount_share = scatter(&per, "discount_share", &index, n, f64::NAN)?;
    let return_rate = scatter(&per, "return_rate", &index, n, f64::NAN)?;
    let line_count = scatter(&per, "lines", &index, n, 0.0)?;

    // First time we saw the customer: signup, first order, first event or first review.
    let mut first_seen = shop
        .customers
        .column("signup_ts")?
        .as_materialized_series()
        .cast(&DataType::Float64)?
        .f64()?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect::<Vec<f64>>();
    fold_min(&mut first_seen, &first_order_ts);

    // Category mix by items bought (price differences are already in the spend features).
    let cat = lines
        .clone()
        .group_by([col("customer_id"), col("category")])
        .agg([col("quantity").sum().cast(DataType::Float64).alias("spend")])
        .collect()?;
    let categories = top_categories(&shop.orders, cfg.features.top_categories)?;
    let mut cat_items = vec![vec![0.0; n]; categories.len() + 1];
    {
        let cid = cat
            .column("customer_id")?
            .as_materialized_series()
            .str()?
            .clone();
        let cname = cat
            .column("category")?
            .as_materialized_series()
            .str()?
            .clone();
        let spend = cat.column("spend")?.as_materialized_series().f64()?.clone();
        let slot: HashMap<&str, usize> = categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        for ((c, k), s) in cid.into_iter().zip(&cname).zip(&spend) {
            let (Some(c), Some(k), Some(s)) = (c, k, s) else {
                continue;
            };
            if let Some(&row) = index.get(c) {
                let j = slot.get(k).copied().unwrap_or(categories.len());
                cat_items[j][row] += s.max(0.0);
            }
        }
    }

    let mut feats = Vec::new();
    let recency: Vec<f64> = last_ts
        .iter()
        .map(|t| {
            if t.is_finite() {
                ((as_of_ts - t) / DAY).max(0.0)
            } else {
                f64::NAN
            }
        })
        .collect();

    // Events and reviews also tell us when a customer was first seen.
    let mut event_feats = Vec::new();
    if let Some(ev) = &shop.events {
        let (f, first_event) = event_features(ev, &index, n, &frequency, cfg)?;
        fold_min(&mut first_seen, &first_event);
        event_feats = f;
    }
    let mut review_feats = Vec::new();
    if let Some(rv) = &shop.reviews {
        let (f, first_review) = review_features(rv, &index, n)?;
        fold_min(&mut first_seen, &first_review);
        review_feats = f;
    }

    let tenure: Vec<f64> = first_seen
        .iter()
        .map(|t| {
            if t.is_finite() {
                ((as_of_ts - t) / DAY).max(1.0)
            } else {
                1.0
            }
        })
        .collect();
    // Customers without orders: recency counts from when they were first seen.
    let recency: Vec<f64> = recency
        .iter()
        .zip(&tenure)
        .map(|(r, t)| if r.is_finite() { *r } else { *t })
        .collect();

    let aov: Vec<f64> = monetary
        .iter()
        .zip(&frequency)
        .map(|(m, f)| if *f > 0.0 { m / f } else { f64::NAN })
        .collect();
    let per_month: Vec<f64> = frequency
        .iter()
        .zip(&tenure)
        .map(|(f, t)| f / (t / 30.44).max(1.0))
        .collect();
    let discount_rate: Vec<f64> = discount_sum
        .iter()
        .zip(&gross)
        .map(|(d, g)| if *g > 0.0 { (d / g).min(1.0) } else { f64::NAN })
        .collect();

    let mut push =
        |name: &str, description: &str, transform, values, support: Option<&Vec<f64>>| {
            feats.push(Feature {
                name: name.into(),
                description: description.into(),
                transform,
                values,
                support: support.cloned(),
            })
        };
    use Transform::{Identity, Log1p};
    push(
        "recency_days",
        "days since the last order (or since first seen, without orders)",
        Log1p,
        recency,
        None,
    );
    push(
        "frequency",
        "distinct orders",
        Log1p,
        frequency.clone(),
        None,
    );
    push(
        "monetary",
        "net spend: price x quantity - discount, returned lines excluded",
        Log1p,
        monetary.clone(),
        None,
    );
    push(
        "avg_order_value",
        "net spend per order (missing without orders)",
        Log1p,
        aov,
        None,
    );
    push(
        "tenure_days",
        "days since first seen (signup, first order, event or review)",
        Log1p,
        tenure,
        None,
    );
    push(
        "orders_per_month",
        "orders per 30.44 days of tenure (tenure floored at one month)",
        Log1p,
        per_month,
        None,
    );
    let items: Vec<f64> = (0..n)
        .map(|i| cat_items.iter().map(|c| c[i]).sum::<f64>())
        .collect();
    for (j, name) in categories
        .iter()
        .map(String::as_str)
        .chain(std::iter::once("other"))
        .enumerate()
    {
        let share: Vec<f64> = (0..n)
            .map(|i| {
                if items[i] > 0.0 {
                    cat_items[j][i] / items[i]
                } else {
                    f64::NAN
                }
            })
            .collect();
        push(
            &format!("cat_share_{}", feature_slug(name)),
            &format!("share of items bought in category '{name}'"),
            Identity,
            share,
            Some(&items),
        );
    }
    push(
        "discount_share",
        "share of order lines with a discount",
        Identity,
        discount_share,
        Some(&line_count),
    );
    push(
        "discount_rate",
        "discount as a share of gross spend",
        Identity,
        discount_rate,
        Some(&line_count),
    );
    push(
        "return_rate",
        "share of order lines returned",
        Identity,
        return_rate,
        Some(&line_count),
    );
    feats.extend(behaviour::behaviour_features(shop, &index, n)?);
    feats.extend(event_feats);
    feats.extend(review_feats);
    make_names_unique(&mut feats);

    let rfm = rfm_scores(&feats[0].values, &frequency, &monetary);
    let rfm_segment = rfm.iter().map(rfm_segment).collect();
    let value_tier = value_tiers(&monetary);

    Ok(Features {
        customer_ids: ids,
        features: feats,
        rfm,
        rfm_segment,
        value_tier,
        as_of,
        categories,
    })
}

/// The analysis date: `features.as_of` when set, else the day after the last order.
pub fn as_of_date(shop: &Shop, cfg: &Config) -> PolarsResult<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(&cfg.features.as_of, "%Y-%m-%d") {
        return Ok(d);
    }
    let last = shop
        .orders
        .column("ts")?
        .as_materialized_series()
        .i64()?
        .max()
        .unwrap_or(0);
    let day = chrono::DateTime::from_timestamp(last, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    Ok(day.succ_opt().unwrap_or(day))
}

/// Seconds since the epoch at midnight (UTC) starting `day`.
pub fn day_start(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0)
}

/// Categories or event types whose names differ only in punctuation or case ("Home & Garden",
/// "home garden"), or a real category called "other", would give two columns one name: later ones
/// get `_2`, `_3`, ...
fn make_names_unique(feats: &mut [Feature]) {
    let mut seen = std::collections::HashSet::new();
    for f in feats.iter_mut() {
        if seen.insert(f.name.clone()) {
            continue;
        }
        let base = f.name.clone();
        let mut i = 2;
        while !seen.insert(format!("{base}_{i}")) {
            i += 1;
        }
        f.name = format!("{base}_{i}");
    }
}

/// Lower-case, `[a-z0-9_]` only, so feature names are stable column names.
pub fn feature_slug(name: &str) -> String {
    let mut s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_');
    if s.is_empty() {
        "unnamed".to_string()
    } else {
        s.to_string()
    }
}

/// The `top` categories by total gross spend, biggest first (ties by name, for determinism).
fn top_categories(orders: &DataFrame, top: usize) -> PolarsResult<Vec<String>> {
    let df = orders
        .clone()
        .lazy()
        .group_by([col("category")])
        .agg([
            (col("unit_price") * col("quantity").cast(DataType::Float64))
                .sum()
                .alias("spend"),
        ])
        .collect()?;
    let names = df
        .column("category")?
        .as_materialized_series()
        .str()?
        .clone();
    let spend = df.column("spend")?.as_materialized_series().f64()?.clone();
    let mut v: Vec<(String, f64)> = names
        .into_iter()
        .zip(&spend)
        .filter_map(|(n, s)| Some((n?.to_string(), s.unwrap_or(0.0))))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(v.into_iter().take(top).map(|(n, _)| n).collect())
}

/// Reads `value` of a per-customer aggregate into customer order; absent customers get `default`.
fn scatter(
    df: &DataFrame,
    value: &str,
    index: &HashMap<&str, usize>,
    n: usize,
    default: f64,
) -> PolarsResult<Vec<f64>> {
    let ids = df
        .column("customer_id")?
        .as_materialized_series()
        .str()?
        .clone();
    let vals = df
        .column(value)?
        .as_materialized_series()
        .cast(&DataType::Float64)?;
    let vals = vals.f64()?;
    let mut out = vec![default; n];
    for (id, v) in ids.into_iter().zip(vals) {
        if let (Some(id), Some(v)) = (id, v) {
            if let Some(&i) = index.get(id) {
                out[i] = v;
            }
        }
    }
    Ok(out)
}

fn fold_min(acc: &mut [f64], other: &[f64]) {
    for (a, b) in acc.iter_mut().zip(other) {
        if b.is_finite() && (!a.is_finite() || b < a) {
            *a = *b;
        }
    }
}

/// Event counts by type (top types), search count, distinct categories browsed, browse-to-buy.
fn event_features(
    events: &DataFrame,
    index: &HashMap<&str, usize>,
    n: usize,
    frequency: &[f64],
    cfg: &Config,
) -> Result<(Vec<Feature>, Vec<f64>), FeatureError> {
    let by_type = events
        .clone()
        .lazy()
        .group_by([col("customer_id"), col("event_type")])
        .agg([len().alias("n")])
        .collect()?;
    let totals = events
        .clone()
        .lazy()
        .group_by([col("event_type")])
        .agg([len().alias("n")])
        .collect()?;
    let mut types: Vec<(String, u64)> = totals
        .column("event_type")?
        .as_materialized_series()
        .str()?
        .into_iter()
        .zip(
            totals
                .column("n")?
                .as_materialized_series()
                .cast(&DataType::UInt64)?
                .u64()?,
        )
        .filter_map(|(t, c)| Some((t?.to_string(), c.unwrap_or(0))))
        .collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let kept: Vec<String> = types
        .iter()
        .map(|(t, _)| t.clone())
        .filter(|t| t != "search")
        .take(cfg.features.top_event_types)
        .collect();

    let mut counts: HashMap<String, Vec<f64>> = HashMap::new();
    {
        let cid = by_type
            .column("customer_id")?
            .as_materialized_series()
            .str()?
            .clone();
        let et = by_type
            .column("event_type")?
            .as_materialized_series()
            .str()?
            .clone();
        let cnt = by_type
            .column("n")?
            .as_materialized_series()
            .cast(&DataType::Float64)?;
        let cnt = cnt.f64()?;
        for ((c, t), k) in cid.into_iter().zip(&et).zip(cnt) {
            let (Some(c), Some(t), Some(k)) = (c, t, k) else {
                continue;
            };
            if let Some(&row) = index.get(c) {
                counts.entry(t.to_string()).or_insert_with(|| vec![0.0; n])[row] += k;
            }
        }
    }
    let per = events
        .clone()
        .lazy()
        .group_by([col("customer_id")])
        .agg([
            col("ts").min().alias("first_ts"),
            col("category")
                .drop_nulls()
                .n_unique()
                .alias("categories_browsed"),
        ])
        .collect()?;
    let first = scatter(&per, "first_ts", index, n, f64::NAN)?;
    let browsed = scatter(&per, "categories_browsed", index, n, 0.0)?;

    let mut out = Vec::new();
    for t in &kept {
        out.push(Feature {
            name: format!("events_{}", feature_slug(t)),
            description: format!("'{t}' events"),
            transform: Transform::Log1p,
            values: counts.get(t).cloned().unwrap_or_else(|| vec![0.0; n]),
            support: None,
        });
    }
    out.push(Feature {
        name: "search_count".into(),
        description: "searches".into(),
        transform: Transform::Log1p,
        values: counts
            .get("search")
            .cloned()
            .unwrap_or_else(|| vec![0.0; n]),
        support: None,
    });
    out.push(Feature {
        name: "categories_browsed".into(),
        description: "distinct categories in browsing events".into(),
        transform: Transform::Log1p,
        values: browsed,
        support: None,
    });
    if let Some(views) = counts.get("view") {
        out.push(Feature {
            name: "browse_to_buy".into(),
            description: "product views per order (views when there is no order)".into(),
            transform: Transform::Log1p,
            values: views
                .iter()
                .zip(frequency)
                .map(|(v, f)| v / f.max(1.0))
                .collect(),
            support: None,
        });
    }
    Ok((out, first))
}

/// Review count and mean rating (NaN without rated reviews).
fn review_features(
    reviews: &DataFrame,
    index: &HashMap<&str, usize>,
    n: usize,
) -> Result<(Vec<Feature>, Vec<f64>), FeatureError> {
    let per = reviews
        .clone()
        .lazy()
        .group_by([col("customer_id")])
        .agg([
            len().alias("review_count"),
            col("rating").mean().alias("mean_rating"),
            col("rating").count().cast(DataType::Float64).alias("rated"),
            col("ts").min().alias("first_ts"),
        ])
        .collect()?;
    let count = scatter(&per, "review_count", index, n, 0.0)?;
    let rating = scatter(&per, "mean_rating", index, n, f64::NAN)?;
    let rated = scatter(&per, "rated", index, n, 0.0)?;
    let first = scatter(&per, "first_ts", index, n, f64::NAN)?;
    Ok((
        vec![
            Feature {
                name: "review_count".into(),
                description: "reviews written".into(),
                transform: Transform::Log1p,
                values: count,
                support: None,
            },
            Feature {
                name: "mean_rating".into(),
                description: "mean review rating, 1-5 (missing without rated reviews)".into(),
                transform: Transform::Identity,
                values: rating,
                support: Some(rated),
            },
        ],
        first,
    ))
}

#[cfg(test)]
mod tests;
