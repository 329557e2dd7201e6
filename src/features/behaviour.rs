//! Behaviour features from the order lines: when customers order (night, weekend, peak season),
//! how they fill a basket (units per line, lines per order), how regular their cadence is (gap
//! CV), whether they replenish (repeat products), how brand-loyal they are (top brand share) and
//! where in a category's price range they buy (price index).
//!
//! Everything is computed with a handful of polars group-bys over the order lines (per order, per
//! customer, per customer and product) and scattered into customer order like the other features.
//! Shares and means carry a `support` (the orders, lines or gaps behind them) so scaling shrinks
//! thin values toward the population mean; values that are undefined for a customer (no orders,
//! too few order days for a cadence) are NaN.
//!
//! Times of day are read from the order timestamp as it was given (naive local times are taken as
//! they are; time-zone-aware Parquet datetimes are in UTC). When every order is at exactly 00:00:00
//! the export carries dates only, and `night_order_share` is left out rather than reporting every
//! order as a night order.

use std::collections::HashMap;

use polars::prelude::*;

use super::{scatter, Feature, FeatureError, Transform};
use crate::data::Shop;

const DAY_SECS: i64 = 86_400;

/// Computes the behaviour features for the `n` customers of `index` (customer id to row).
pub fn behaviour_features(
    shop: &Shop,
    index: &HashMap<&str, usize>,
    n: usize,
) -> Result<Vec<Feature>, FeatureError> {
    let orders = &shop.orders;
    let lines = orders.clone().lazy().select([
        col("order_id"),
        col("customer_id"),
        col("ts"),
        col("product_id"),
        col("category"),
        col("unit_price"),
        col("quantity"),
    ]);

    // Per order: its time and basket breadth; then per customer: shares of orders by time, mean
    // breadth, and the gaps between consecutive distinct order days.
    let stamp = (col("ts") * lit(1000i64)).cast(DataType::Datetime(TimeUnit::Milliseconds, None));
    let flag = |e: Expr| e.cast(DataType::Float64).mean();
    let days = col("day").unique().sort(SortOptions::default());
    // Days are midnights in seconds (timestamps are from 1970 on, so `%` is the day remainder).
    let gaps = (days.clone() - days.shift(lit(1))).cast(DataType::Float64) / lit(DAY_SECS as f64);
    let per_order = lines
        .clone()
        .group_by([col("customer_id"), col("order_id")])
        .agg([
            col("ts").min(),
            col("product_id").n_unique().alias("breadth"),
        ])
        .with_columns([
            stamp.clone().dt().hour().alias("hour"),
            stamp.clone().dt().weekday().alias("weekday"),
            stamp.dt().month().alias("month"),
            (col("ts") - col("ts") % lit(DAY_SECS)).alias("day"),
        ])
        .group_by([col("customer_id")])
        .agg([
            len().cast(DataType::Float64).alias("orders"),
            flag(col("hour").gt_eq(lit(22)).or(col("hour").lt(lit(6)))).alias("night"),
            flag(col("weekday").gt_eq(lit(6))).alias("weekend"),
            flag(col("month").gt_eq(lit(11))).alias("peak"),
            col("breadth")
                .cast(DataType::Float64)
                .mean()
                .alias("lines_per_order"),
            gaps.clone().mean().alias("gap_mean"),
            gaps.clone().std(0).alias("gap_sd"),
            col("day")
                .n_unique()
                .cast(DataType::Float64)
                .alias("order_days"),
        ])
        .collect()?;

    // Per customer over lines: units per line, price index, and the lines after the first order
    // (the lines that could be repeats).
    let cat_median = orders
        .clone()
        .lazy()
        .group_by([col("category")])
        .agg([col("unit_price").median().alias("cat_median")]);
    let per_line = lines
        .clone()
        .join(
            cat_median,
            [col("category")],
            [col("category")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            when(col("cat_median").gt(lit(0.0)))
                .then(col("unit_price") / col("cat_median"))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("price_ratio"),
        )
        .group_by([col("customer_id")])
        .agg([
            len().cast(DataType::Float64).alias("lines"),
            col("quantity")
                .cast(DataType::Float64)
                .mean()
                .alias("units_per_line"),
            col("price_ratio").mean().alias("price_index"),
            col("price_ratio")
                .count()
                .cast(DataType::Float64)
                .alias("priced"),
            col("ts")
                .gt(col("ts").min())
                .cast(DataType::Float64)
                .sum()
                .alias("later_lines"),
        ])
        .collect()?;

    // Per customer and product: lines, and those after the product's first order (repeats).
    let per_product = lines
        .group_by([col("customer_id"), col("product_id")])
        .agg([
            len().cast(DataType::Float64).alias("n"),
            col("ts")
                .gt(col("ts").min())
                .cast(DataType::Float64)
                .sum()
                .alias("repeats"),
        ]);
    let repeats = per_product
        .clone()
        .group_by([col("customer_id")])
        .agg([col("repeats").sum()])
        .collect()?;

    let g = |df: &DataFrame, name: &str, default: f64| scatter(df, name, index, n, default);
    let order_count = g(&per_order, "orders", 0.0)?;
    let line_count = g(&per_line, "lines", 0.0)?;
    let gap_mean = g(&per_order, "gap_mean", f64::NAN)?;
    let gap_sd = g(&per_order, "gap_sd", f64::NAN)?;
    let gap_count: Vec<f64> = g(&per_order, "order_days", 0.0)?
        .iter()
        .map(|d| (d - 1.0).max(0.0))
        .collect();
    let later = g(&per_line, "later_lines", 0.0)?;
    let repeat_lines = g(&repeats, "repeats", 0.0)?;

    let mut out = Vec::new();
    let mut push = |name: &str, description: &str, transform, values, support: Vec<f64>| {
        out.push(Feature {
            name: name.into(),
            description: description.into(),
            transform,
            values,
            support: Some(support),
        })
    };
    use Transform::{Identity, Log1p};
    if has_times_of_day(orders)? {
        push(
            "night_order_share",
            "share of orders placed 22:00-05:59",
            Identity,
            g(&per_order, "night", f64::NAN)?,
            order_count.clone(),
        );
    }
    push(
        "weekend_order_share",
        "share of orders placed on a Saturday or Sunday",
        Identity,
        g(&per_order, "weekend", f64::NAN)?,
        order_count.clone(),
    );
    push(
        "peak_season_share",
        "share of orders placed in November or December",
        Identity,
        g(&per_order, "peak", f64::NAN)?,
        order_count.clone(),
    );
    push(
        "units_per_line",
        "mean quantity per order line",
        Log1p,
        g(&per_line, "units_per_line", f64::NAN)?,
        line_count.clone(),
    );
    push(
        "lines_per_order",
        "mean distinct products per order",
        Log1p,
        g(&per_order, "lines_per_order", f64::NAN)?,
        order_count,
    );
    let gap_cv = (0..n)
        .map(|i| {
            if gap_count[i] >= 2.0 && gap_mean[i] > 0.0 {
                gap_sd[i] / gap_mean[i]
            } else {
                f64::NAN
            }
        })
        .collect();
    push(
        "gap_cv",
        "coefficient of variation of the days between consecutive order days (missing with fewer \
         than 3 order days)",
        Log1p,
        gap_cv,
        gap_count,
    );
    let repeat_share = (0..n)
        .map(|i| {
            if later[i] > 0.0 {
                repeat_lines[i] / later[i]
            } else {
                f64::NAN
            }
        })
        .collect();
    push(
        "repeat_product_share",
        "share of the lines after the first order whose product was bought before (missing with \
         one order)",
        Identity,
        repeat_share,
        later,
    );
    if let Some(brands) = brand_table(shop)? {
        let per_brand = per_product
            .join(
                brands,
                [col("product_id")],
                [col("product_id")],
                JoinArgs::new(JoinType::Inner),
            )
            .group_by([col("customer_id"), col("brand")])
            .agg([col("n").sum()])
            .group_by([col("customer_id")])
            .agg([col("n").max().alias("top"), col("n").sum().alias("branded")])
            .collect()?;
        let top = g(&per_brand, "top", 0.0)?;
        let branded = g(&per_brand, "branded", 0.0)?;
        let share = top
            .iter()
            .zip(&branded)
            .map(|(t, b)| if *b > 0.0 { t / b } else { f64::NAN })
            .collect();
        push(
            "top_brand_share",
            "share of branded order lines from the customer's most-bought brand",
            Identity,
            share,
            branded,
        );
    }
    push(
        "price_index",
        "mean of unit price / the median unit price of the line's category",
        Log1p,
        g(&per_line, "price_index", f64::NAN)?,
        g(&per_line, "priced", 0.0)?,
    );
    Ok(out)
}

/// Whether any order has a time of day other than 00:00:00 (date-only exports have none).
fn has_times_of_day(orders: &DataFrame) -> PolarsResult<bool> {
    let ts = orders.column("ts")?.as_materialized_series().i64()?.clone();
    let timed = ts
        .into_iter()
        .flatten()
        .any(|t| t.rem_euclid(DAY_SECS) != 0);
    Ok(timed)
}

/// product_id and brand of products with a brand; None when no product has one.
fn brand_table(shop: &Shop) -> PolarsResult<Option<LazyFrame>> {
    let Some(products) = &shop.products else {
        return Ok(None);
    };
    let Ok(brand) = products.column("brand") else {
        return Ok(None);
    };
    if brand.null_count() == brand.len() {
        return Ok(None);
    }
    Ok(Some(
        products
            .clone()
            .lazy()
            .select([col("product_id"), col("brand")])
            .filter(col("brand").is_not_null()),
    ))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::features::build;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    /// A: three Saturday orders in November, a week apart, two at night; B: three summer orders
    /// (one on a Sunday) one and ten days apart; C: no orders; D: one order on Christmas Eve.
    fn shop(
        orders: &str,
        products: Option<&str>,
    ) -> (tempfile::TempDir, crate::data::Shop, Config) {
        let dir = tempfile::tempdir().unwrap();
        let w = |name: &str, body: &str| std::fs::write(dir.path().join(name), body).unwrap();
        w("customers.csv", "customer_id\nA\nB\nC\nD\n");
        w("orders.csv", orders);
        if let Some(p) = products {
            w("products.csv", p);
        }
        let cfg = Config::from_toml_str("[features]\nas_of = \"2025-01-01\"\n", "test").unwrap();
        let shop = crate::data::load(dir.path(), &cfg).unwrap();
        (dir, shop, cfg)
    }

    const ORDERS: &str = "order_id,customer_id,order_date,product_id,unit_price,quantity\n\
        a1,A,2024-11-02 23:30:00,p1,10,2\n\
        a1,A,2024-11-02 23:30:00,p3,20,1\n\
        a2,A,2024-11-09 10:00:00,p1,10,1\n\
        a3,A,2024-11-16 03:00:00,p1,10,3\n\
        a3,A,2024-11-16 03:00:00,p2,30,1\n\
        b1,B,2024-06-05 12:00:00,p2,30,1\n\
        b1,B,2024-06-05 12:00:00,p4,5,1\n\
        b2,B,2024-06-06 12:00:00,p4,5,2\n\
        b3,B,2024-06-16 12:00:00,p3,20,1\n\
        d1,D,2024-12-24 08:00:00,p4,5,1\n\
        d1,D,2024-12-24 08:00:00,p3,40,1\n";
    const PRODUCTS: &str = "product_id,category,brand\n\
        p1,books,Xeno\np2,books,Yarra\np3,toys,Xeno\np4,toys,\n";

    fn features(orders: &str, products: Option<&str>) -> crate::features::Features {
        let (_d, shop, cfg) = shop(orders, products);
        build(&shop, &cfg).unwrap()
    }

    #[test]
    fn timing_shares() {
        let f = features(ORDERS, Some(PRODUCTS));
        let g = |n: &str| f.get(n).unwrap().to_vec();
        let night = g("night_order_share");
        close(night[0], 2.0 / 3.0);
        close(night[1], 0.0);
        close(night[3], 0.0);
        let weekend = g("weekend_order_share");
        close(weekend[0], 1.0);
        close(weekend[1], 1.0 / 3.0);
        close(weekend[3], 0.0);
        let peak = g("peak_season_share");
        close(peak[0], 1.0);
        close(peak[1], 0.0);
        close(peak[3], 1.0);
        let support = |n: &str| {
            f.features
                .iter()
                .find(|x| x.name == n)
                .unwrap()
                .support
                .clone()
                .unwrap()
        };
        assert_eq!(support("night_order_share"), vec![3.0, 3.0, 0.0, 1.0]);
    }

    #[test]
    fn basket_shape() {
        let f = features(ORDERS, Some(PRODUCTS));
        let g = |n: &str| f.get(n).unwrap().to_vec();
        let units = g("units_per_line");
        close(units[0], 8.0 / 5.0);
        close(units[1], 5.0 / 4.0);
        close(units[3], 1.0);
        let lines = g("lines_per_order");
        close(lines[0], 5.0 / 3.0);
        close(lines[1], 4.0 / 3.0);
        close(lines[3], 2.0);
    }

    #[test]
    fn cadence_and_replenishment() {
        let f = features(ORDERS, Some(PRODUCTS));
        let g = |n: &str| f.get(n).unwrap().to_vec();
        let cv = g("gap_cv");
        // A orders every 7 days: perfectly regular.
        close(cv[0], 0.0);
        // B: gaps of 1 and 10 days, mean 5.5, standard deviation 4.5.
        close(cv[1], 4.5 / 5.5);
        // D has one order: no cadence.
        assert!(cv[3].is_nan());
        let gaps = f.features.iter().find(|x| x.name == "gap_cv").unwrap();
        assert_eq!(gaps.support.as_deref(), Some(&[2.0, 2.0, 0.0, 0.0][..]));
        let rep = g("repeat_product_share");
        // A's later lines: p1 (again), p1 (again), p2 (new).
        close(rep[0], 2.0 / 3.0);
        // B's later lines: p4 (again), p3 (new).
        close(rep[1], 0.5);
        assert!(rep[3].is_nan());
    }

    #[test]
    fn brand_and_price_level() {
        let f = features(ORDERS, Some(PRODUCTS));
        let g = |n: &str| f.get(n).unwrap().to_vec();
        let brand = g("top_brand_share");
        // A: Xeno on 4 of 5 lines; B: one Xeno and one Yarra of 2 branded lines; D: one Xeno line.
        close(brand[0], 0.8);
        close(brand[1], 0.5);
        close(brand[3], 1.0);
        // Median line price: books [10, 10, 10, 30, 30] = 10; toys [5, 5, 5, 20, 20, 40] = 12.5.
        let price = g("price_index");
        close(price[0], (1.0 + 1.6 + 1.0 + 1.0 + 3.0) / 5.0);
        close(price[1], (3.0 + 0.4 + 0.4 + 1.6) / 4.0);
        close(price[3], (0.4 + 3.2) / 2.0);
    }

    #[test]
    fn undefined_without_orders() {
        let f = features(ORDERS, Some(PRODUCTS));
        for feat in &f.features[..] {
            let behaviour = [
                "night_order_share",
                "weekend_order_share",
                "peak_season_share",
                "units_per_line",
                "lines_per_order",
                "gap_cv",
                "repeat_product_share",
                "top_brand_share",
                "price_index",
            ];
            if behaviour.contains(&feat.name.as_str()) {
                assert!(feat.values[2].is_nan(), "{} of C", feat.name);
                assert_eq!(feat.support.as_ref().unwrap()[2], 0.0, "{}", feat.name);
            }
        }
    }

    #[test]
    fn dates_only_and_no_brands_leave_features_out() {
        let orders = "order_id,customer_id,order_date,product_id,category,unit_price\n\
            a1,A,2024-11-02,p1,books,10\n\
            a2,A,2024-11-09,p1,books,10\n";
        let f = features(orders, None);
        assert!(f.get("night_order_share").is_none());
        assert!(f.get("top_brand_share").is_none());
        assert_eq!(f.get("weekend_order_share").unwrap()[0], 1.0);
        // A products table without brands is the same as none.
        let f = features(orders, Some("product_id,category\np1,books\n"));
        assert!(f.get("top_brand_share").is_none());
    }
}
