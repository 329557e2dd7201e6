//! The feature glossary: every feature's plain name, unit and what a high or a low value means in
//! a marketer's words. The card, the report, the TUI and the grounding check read features
//! through it; raw column names stay in the data files.
//!
//! Features named by data (`cat_share_<category>`, `events_<type>`) are described from their
//! description, which carries the category or event name as the shop wrote it.

use serde::Serialize;

/// How a feature's values are written for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Whole or fractional days: "41 days".
    Days,
    /// A count: "3.2 orders".
    Count,
    /// Money in the shop's currency (the data carries none): "812.40".
    Money,
    /// A 0..1 share written as a percentage: "16.0%".
    Share,
    /// A plain ratio or index: "1.35".
    Ratio,
    /// A signed score such as sentiment (-1..1) or a 1..5 rating.
    Score,
}

/// One feature in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// The feature's column name.
    pub feature: String,
    /// Plain name: "days since the last order".
    pub plain: String,
    pub unit: Unit,
    /// What a value above everyone's means: "bought long ago".
    pub high: String,
    /// What a value below everyone's means: "bought recently".
    pub low: String,
}

impl Term {
    /// A value of this feature as people read it: "41 days", "16.0%", "812".
    pub fn value(&self, x: f64) -> String {
        match self.unit {
            Unit::Days => format!("{} days", round_sig(x)),
            Unit::Share => format!("{}%", super::fmt_num(x * 100.0)),
            Unit::Count | Unit::Money | Unit::Ratio | Unit::Score => super::fmt_num(x),
        }
    }

    /// The meaning of being above (`up`) or below everyone.
    pub fn meaning(&self, up: bool) -> &str {
        if up {
            &self.high
        } else {
            &self.low
        }
    }
}

