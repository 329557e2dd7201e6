//! The figures a persona may quote: every number of a segment's profile (its own, the
//! population's, lifts, categories, products, tiers, RFM mix, text), of the neighbours the card
//! shows, and of tool results, each keyed by the words that name what it is about.

use super::numbers::{numbers, Unit};
use super::{stem, words};
use crate::profile::{fmt_num, SegmentProfile};
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FactKind {
    /// A count or measured value (money, days, items).
    Value,
    /// A share in 0..1 (claims in percent are compared with 100 times it).
    Share,
    /// A lift or ratio.
    Ratio,
}

/// Which statistic a feature's figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stat {
    Mean,
    Median,
}

/// Whose figure a fact is: "0.25 vs 0.07" reads as the segment's against everyone's, and a
/// figure of everyone is no figure of the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The segment's own statistic (of `Fact::feature`, or its share of a category or product).
    Own(Stat),
    /// Everyone's statistic of the same.
    Everyone(Stat),
    /// The segment's number: quoted only as "segment 4".
    SegmentId,
    /// How many segments the run has: quoted only as "8 segments".
    SegmentCount,
    /// A figure of the neighbour with this id, as the card shows it.
    Neighbour(i64),
    /// Lifts, sizes, tiers, tool results.
    Other,
}

/// A figure claims may be checked against.
#[derive(Debug, Clone)]
pub struct Fact {
    pub(super) value: f64,
    pub(super) kind: FactKind,
    /// Stemmed keywords naming what the figure is about.
    pub(super) keys: Vec<String>,
    pub(super) label: String,
    /// The feature (or category) the figure is of, when it is of one.
    pub(super) feature: Option<String>,
    pub(super) role: Role,
}

impl Fact {
    /// The figure, for callers that list what a text makes evidence of.
    pub fn value(&self) -> f64 {
        self.value
    }

    fn new(value: f64, kind: FactKind, keys: Vec<String>, label: impl Into<String>) -> Self {
        Self {
            value,
            kind,
            keys,
            label: label.into(),
            feature: None,
            role: Role::Other,
        }
    }

    fn of(mut self, feature: &str, role: Role) -> Self {
        self.feature = Some(feature.to_string());
        self.role = role;
        self
    }

    fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }
}

const GENERIC: [&str; 40] = [
    "the", "a", "an", "of", "in", "to", "and", "or", "per", "by", "for", "with", "on", "at", "is",
    "has", "mean", "avg", "average", "total", "number", "count", "share", "rate", "n", "cat",
    "num", "value", "all", "over", "from", "their", "that", "as", "be", "are", "day", "than",
    "each", "customer",
];

pub(super) fn keys_of(text: &str) -> Vec<String> {
    let mut k: Vec<String> = words(&text.replace('_', " "))
        .into_iter()
        .filter(|w| w.chars().count() > 2 && !GENERIC.contains(&w.as_str()))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    k.sort();
    k.dedup();
    k
}

/// Synonyms shoppers' language uses for the usual feature names.
fn synonyms(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let n = name.to_lowercase();
    let table: [(&str, &[&str]); 9] = [
        (
            "recency",
            &["recent", "last", "lapsed", "since", "ago", "inactive"],
        ),
        (
            "frequency",
            &["order", "purchase", "frequent", "often", "repeat"],
        ),
        (
            "monetary",
            &["spend", "spent", "spending", "revenue", "money"],
        ),
        ("aov", &["basket", "order", "ticket", "spend"]),
        (
            "discount",
            &["discount", "coupon", "promo", "promotion", "deal", "sale"],
        ),
        ("return", &["return", "returned", "refund"]),
        (
            "sentiment",
            &[
                "sentiment",
                "rating",
                "star",
                "review",
                "satisfied",
                "happy",
            ],
        ),
        ("tenure", &["tenure", "loyal"]),
        (
            "view",
            &["browse", "browsing", "view", "visit", "session", "search"],
        ),
    ];
    for (k, syn) in table {
        if n.contains(k) {
            out.extend(syn.iter().map(|s| stem(s)));
        }
    }
    out
}

