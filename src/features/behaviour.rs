//! Behaviour features from the order lines: when customers order (night, weekend, peak season),
//! how they fill a basket (units per line, lines per order), how regular their cadence is (gap
//! CV), whether they replenish (repeat products), how brand-loyal they are (top brand share) and
//! where in a category's price range they buy (price index).
//!
//! Everything is computed with a handful of polars group-bys over the order lines (per order, per
//! customer, per customer and product), keyed on integer codes of customers, orders and products
//! rather than on the id strings, and read into customer order like the other features.
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

use super::{Feature, FeatureError, Transform};
use crate::data::Shop;

const DAY_SECS: i64 = 86_400;

/// Computes the behaviour features for the `n` customers of `index` (customer id to row).
pub fn behaviour_features(
    shop: &Shop,
    index: &HashMap<&str, usize>,
    n: usize,
) -> Result<Vec<Feature>, FeatureError> {
    let orders = &shop.orders;
    // Customers, orders and products as integer codes (a customer's code is its row), so every
    // group-by below keys on integers instead of hashing strings.
    let mut product_codes = HashMap::new();
    let lines = keyed_lines(orders, index, &mut product_codes)?
        .lazy()
        .filter(col("c").is_not_null());

    // Per order: its time and basket breadth (distinct products). Every aggregation below is a
    // plain column aggregation (len, sum, mean, min, n_unique, std), which polars runs on its fast
    // grouped path; per-group sub-expressions (a value against its group's minimum, per-group
    // sorts) are done with joins and one sort instead, so 16M lines stay in seconds.
    let stamp = (col("ts") * lit(1000i64)).cast(DataType::Datetime(TimeUnit::Milliseconds, None));
    let flag = |e: Expr| e.cast(DataType::Float64).mean();
    let order_frame = lines
        .clone()
        .group_by([col("c"), col("o")])
        .agg([col("ts").min(), col("p").n_unique().alias("breadth")])
        .collect()?;
    let per_order = order_frame
        .clone()
        .lazy()
        .with_columns([
            stamp.clone().dt().hour().alias("hour"),
            stamp.clone().dt().weekday().alias("weekday"),
            stamp.dt().month().alias("month"),
        ])
        .group_by([col("c")])
        .agg([
            len().cast(DataType::Float64).alias("orders"),
            flag(col("hour").gt_eq(lit(22)).or(col("hour").lt(lit(6)))).alias("night"),
            flag(col("weekday").gt_eq(lit(6))).alias("weekend"),
            flag(col("month").gt_eq(lit(11))).alias("peak"),
            col("breadth")
                .cast(DataType::Float64)
                .mean()
                .alias("lines_per_order"),
            col("ts").min().alias("first_ts"),
        ])
        .collect()?;

    // Gaps between consecutive distinct order days: the (customer, day) pairs sorted, each day
    // minus the one before it of the same customer. Days are midnights in seconds (timestamps are
    // from 1970 on, so `%` is the time of day).
    let same = col("c").eq(col("c").shift(lit(1)));
    let per_gap = order_frame
        .clone()
        .lazy()
        .select([
            col("c"),
            (col("ts") - col("ts") % lit(DAY_SECS)).alias("day"),
        ])
        .group_by([col("c"), col("day")])
        .agg([len().alias("orders_that_day")])
        .sort(["c", "day"], SortMultipleOptions::default())
        .with_column(
            when(same)
                .then(
                    (col("day") - col("day").shift(lit(1))).cast(DataType::Float64)
                        / lit(DAY_SECS as f64),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("gap"),
        )
        .group_by([col("c")])
        .agg([
            col("gap").mean().alias("gap_mean"),
            col("gap").std(0).alias("gap_sd"),
            (len().cast(DataType::Float64) - lit(1.0)).alias("gaps"),
        ])
        .collect()?;

    // Per customer over lines: units per line, price index, distinct products.
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
        .group_by([col("c")])
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
        ])
        .collect()?;

    // Replenishment, by (customer, product, order time): every time after the product's first
    // that it is bought again is a repeat, so repeats = pairs - distinct products; the pairs that
    // could be repeats are those after the customer's first order time.
    let firsts = per_order.clone().lazy().select([col("c"), col("first_ts")]);
    let per_time = lines
        .clone()
        .group_by([col("c"), col("p"), col("ts")])
        .agg([len().alias("lines")])
        .join(
            firsts,
            [col("c")],
            [col("c")],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col("c")])
        .agg([
            len().cast(DataType::Float64).alias("pairs"),
            col("p")
                .n_unique()
                .cast(DataType::Float64)
                .alias("products"),
            col("ts")
                .gt(col("first_ts"))
                .cast(DataType::Float64)
                .sum()
                .alias("later"),
        ])
        .collect()?;

    let g = |df: &DataFrame, name: &str, default: f64| spread(df, name, n, default);
    let order_count = g(&per_order, "orders", 0.0)?;
    let line_count = g(&per_line, "lines", 0.0)?;
    let gap_mean = g(&per_gap, "gap_mean", f64::NAN)?;
    let gap_sd = g(&per_gap, "gap_sd", f64::NAN)?;
    let gap_count = g(&per_gap, "gaps", 0.0)?;
    let later = g(&per_time, "later", 0.0)?;
    let repeat_lines: Vec<f64> = g(&per_time, "pairs", 0.0)?
        .iter()
        .zip(g(&per_time, "products", 0.0)?)
        .map(|(p, d)| p - d)
        .collect();

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
        "share of the products bought after the first order that were bought before (a product \
         counts once per order time; missing with one order)",
        Identity,
        repeat_share,
        later,
    );
    if let Some(brands) = brand_table(shop, &product_codes)? {
        let per_brand = lines
            .group_by([col("c"), col("p")])
            .agg([len().cast(DataType::Float64).alias("n")])
            .join(
                brands,
                [col("p")],
                [col("p")],
                JoinArgs::new(JoinType::Inner),
            )
            .group_by([col("c"), col("brand")])
            .agg([col("n").sum()])
            .group_by([col("c")])
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

/// The order lines with customer (`c`, the customer's row), order (`o`) and product (`p`) codes,
/// and the columns the features read. Lines of customers outside `index` get no `c`.
fn keyed_lines<'a>(
    orders: &'a DataFrame,
    index: &HashMap<&str, usize>,
    product_codes: &mut HashMap<&'a str, u32>,
) -> PolarsResult<DataFrame> {
    let customer = orders
        .column("customer_id")?
        .as_materialized_series()
        .str()?;
    let order = orders.column("order_id")?.as_materialized_series().str()?;
    let product = orders
        .column("product_id")?
        .as_materialized_series()
        .str()?;
    let c: Vec<Option<u32>> = customer
        .into_iter()
        .map(|id| id.and_then(|id| index.get(id)).map(|&row| row as u32))
        .collect();
    let code = |map: &mut HashMap<&'a str, u32>, id: Option<&'a str>| {
        id.map(|id| {
            let next = map.len() as u32;
            *map.entry(id).or_insert(next)
        })
    };
    let mut order_codes = HashMap::new();
    let o: Vec<Option<u32>> = order
        .into_iter()
        .map(|id| code(&mut order_codes, id))
        .collect();
    let p: Vec<Option<u32>> = product
        .into_iter()
        .map(|id| code(product_codes, id))
        .collect();
    let mut cols = vec![
        Column::new("c".into(), c),
        Column::new("o".into(), o),
        Column::new("p".into(), p),
    ];
    for name in ["ts", "category", "unit_price", "quantity"] {
        cols.push(orders.column(name)?.clone());
    }
    DataFrame::new(cols)
}