fn round_sig(x: f64) -> String {
    if x.abs() >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Fixed entries: (feature, plain name, unit, high, low).
const FIXED: [(&str, &str, Unit, &str, &str); 26] = [
    (
        "recency_days",
        "days since the last order",
        Unit::Days,
        "last bought long ago (lapsing)",
        "bought recently",
    ),
    (
        "frequency",
        "orders",
        Unit::Count,
        "orders often",
        "orders rarely",
    ),
    (
        "monetary",
        "net spend",
        Unit::Money,
        "spends more",
        "spends less",
    ),
    (
        "avg_order_value",
        "average order value",
        Unit::Money,
        "larger orders",
        "smaller orders",
    ),
    (
        "tenure_days",
        "days since first seen",
        Unit::Days,
        "long-standing customers",
        "newer customers",
    ),
    (
        "orders_per_month",
        "orders per month",
        Unit::Count,
        "buys more often",
        "buys less often",
    ),
    (
        "discount_share",
        "share of order lines with a discount",
        Unit::Share,
        "buys on discount more",
        "pays full price more",
    ),
    (
        "discount_rate",
        "discount as a share of gross spend",
        Unit::Share,
        "takes deeper discounts",
        "takes smaller discounts",
    ),
    (
        "return_rate",
        "share of order lines returned",
        Unit::Share,
        "returns more",
        "returns less",
    ),
    (
        "night_order_share",
        "share of orders placed at night (22:00-05:59)",
        Unit::Share,
        "orders late at night more",
        "orders at night less",
    ),
    (
        "weekend_order_share",
        "share of orders placed at weekends",
        Unit::Share,
        "orders at weekends more",
        "orders on weekdays more",
    ),
    (
        "peak_season_share",
        "share of orders in November and December",
        Unit::Share,
        "buys in the holiday season more",
        "buys outside the holiday season more",
    ),
    (
        "units_per_line",
        "units per order line",
        Unit::Count,
        "buys several of a product at once",
        "buys single units",
    ),
    (
        "lines_per_order",
        "products per order",
        Unit::Count,
        "fills larger baskets",
        "buys one or two products per order",
    ),
    (
        "gap_cv",
        "irregularity of the time between orders",
        Unit::Ratio,
        "buys in bursts",
        "buys on a regular rhythm",
    ),
    (
        "repeat_product_share",
        "share of order lines re-buying a product bought before",
        Unit::Share,
        "re-buys the same products",
        "tries new products",
    ),
    (
        "top_brand_share",
        "share of branded lines from the favourite brand",
        Unit::Share,
        "sticks to one brand",
        "spreads over brands",
    ),
    (
        "price_index",
        "price paid against the category's typical price",
        Unit::Ratio,
        "buys at the dear end",
        "buys at the cheap end",
    ),
    (
        "search_count",
        "searches",
        Unit::Count,
        "searches more",
        "searches less",
    ),
    (
        "categories_browsed",
        "categories browsed",
        Unit::Count,
        "browses more categories",
        "browses fewer categories",
    ),
    (
        "browse_to_buy",
        "product views per order",
        Unit::Ratio,
        "browses a lot per purchase",
        "buys with little browsing",
    ),
    (
        "review_count",
        "reviews written",
        Unit::Count,
        "writes more reviews",
        "writes fewer reviews",
    ),
    (
        "mean_rating",
        "mean star rating (1-5)",
        Unit::Score,
        "rates products higher",
        "rates products lower",
    ),
    (
        "mean_sentiment",
        "review sentiment (-1 to 1)",
        Unit::Score,
        "more satisfied in reviews",
        "less satisfied in reviews",
    ),
    (
        "share_negative_reviews",
        "share of reviews that are negative",
        Unit::Share,
        "complains more in reviews",
        "complains less in reviews",
    ),
    (
        "has_text",
        "share who wrote a review or searched",
        Unit::Share,
        "writes or searches more",
        "writes or searches less",
    ),
];

/// The quoted name inside a description such as "share of items bought in category 'kitchen'".
fn quoted(description: &str) -> Option<&str> {
    let start = description.find('\'')? + 1;
    let len = description[start..].find('\'')?;
    Some(&description[start..start + len])
}

/// The glossary entry of a feature; `description` is the feature's own (from the features
/// table), used for data-named features and for anything the glossary does not know.
pub fn term(feature: &str, description: &str) -> Term {
    if let Some((_, plain, unit, high, low)) = FIXED.iter().find(|e| e.0 == feature) {
        return Term {
            feature: feature.to_string(),
            plain: (*plain).to_string(),
            unit: *unit,
            high: (*high).to_string(),
            low: (*low).to_string(),
        };
    }
    if let Some(slug) = feature.strip_prefix("cat_share_") {
        let cat = quoted(description).map_or_else(|| slug.replace('_', " "), str::to_string);
        let plain = if cat == "other" {
            "share of items in smaller categories".to_string()
        } else {
            format!("share of items in {cat}")
        };
        return Term {
            feature: feature.to_string(),
            plain,
            unit: Unit::Share,
            high: format!("buys more {cat}"),
            low: format!("buys less {cat}"),
        };
    }
    if let Some(slug) = feature.strip_prefix("events_") {
        let kind = quoted(description).map_or_else(|| slug.replace('_', " "), str::to_string);
        let plain = match kind.as_str() {
            "view" | "product_view" | "page_view" => "product views".to_string(),
            "add_to_cart" | "cart" => "add-to-cart events".to_string(),
            "wishlist" => "wishlist adds".to_string(),
            _ => format!("'{kind}' events"),
        };
        return Term {
            feature: feature.to_string(),
            high: format!("more {plain}"),
            low: format!("fewer {plain}"),
            plain,
            unit: Unit::Count,
        };
    }
    let plain = if description.is_empty() {
        feature.replace('_', " ")
    } else {
        description.to_string()
    };
    Term {
        feature: feature.to_string(),
        high: format!("higher {plain}"),
        low: format!("lower {plain}"),
        plain,
        unit: Unit::Ratio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_features_read_in_plain_words() {
        let t = term("recency_days", "days since last order");
        assert_eq!(t.plain, "days since the last order");
        assert_eq!(t.value(401.93), "402 days");
        assert!(t.meaning(true).contains("long ago"));
        assert_eq!(term("discount_share", "").value(0.94), "94.0%");
    }

    #[test]
    fn data_named_features_take_the_shops_names() {
        let t = term(
            "cat_share_home_garden",
            "share of items bought in category 'Home & Garden'",
        );
        assert_eq!(t.plain, "share of items in Home & Garden");
        assert_eq!(t.high, "buys more Home & Garden");
        let e = term("events_view", "'view' events");
        assert_eq!(e.plain, "product views");
        let u = term("attr_x", "");
        assert_eq!(u.plain, "attr x");
    }

    #[test]
    fn every_fixed_entry_is_distinct() {
        let mut names: Vec<&str> = FIXED.iter().map(|e| e.0).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIXED.len());
    }
}