/// Every figure of a segment's profile, keyed by what it is about.
pub fn facts_of(p: &SegmentProfile, customers: usize, k: usize) -> Vec<Fact> {
    let people: Vec<String> = [
        "customer", "member", "segment", "people", "shopper", "buyer", "group",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut f = vec![
        Fact::new(
            p.size as f64,
            FactKind::Value,
            people.clone(),
            "segment size",
        ),
        Fact::new(
            p.share,
            FactKind::Share,
            people.clone(),
            "share of all customers",
        ),
        Fact::new(
            customers as f64,
            FactKind::Value,
            people.clone(),
            "customers in the shop",
        ),
        Fact::new(
            p.id as f64,
            FactKind::Value,
            vec!["segment".into()],
            "segment number",
        )
        .with_role(Role::SegmentId),
        Fact::new(
            k as f64,
            FactKind::Value,
            vec!["segment".into()],
            "number of segments",
        )
        .with_role(Role::SegmentCount),
    ];
    for s in &p.features {
        let mut keys = keys_of(&s.name);
        keys.extend(keys_of(&s.description));
        keys.extend(synonyms(&s.name));
        keys.sort();
        keys.dedup();
        // A share is quoted in percent ("37%"); a mean of 0.37 orders a month is not.
        let kind = match crate::profile::glossary::term(&s.name, &s.description).unit {
            crate::profile::glossary::Unit::Share => FactKind::Share,
            _ => FactKind::Value,
        };
        let figures = [
            (s.mean, "mean", Role::Own(Stat::Mean)),
            (s.median, "median", Role::Own(Stat::Median)),
            (
                s.population_mean,
                "population mean",
                Role::Everyone(Stat::Mean),
            ),
            (
                s.population_median,
                "population median",
                Role::Everyone(Stat::Median),
            ),
        ];
        for (v, what, role) in figures {
            if let Some(v) = v {
                f.push(
                    Fact::new(
                        v,
                        kind,
                        keys.clone(),
                        format!("{} {what} {}", s.name, fmt_num(v)),
                    )
                    .of(&s.name, role),
                );
            }
        }
        if let Some(l) = s.lift {
            f.push(
                Fact::new(
                    l,
                    FactKind::Ratio,
                    keys.clone(),
                    format!("{} lift {l:.2}", s.name),
                )
                .of(&s.name, Role::Other),
            );
        }
    }
    for c in &p.top_categories {
        let keys = keys_of(&c.category);
        f.push(
            Fact::new(
                c.share,
                FactKind::Share,
                keys.clone(),
                format!("{} share of spend", c.category),
            )
            .of(&c.category, Role::Own(Stat::Mean)),
        );
        f.push(
            Fact::new(
                c.population_share,
                FactKind::Share,
                keys.clone(),
                format!("{} share of everyone's spend", c.category),
            )
            .of(&c.category, Role::Everyone(Stat::Mean)),
        );
        f.push(Fact::new(
            c.lift,
            FactKind::Ratio,
            keys,
            format!("{} lift {:.2}", c.category, c.lift),
        ));
    }
    for q in &p.top_products {
        let mut keys = keys_of(q.name.as_deref().unwrap_or(&q.product_id));
        if let Some(c) = &q.category {
            keys.extend(keys_of(c));
        }
        let label = q.name.clone().unwrap_or_else(|| q.product_id.clone());
        f.push(
            Fact::new(
                q.buyer_share,
                FactKind::Share,
                keys.clone(),
                format!("{label} buyers"),
            )
            .of(&label, Role::Own(Stat::Mean)),
        );
        f.push(
            Fact::new(
                q.population_buyer_share,
                FactKind::Share,
                keys.clone(),
                format!("{label} buyers overall"),
            )
            .of(&label, Role::Everyone(Stat::Mean)),
        );
        f.push(Fact::new(
            q.buyers as f64,
            FactKind::Value,
            keys.clone(),
            format!("{label} buyer count"),
        ));
        f.push(Fact::new(
            q.lift,
            FactKind::Ratio,
            keys,
            format!("{label} lift"),
        ));
    }
    for (tier, s) in &p.value_tiers {
        let mut keys = keys_of(tier);
        keys.extend(["tier".to_string(), "value".to_string()]);
        f.push(Fact::new(
            *s,
            FactKind::Share,
            keys,
            format!("{tier} value tier share"),
        ));
    }
    for (seg, s) in &p.rfm_segments {
        let mut keys = keys_of(seg);
        keys.push("rfm".into());
        f.push(Fact::new(
            *s,
            FactKind::Share,
            keys,
            format!("RFM {seg} share"),
        ));
    }
    if let Some(t) = &p.text {
        let keys: Vec<String> = [
            "review", "wrote", "written", "search", "searched", "text", "write", "comment",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        f.push(Fact::new(
            t.share_with_text,
            FactKind::Share,
            keys.clone(),
            "share with text",
        ));
        f.push(Fact::new(
            t.reviews as f64,
            FactKind::Value,
            keys.clone(),
            "reviews",
        ));
        if let Some(s) = t.mean_sentiment {
            let mut k = keys;
            k.extend(["sentiment".to_string(), "rating".to_string()]);
            f.push(Fact::new(s, FactKind::Value, k, "mean review sentiment"));
        }
    }
    f
}

/// Every figure a persona of `s` may quote: its profile's, its `neighbours` nearest segments'
/// as the card shows them, and those of tool results (`extra`, one result per line).
pub fn facts_for(
    s: &SegmentProfile,
    profiles: &crate::profile::Profiles,
    k: usize,
    neighbours: usize,
    extra: &str,
) -> Vec<Fact> {
    let mut facts = facts_of(s, profiles.customers, k);
    for n in crate::llm::prompt::neighbours(s, profiles, neighbours) {
        let line = format!(
            "segment {} {} customers: {}",
            n.id,
            n.size,
            n.differences.join("; ")
        );
        facts.extend(
            facts_in_text(&line)
                .into_iter()
                .map(|f| f.with_role(Role::Neighbour(i64::from(n.id)))),
        );
    }
    facts.extend(facts_in_text(extra));
    facts
}

/// Figures found in free text (tool results, the card's neighbour lines): each number keyed by
/// the words of its line.
pub fn facts_in_text(text: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    for line in text.lines() {
        let keys = keys_of(line);
        for n in numbers(line) {
            let kind = match n.unit {
                Unit::Percent => FactKind::Share,
                Unit::Times => FactKind::Ratio,
                _ => FactKind::Value,
            };
            let value = if n.unit == Unit::Percent {
                n.value / 100.0
            } else {
                n.value
            };
            out.push(Fact::new(
                value,
                kind,
                keys.clone(),
                format!("{} in \"{}\"", n.raw, line.trim()),
            ));
        }
    }
    out
}