/// Reads `value` of a per-customer aggregate (keyed by the customer code `c`) into customer
/// order; absent customers get `default`.
fn spread(df: &DataFrame, value: &str, n: usize, default: f64) -> PolarsResult<Vec<f64>> {
    let rows = df.column("c")?.as_materialized_series().u32()?.clone();
    let vals = df
        .column(value)?
        .as_materialized_series()
        .cast(&DataType::Float64)?;
    let mut out = vec![default; n];
    for (row, v) in rows.into_iter().zip(vals.f64()?) {
        if let (Some(row), Some(v)) = (row, v) {
            if let Some(slot) = out.get_mut(row as usize) {
                *slot = v;
            }
        }
    }
    Ok(out)
}

/// Product code (`p`) and brand of the bought products that have a brand; None when the products
/// table has no brands at all.
fn brand_table(shop: &Shop, product_codes: &HashMap<&str, u32>) -> PolarsResult<Option<LazyFrame>> {
    let Some(products) = &shop.products else {
        return Ok(None);
    };
    let Ok(brand) = products.column("brand") else {
        return Ok(None);
    };
    if brand.null_count() == brand.len() {
        return Ok(None);
    }
    let ids = products
        .column("product_id")?
        .as_materialized_series()
        .str()?;
    let brand = brand.as_materialized_series().str()?;
    let (codes, brands): (Vec<u32>, Vec<&str>) = ids
        .into_iter()
        .zip(brand)
        .filter_map(|(id, b)| Some((*product_codes.get(id?)?, b?)))
        .unzip();
    let frame = DataFrame::new(vec![
        Column::new("p".into(), codes),
        Column::new("brand".into(), brands),
    ])?;
    Ok(Some(frame.lazy()))
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
