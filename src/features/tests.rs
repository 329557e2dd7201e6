//! Hand-computed fixtures for every feature formula.

use super::*;
use crate::config::Config;

fn shop() -> (tempfile::TempDir, Shop, Config) {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: &str| std::fs::write(dir.path().join(name), body).unwrap();
    w(
        "customers.csv",
        "customer_id,signup_date,country\nA,2024-01-01,DE\nB,2024-06-01,FR\nC,2024-12-01,DE\n",
    );
    w(
        "orders.csv",
        "order_id,customer_id,order_date,product_id,category,unit_price,quantity,discount,returned\n\
         o1,A,2024-02-01,p1,books,10,2,0,false\n\
         o1,A,2024-02-01,p2,toys,5,1,1,false\n\
         o2,A,2024-12-21,p1,books,10,1,0,true\n\
         o3,B,2024-12-01,p3,toys,30,1,3,false\n",
    );
    w(
        "events.csv",
        "customer_id,event_time,event_type,product_id,category,query\n\
         A,2024-01-15 10:00:00,view,p1,books,\n\
         A,2024-01-16 10:00:00,view,p2,toys,\n\
         A,2024-01-16 10:05:00,search,,,kids books\n\
         C,2024-11-01 09:00:00,view,p3,toys,\n",
    );
    w(
        "reviews.csv",
        "customer_id,text,rating\nA,\"Great, loved it\",5\nA,meh,3\nB,bad,1\n",
    );
    let cfg = Config::from_toml_str("[features]\nas_of = \"2025-01-01\"\n", "test").unwrap();
    let shop = crate::data::load(dir.path(), &cfg).unwrap();
    (dir, shop, cfg)
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn rfm_spend_and_tenure() {
    let (_d, shop, cfg) = shop();
    let f = build(&shop, &cfg).unwrap();
    assert_eq!(f.customer_ids, vec!["A", "B", "C"]);
    let g = |n: &str| f.get(n).unwrap().to_vec();
    assert_eq!(g("frequency"), vec![2.0, 1.0, 0.0]);
    // A: 10*2 + (5-1) + returned line 0 = 24; B: 30 - 3 = 27.
    assert_eq!(g("monetary"), vec![24.0, 27.0, 0.0]);
    assert_eq!(g("avg_order_value")[..2], [12.0, 27.0]);
    // Undefined without orders.
    assert!(g("avg_order_value")[2].is_nan());
    assert!(g("return_rate")[2].is_nan());
    assert!(g("cat_share_books")[2].is_nan());
    // As of 2025-01-01: A last ordered 2024-12-21, B 2024-12-01; C never (first seen by an event
    // on 2024-11-01, before the signup).
    let r = g("recency_days");
    close(r[0], 11.0);
    close(r[1], 31.0);
    close(r[2], 61.0 - 9.0 / 24.0); // first event at 09:00
    let t = g("tenure_days");
    close(t[0], 366.0);
    close(t[1], 214.0);
    close(t[2], 61.0 - 9.0 / 24.0);
    close(g("orders_per_month")[0], 2.0 / (366.0 / 30.44));
    close(g("orders_per_month")[1], 1.0 / (214.0 / 30.44));
}

#[test]
fn category_discount_and_returns() {
    let (_d, shop, cfg) = shop();
    let f = build(&shop, &cfg).unwrap();
    // Toys has the larger gross spend (35 vs 30), so it comes first.
    assert_eq!(f.categories, vec!["toys", "books"]);
    let g = |n: &str| f.get(n).unwrap().to_vec();
    // By items: A bought 2 + 1 books and 1 toy.
    close(g("cat_share_books")[0], 3.0 / 4.0);
    close(g("cat_share_toys")[0], 1.0 / 4.0);
    close(g("cat_share_toys")[1], 1.0);
    assert_eq!(g("cat_share_other")[..2], [0.0, 0.0]);
    close(g("discount_share")[0], 1.0 / 3.0);
    close(g("discount_share")[1], 1.0);
    close(g("discount_rate")[0], 1.0 / 35.0);
    close(g("discount_rate")[1], 0.1);
    close(g("return_rate")[0], 1.0 / 3.0);
    close(g("return_rate")[1], 0.0);
}

#[test]
fn browsing_and_reviews() {
    let (_d, shop, cfg) = shop();
    let f = build(&shop, &cfg).unwrap();
    let g = |n: &str| f.get(n).unwrap().to_vec();
    assert_eq!(g("events_view"), vec![2.0, 0.0, 1.0]);
    assert_eq!(g("search_count"), vec![1.0, 0.0, 0.0]);
    assert_eq!(g("categories_browsed"), vec![2.0, 0.0, 1.0]);
    // Views per order; views alone without orders.
    assert_eq!(g("browse_to_buy"), vec![1.0, 0.0, 1.0]);
    assert_eq!(g("review_count"), vec![2.0, 1.0, 0.0]);
    let m = g("mean_rating");
    close(m[0], 4.0);
    close(m[1], 1.0);
    assert!(m[2].is_nan());
}

#[test]
fn rfm_codes_and_tiers() {
    let (_d, shop, cfg) = shop();
    let f = build(&shop, &cfg).unwrap();
    assert_eq!(f.rfm[0].code(), "442");
    assert_eq!(f.rfm[1].code(), "224");
    assert_eq!(f.rfm[2].code(), "000");
    assert_eq!(f.rfm_segment[2], "prospect");
    assert_eq!(f.value_tier, vec!["mid", "high", "low"]);
}

#[test]
fn as_of_defaults_to_day_after_last_order() {
    let (_d, shop, _) = shop();
    let f = build(&shop, &Config::default()).unwrap();
    assert_eq!(f.as_of.to_string(), "2024-12-22");
    close(f.get("recency_days").unwrap()[0], 1.0);
}

#[test]
fn scaling_imputes_and_weights() {
    let (_d, shop, _) = shop();
    let cfg =
        Config::from_toml_str("[features.weights]\nreturn_rate = 0\nmonetary = 2\n", "t").unwrap();
    let f = build(&shop, &cfg).unwrap();
    let s = scale(&f, &cfg);
    assert!(!s.names.iter().any(|n| n == "return_rate"));
    assert!(s.matrix.iter().all(|v| v.is_finite()));
    let j = s.names.iter().position(|n| n == "monetary").unwrap();
    assert_eq!(s.weights[j], 2.0);
    // Median of log1p(monetary) over [24, 27, 0] is log1p(24): A sits at the centre.
    close(s.matrix[[0, j]], 0.0);
}

#[test]
fn as_of_in_the_past_leaves_out_the_future() {
    let (_d, shop, _) = shop();
    let cut_day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let (past, dropped) = shop.before(day_start(cut_day)).unwrap();
    // A's second order and B's order, C's November event, and B and C themselves (they signed up
    // on or after the date); undated reviews stay.
    assert_eq!(dropped, 5);
    let cfg = Config::from_toml_str("[features]\nas_of = \"2024-06-01\"\n", "t").unwrap();
    let f = build(&past, &cfg).unwrap();
    assert_eq!(f.customer_ids, vec!["A"]);
    assert_eq!(f.get("frequency").unwrap(), &[1.0]);
    close(f.get("recency_days").unwrap()[0], 121.0);
}

#[test]
fn clashing_feature_names_are_made_unique() {
    let mut f: Vec<Feature> = [
        "cat_share_home_garden",
        "cat_share_home_garden",
        "cat_share_other",
        "cat_share_home_garden",
    ]
    .iter()
    .map(|n| Feature {
        name: n.to_string(),
        description: String::new(),
        transform: Transform::Identity,
        values: vec![],
        support: None,
    })
    .collect();
    make_names_unique(&mut f);
    let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "cat_share_home_garden",
            "cat_share_home_garden_2",
            "cat_share_other",
            "cat_share_home_garden_3"
        ]
    );
    assert_eq!(feature_slug("€€"), "unnamed");
    assert_eq!(feature_slug("Home & Garden"), "home_garden");
}
