//! The grounding check: every number, percentage, money amount, multiple, category and
//! comparison a persona states is compared with the segment's profile.
//!
//! Rules (also in the README):
//! - A number is supported when a figure of the segment (its size, share, feature means and
//!   medians with the population's, lifts, category and product shares, value-tier and RFM mix,
//!   text figures), of the neighbours shown on the card, or of a tool result matches it within
//!   `rel` relative (default 10%) or a rounding slack (0.5 for percentages and whole numbers,
//!   0.05 for multiples). When the clause around the number names features, categories or
//!   products, only their figures count; otherwise any figure of the segment does.
//! - Percentages compare with shares times 100 and with the figures as they are; money amounts
//!   and plain numbers with the figures; multiples ("2.1x", "3 times") with lifts.
//! - A category named in the persona must be one the segment over-buys (lift above 1), unless
//!   the clause says less/fewer/rarely, in which case it must not be.
//! - A comparison ("spend more", "lower return rate") must put the segment on the stated side of
//!   the population median (the mean when both medians are equal, as for mostly-zero features).
//! - Checked: name, tagline, facts, summary, motivations and pain points. Campaigns are proposals
//!   (an offer of 20% off is no claim about the data) and are not checked.

use serde::{Deserialize, Serialize};

use super::persona::Persona;
use crate::profile::{fmt_num, SegmentProfile};

mod facts;
mod figures;
mod numbers;
mod words;

use facts::keys_of;
pub use facts::{facts_for, facts_in_text, facts_of, Fact};
use figures::NumberContext;
use numbers::{matches, numbers, Unit};

/// Fewer checked claims than this and a persona cannot be called grounded, only unflagged.
pub const MIN_CHECKED: usize = 3;

/// What the data says of one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A figure or direction of the segment matches it.
    Supported,
    /// The data says otherwise: a wrong figure about what the clause names, the wrong side of
    /// everyone, a category the segment does not over-buy, a tone its reviews do not have.
    Contradicted,
    /// Nothing in the data bears on it either way (a number that matches no figure while the
    /// clause names nothing, a trait on which the segment is like everyone).
    #[default]
    Unverifiable,
}

impl Verdict {
    fn of(supported: bool) -> Self {
        if supported {
            Self::Supported
        } else {
            Self::Contradicted
        }
    }

    /// The word shown beside a claim.
    pub fn word(self) -> &'static str {
        match self {
            Self::Supported => "supported",
            Self::Contradicted => "contradicted",
            Self::Unverifiable => "unverifiable",
        }
    }
}

/// Tolerances of the check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Relative tolerance, e.g. 0.10 for +-10%.
    pub rel: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Self { rel: 0.10 }
    }
}

/// One checked claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub field: String,
    /// The claim as written ("23%", "more electronics").
    pub claim: String,
    pub kind: String,
    /// The clause it was found in.
    pub context: String,
    pub supported: bool,
    #[serde(default)]
    pub verdict: Verdict,
    /// The feature the claim is about, when it is about one (comparisons, words, categories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// The matching figure, or why none matched.
    pub evidence: String,
}

/// The check's verdict on one persona.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Grounding {
    pub checked: usize,
    pub supported: usize,
    /// Claims the data contradicts; any one of them flags the persona.
    #[serde(default)]
    pub contradicted: usize,
    /// supported / checked (1 when nothing checkable was said).
    pub fraction: f64,
    pub claims: Vec<Claim>,
    /// The unsupported claims in words, as shown in reports and named in a retry prompt.
    pub unsupported: Vec<String>,
}

fn stem(w: &str) -> String {
    let w = w.to_lowercase();
    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
    let n = w.chars().count();
    if n > 4 && w.ends_with("ies") {
        format!("{}y", &w[..w.len() - 3])
    } else if n > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .flat_map(|w| w.split('-'))
        .filter(|w| !w.is_empty())
        .map(stem)
        .collect()
}

/// Words that tie a comparison to a feature: its name's own words (less the generic "order" and
/// "item") and a few unambiguous synonyms. Looser words ("purchase", "customer", "recent") help
/// match numbers but would misread comparisons ("more recent" means fewer recency days).
fn comparison_keys(name: &str) -> Vec<String> {
    let n = name.to_lowercase();
    let mut k: Vec<String> = keys_of(name)
        .into_iter()
        .filter(|w| !["order", "item", "line", "recency", "frequency"].contains(&w.as_str()))
        .collect();
    let table: [(&str, &[&str]); 6] = [
        ("monetary", &["spend", "spent", "spending"]),
        ("discount", &["discount", "coupon", "promo", "promotion"]),
        ("return", &["return", "returned", "refund"]),
        ("sentiment", &["sentiment", "rating", "satisfied"]),
        ("view", &["browse", "browsing", "view"]),
        // "loyal" is the vocabulary's (orders), not a comparison of tenure.
        ("tenure", &["tenure"]),
    ];
    for (key, syn) in table {
        if n.contains(key) {
            k.extend(syn.iter().map(|s| stem(s)));
        }
    }
    k
}

// "most" and "least" are left out: "most customers" compares nothing. Frequency adverbs
// ("often", "frequently") are not comparisons either: the vocabulary reads them as frequency.
const MORE: [&str; 10] = [
    "more",
    "higher",
    "above",
    "greater",
    "larger",
    "bigger",
    "heavy",
    "heavier",
    "high",
    "over-index",
];
const LESS: [&str; 13] = [
    "less",
    "lower",
    "below",
    "fewer",
    "smaller",
    "rarely",
    "seldom",
    "low",
    "infrequent",
    "little",
    "light",
    "lighter",
    "avoid",
];

/// Clauses of a text: split at sentence punctuation and at "but", "while", "whereas".
fn clauses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    // A full stop ends a clause only before a space or the end: "10.5%" stays whole.
    let chars: Vec<char> = text.chars().collect();
    let mut parts = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = matches!(c, ';' | '!' | '?' | '\n')
            || (c == '.' && chars.get(i + 1).is_none_or(|n| n.is_whitespace()));
        if boundary {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    for part in parts {
        let lower = format!(" {part} ");
        let mut rest = lower.as_str();
        loop {
            let cut = [" but ", " while ", " whereas ", " although "]
                .iter()
                .filter_map(|w| rest.find(w).map(|p| (p, w.len())))
                .min();
            match cut {
                Some((p, l)) => {
                    out.push(rest[..p].trim().to_string());
                    rest = &rest[p + l..];
                }
                None => {
                    out.push(rest.trim().to_string());
                    break;
                }
            }
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

fn polarity(clause_words: &[String]) -> Option<bool> {
    clause_words.iter().find_map(|w| {
        if MORE.contains(&w.as_str()) {
            Some(true)
        } else if LESS.contains(&w.as_str()) {
            Some(false)
        } else {
            None
        }
    })
}

/// The direction said about what the clause names at char `at`: the last comparison word
/// before it, else the first after ("higher top brand share, and a lower gap CV").
fn polarity_near(text: &str, at: usize) -> Option<bool> {
    let mut before = None;
    let mut after = None;
    let mut start = None;
    for (i, c) in text.chars().chain(std::iter::once(' ')).enumerate() {
        let inside = c.is_alphanumeric() || c == '-';
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s0)) => {
                let w: String = text.chars().skip(s0).take(i - s0).collect();
                let pol = polarity(&words(&w));
                if pol.is_some() {
                    if s0 < at {
                        before = pol;
                    } else if after.is_none() {
                        after = pol;
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
    before.or(after)
}

/// Whether a category's name follows word `at` closely ("spend more on electronics"): the
/// comparison then speaks of that category, which the category check reads.
fn category_follows(words_: &[String], at: usize, categories: &[String]) -> bool {
    categories.iter().any(|c| {
        let phrase = words(c);
        (at + 1..(at + 5).min(words_.len()))
            .any(|i| words_[i..].starts_with(&phrase) && !phrase.is_empty())
    })
}

fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase)
}

/// Checks `persona` against the segment's figures (`facts`: [`facts_of`] plus any
/// [`facts_in_text`]); `categories` are all category names the shop's profiles know.
pub fn check(
    persona: &Persona,
    profile: &SegmentProfile,
    facts: &[Fact],
    categories: &[String],
    tol: Tolerance,
) -> Grounding {
    let mut fields: Vec<(String, &str)> = vec![
        ("name".into(), persona.name.as_str()),
        ("tagline".into(), persona.tagline.as_str()),
        ("summary".into(), persona.summary.as_str()),
    ];
    for (i, s) in persona.facts.iter().enumerate() {
        fields.push((format!("facts[{i}]"), s));
    }
    for (i, s) in persona.motivations.iter().enumerate() {
        fields.push((format!("motivations[{i}]"), s));
    }
    for (i, s) in persona.pain_points.iter().enumerate() {
        fields.push((format!("pain_points[{i}]"), s));
    }
    let all: Vec<&Fact> = facts.iter().collect();
    let terms: &[crate::text::terms::Term] = profile.text.as_ref().map_or(&[], |t| &t.terms);
    let mut claims = Vec::new();
    for (field, text) in fields {
        let pain_point = field.starts_with("pain_points");
        for clause in clauses(text) {
            let cw = words(&clause);
            let mut named: Vec<&Fact> = facts
                .iter()
                .filter(|f| f.keys.iter().any(|k| cw.contains(k)))
                .collect();
            // "high value tier (86%)": a figure next to one tier or RFM name is about that one.
            let groups = words::named_mix_groups(&clause);
            let tiers_named = groups.iter().any(|g| g.ends_with("value tier"));
            let rfm_named = groups.iter().any(|g| g.starts_with("RFM "));
            named.retain(|f| {
                let tier = f.label.ends_with("value tier share");
                let rfm = f.label.starts_with("RFM ");
                let scoped = (tier && tiers_named) || (rfm && rfm_named);
                !scoped || groups.iter().any(|g| f.label.starts_with(g.as_str()))
            });
            let mut push = |claim: String,
                            kind: &str,
                            verdict: Verdict,
                            evidence: String,
                            feature: Option<String>| {
                claims.push(Claim {
                    field: field.clone(),
                    claim,
                    kind: kind.into(),
                    context: clause.clone(),
                    supported: verdict == Verdict::Supported,
                    verdict,
                    feature,
                    evidence,
                });
            };
            let ctx = NumberContext::new(&clause, &cw, profile);
            if !ctx.features.is_empty() {
                // "discount rate of 0": a feature named as written is what its numbers are
                // about; the people and segment figures stay ("964 customers", "segment 4").
                // Other features stay when the clause says their own name ("a tenure of
                // 1644 days"), not just a word of their description.
                named.retain(|f| match &f.feature {
                    Some(x) => {
                        ctx.features.contains(&x.as_str())
                            || keys_of(x).iter().any(|k| cw.contains(k))
                    }
                    None => f.keys.iter().any(|k| k == "segment"),
                });
            }
            let pool: &[&Fact] = if named.is_empty() { &all } else { &named };
            let found = numbers(&clause);
            let mut paired = vec![false; found.len()];
            for i in 1..found.len() {
                let (a, b) = (&found[i - 1], &found[i]);
                if paired[i - 1] || !ctx.is_pair(a, b) {
                    continue;
                }
                let Some((verdict, evidence)) = ctx.pair(a, b, pool, tol.rel) else {
                    continue;
                };
                paired[i - 1] = true;
                paired[i] = true;
                push(
                    format!("{} vs {}", a.raw, b.raw),
                    "figures compared",
                    verdict,
                    evidence,
                    None,
                );
            }
            for (n, _) in found.iter().zip(&paired).filter(|(_, p)| !**p) {
                let hit = pool
                    .iter()
                    .find(|f| ctx.may_quote(n, f) && matches(n, f, tol.rel));
                let kind = match n.unit {
                    Unit::Percent => "percentage",
                    Unit::Money => "money",
                    Unit::Times => "multiple",
                    Unit::Plain => "number",
                };
                let verdict = match (hit, named.is_empty()) {
                    (Some(_), _) => Verdict::Supported,
                    (None, false) => Verdict::Contradicted,
                    (None, true) => Verdict::Unverifiable,
                };
                let evidence = match hit {
                    Some(f) => f.label.clone(),
                    None if named.is_empty() => {
                        format!("no figure of the segment within {:.0}%", tol.rel * 100.0)
                    }
                    None => format!(
                        "no figure about what the clause names within {:.0}% ({})",
                        tol.rel * 100.0,
                        named
                            .iter()
                            .filter(|f| ctx.may_quote(n, f))
                            .take(3)
                            .map(|f| f.label.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                };
                push(n.raw.clone(), kind, verdict, evidence, None);
            }
            // "high-end", "low-cost": adjectives, not comparisons with the population.
            let adjectives = clause
                .to_lowercase()
                .replace("high-", "highx")
                .replace("low-", "lowx");
            let pol = polarity(&words(&adjectives));
            // Categories named.
            for cat in categories {
                let cat_words = words(cat);
                if !contains_phrase(&cw, &cat_words) {
                    continue;
                }
                let over = profile
                    .top_categories
                    .iter()
                    .find(|c| c.category.eq_ignore_ascii_case(cat))
                    .map(|c| c.lift);
                // "less fashion", "not as interested in home items".
                let at = cw
                    .windows(cat_words.len())
                    .position(|w| w == cat_words.as_slice())
                    .unwrap_or(0);
                let negative = pol == Some(false) || words::category_negated(&cw, at);
                if !negative && words::says_top_category(&cw) {
                    // "more of their budget on toys than on other categories": toys must be
                    // where most of the segment's money goes.
                    let top = profile
                        .top_categories
                        .iter()
                        .max_by(|a, b| a.share.total_cmp(&b.share));
                    let is_top = top.is_some_and(|t| t.category.eq_ignore_ascii_case(cat));
                    push(
                        format!("most spend on {cat}"),
                        "category",
                        Verdict::of(is_top),
                        match top {
                            Some(t) => format!(
                                "the segment's largest category is {} ({:.1}% of spend)",
                                t.category,
                                t.share * 100.0
                            ),
                            None => "the profile shows no category shares".to_string(),
                        },
                        category_feature(profile, cat),
                    );
                }
                let supported = match over {
                    Some(l) => (l > 1.0) != negative,
                    None => negative,
                };
                push(
                    if negative {
                        format!("less {cat}")
                    } else {
                        cat.clone()
                    },
                    "category",
                    Verdict::of(supported),
                    match over {
                        Some(l) => format!("{cat} lift {l:.2} in this segment"),
                        None => format!("{cat} is not among the categories this segment over-buys"),
                    },
                    category_feature(profile, cat),
                );
            }
            // Comparisons with the population: features named as written first (also after
            // "engaged with"), else the first feature a specific word of the clause points to,
            // unless a category follows it ("spend more on electronics").
            let category_named = categories.iter().any(|c| contains_phrase(&cw, &words(c)));
            let engaged = cw.iter().any(|w| w == "engaged");
            let mut picked: Vec<(&crate::profile::FeatureStat, bool)> = profile
                .features
                .iter()
                .filter(|s| ctx.features.contains(&s.name.as_str()))
                .filter_map(|s| {
                    let at = figures::feature_at(&adjectives, &s.name, &s.description)?;
                    let up = polarity_near(&adjectives, at).or(engaged.then_some(true))?;
                    Some((s, up))
                })
                .take(3)
                .collect();
            if let (Some(up), true) = (pol, picked.is_empty()) {
                picked.extend(
                    profile
                        .features
                        .iter()
                        .find_map(|s| {
                            let keys = comparison_keys(&s.name);
                            let at = cw.iter().position(|w| keys.contains(w))?;
                            Some((s, at))
                        })
                        .filter(|&(_, at)| !category_follows(&cw, at, categories))
                        .map(|(s, _)| (s, up)),
                );
            }
            for (s, up) in picked {
                let (Some(m), Some(pm)) = (s.mean, s.population_mean) else {
                    continue;
                };
                if (m - pm).abs() <= 1e-12 {
                    continue;
                }
                let side = match (s.median, s.population_median) {
                    (Some(md), Some(pmd)) if (md - pmd).abs() > 1e-9 => md > pmd,
                    _ => m > pm,
                };
                // The same bar as the words: a segment within MIN_SD of everyone is like them.
                let alike = s.std_diff.is_some_and(|d| d.abs() < words::MIN_SD);
                let figures = format!(
                    "{}: median {} vs population {}, mean {} vs {}",
                    s.name,
                    fmt_num(s.median.unwrap_or(f64::NAN)),
                    fmt_num(s.population_median.unwrap_or(f64::NAN)),
                    fmt_num(m),
                    fmt_num(pm)
                );
                push(
                    format!("{} {}", if up { "more" } else { "less" }, s.name),
                    "comparison",
                    if alike {
                        Verdict::Unverifiable
                    } else {
                        Verdict::of(side == up)
                    },
                    if alike {
                        format!(
                            "like everyone ({:+.2} sd): {figures}",
                            s.std_diff.unwrap_or(0.0)
                        )
                    } else {
                        figures
                    },
                    Some(s.name.clone()),
                );
            }
            // Marketer's words ("budget-conscious", "lapsed", "premium") and what members say.
            for w in words::concept_claims(&clause, profile, pain_point, category_named) {
                push(w.claim, "word", w.verdict, w.evidence, Some(w.feature));
            }
            for w in words::topic_claims(&clause, terms, categories, pain_point) {
                push(w.claim, "review topic", w.verdict, w.evidence, None);
            }
        }
    }
    let checked = claims.len();
    let supported = claims
        .iter()
        .filter(|c| c.verdict == Verdict::Supported)
        .count();
    let contradicted = claims
        .iter()
        .filter(|c| c.verdict == Verdict::Contradicted)
        .count();
    let unsupported = claims
        .iter()
        .filter(|c| c.verdict != Verdict::Supported)
        .map(|c| {
            format!(
                "\"{}\" in {} (\"{}\"), {}: {}",
                c.claim,
                c.field,
                c.context,
                c.verdict.word(),
                c.evidence
            )
        })
        .collect();
    Grounding {
        checked,
        supported,
        contradicted,
        fraction: if checked == 0 {
            1.0
        } else {
            supported as f64 / checked as f64
        },
        claims,
        unsupported,
    }
}

/// The `cat_share_*` feature of a category, found by the name its description quotes.
fn category_feature(profile: &SegmentProfile, category: &str) -> Option<String> {
    profile
        .features
        .iter()
        .find(|f| {
            f.name.starts_with("cat_share_")
                && f.description
                    .to_lowercase()
                    .contains(&format!("'{}'", category.to_lowercase()))
        })
        .map(|f| f.name.clone())
}

/// The feature that sets the segment apart most (largest |standardised difference|), the one
/// its name should speak of.
pub fn strongest_feature(profile: &SegmentProfile) -> Option<&crate::profile::FeatureStat> {
    profile
        .features
        .iter()
        .filter(|f| f.std_diff.is_some_and(f64::is_finite) && f.name != "has_text")
        .max_by(|a, b| {
            let (x, y) = (
                a.std_diff.unwrap_or(0.0).abs(),
                b.std_diff.unwrap_or(0.0).abs(),
            );
            x.total_cmp(&y).then_with(|| b.name.cmp(&a.name))
        })
}

/// Whether the persona's name, tagline or summary makes a supported claim about the segment's
/// strongest feature (its direction in words, a comparison, or its category).
pub fn names_strongest_trait(g: &Grounding, profile: &SegmentProfile) -> bool {
    let Some(top) = strongest_feature(profile) else {
        return true;
    };
    g.claims.iter().any(|c| {
        c.verdict == Verdict::Supported
            && ["name", "tagline", "summary"].contains(&c.field.as_str())
            && c.feature.as_deref() == Some(top.name.as_str())
    })
}

impl Grounding {
    /// Whether the persona must be flagged: any contradicted claim, or too few supported.
    pub fn flagged(&self, threshold: f64) -> bool {
        self.contradicted > 0 || self.fraction < threshold
    }

    /// Whether enough claims were checked for an unflagged persona to be called grounded.
    pub fn vouched(&self) -> bool {
        self.checked >= MIN_CHECKED
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{CategoryLift, FeatureStat};

    fn stat(name: &str, desc: &str, mean: f64, median: f64, pm: f64, pmed: f64) -> FeatureStat {
        FeatureStat {
            name: name.into(),
            description: desc.into(),
            mean: Some(mean),
            median: Some(median),
            population_mean: Some(pm),
            population_median: Some(pmed),
            lift: Some(mean / pm),
            std_diff: Some((mean - pm) / pm),
        }
    }

    fn profile() -> SegmentProfile {
        SegmentProfile {
            id: 2,
            label: "Segment 2".into(),
            size: 2104,
            share: 0.1052,
            traits: vec![],
            trait_features: vec![],
            features: vec![
                stat(
                    "monetary",
                    "Net spend over all orders",
                    812.4,
                    640.0,
                    430.0,
                    300.0,
                ),
                stat(
                    "discount_share",
                    "Share of lines bought on discount",
                    0.42,
                    0.4,
                    0.18,
                    0.1,
                ),
                stat(
                    "recency_days",
                    "Days since the last order",
                    21.0,
                    15.0,
                    64.0,
                    40.0,
                ),
            ],
            top_categories: vec![CategoryLift {
                category: "electronics".into(),
                share: 0.61,
                population_share: 0.22,
                lift: 2.77,
            }],
            top_products: vec![],
            value_tiers: [("high".to_string(), 0.7)].into_iter().collect(),
            rfm_segments: Default::default(),
            representatives: vec![],
            mean_confidence: 0.9,
            text: None,
            rule: None,
            parent: None,
            split: None,
            children: Vec::new(),
        }
    }

    fn persona(summary: &str) -> Persona {
        Persona {
            name: "Gadget Regulars".into(),
            tagline: "A loyal crowd".into(),
            facts: vec![],
            summary: summary.into(),
            motivations: vec![],
            pain_points: vec![],
            preferred_channels: vec!["email".into()],
            campaigns: vec![],
        }
    }

    fn run(summary: &str) -> Grounding {
        let p = profile();
        let facts = facts_of(&p, 20000, 7);
        check(
            &persona(summary),
            &p,
            &facts,
            &["electronics".into(), "fashion".into()],
            Tolerance::default(),
        )
    }

    #[test]
    fn right_numbers_are_supported() {
        let g = run(
            "These 2,104 customers (10.5% of the shop) spend $812 on average, 2.8x the \
                     typical share of spend on electronics, and 42% of their lines are discounted.",
        );
        assert_eq!(g.checked, g.supported, "{:#?}", g.unsupported);
        assert!(g.checked >= 5, "{:#?}", g.claims);
        assert_eq!(g.fraction, 1.0);
    }

    #[test]
    fn a_planted_wrong_number_is_flagged() {
        let g = run("They spend $1,900 on average and ordered 21 days ago.");
        assert_eq!(g.checked, 2, "{:#?}", g.claims);
        assert_eq!(g.supported, 1);
        assert!(g.unsupported[0].contains("$1,900"), "{:?}", g.unsupported);
        assert!(g.fraction < 0.6);
    }

    #[test]
    fn tolerance_is_ten_percent() {
        assert_eq!(run("They spend $880 each.").supported, 1); // 812 * 1.083
        assert_eq!(run("They spend $920 each.").supported, 0); // 812 * 1.13
        assert_eq!(
            run("Half of them, 11% of customers, shop here.").supported,
            1
        );
    }

    #[test]
    fn categories_and_comparisons_are_checked() {
        let g = run("They buy electronics and spend more than most.");
        assert_eq!((g.checked, g.supported), (2, 2), "{:#?}", g.claims);
        let g = run("They love fashion. They spend less than others.");
        assert_eq!((g.checked, g.supported), (2, 0), "{:#?}", g.claims);
        let g = run("They rarely buy fashion.");
        assert_eq!((g.checked, g.supported), (1, 1), "{:#?}", g.claims);
        // Compound adjectives are not comparisons, but they are words with a meaning: this
        // segment spends more (high-value holds) and buys on discount (high-end does not).
        let g =
            run("A high-value crowd that likes high-end gadgets and is more likely to purchase.");
        let v: Vec<(&str, Verdict)> = g
            .claims
            .iter()
            .map(|c| (c.claim.as_str(), c.verdict))
            .collect();
        assert_eq!(
            v,
            vec![
                ("high value", Verdict::Supported),
                ("high end", Verdict::Contradicted)
            ],
            "{:#?}",
            g.claims
        );
        // A feature named as written is the one checked; "a vs b" is one claim, the pair.
        let g = run("discount_share (share of order lines with a discount): 0.42 vs 0.18, higher");
        assert_eq!((g.checked, g.supported), (2, 2), "{:#?}", g.claims);
        assert_eq!(g.claims[0].kind, "figures compared");
        // A pair whose other side is no one's figure is wrong, though 0.42 alone is right.
        let g = run("discount_share: 0.42 vs 0.30");
        assert_eq!(
            g.claims[0].verdict,
            Verdict::Contradicted,
            "{:#?}",
            g.claims
        );
        // "spend more on" a category is that category's claim, not monetary's.
        let g = run("They spend more on electronics than most.");
        assert!(
            g.claims.iter().all(|c| c.kind != "comparison"),
            "{:#?}",
            g.claims
        );
    }

    #[test]
    fn negative_figures_keep_their_sign() {
        let found: Vec<f64> = numbers("mean_sentiment lower: -0.04 vs 0.37 (−1.5), COVID-19, 3-5")
            .iter()
            .map(|n| n.value)
            .collect();
        assert_eq!(found, vec![-0.04, 0.37, -1.5, 19.0]);
    }

    #[test]
    fn numbers_parse_with_units_and_skip_glued_digits() {
        let n = numbers("B2B buyers, Q4, 24/7 support, 3rd visit on 2024-07-02: $1,234.5, 23%, 2.1x, 12 percent, 1.5k");
        let got: Vec<(f64, Unit)> = n.iter().map(|n| (n.value, n.unit)).collect();
        assert_eq!(
            got,
            vec![
                (1234.5, Unit::Money),
                (23.0, Unit::Percent),
                (2.1, Unit::Times),
                (12.0, Unit::Percent),
                (1500.0, Unit::Plain)
            ]
        );
    }

    #[test]
    fn tool_results_count_as_evidence() {
        let p = profile();
        let mut facts = facts_of(&p, 20000, 7);
        facts.extend(facts_in_text(
            "312 of 2104 members (14.8%) match monetary>500",
        ));
        let g = check(
            &persona("About 14.8% of members spend over $500."),
            &p,
            &facts,
            &[],
            Tolerance::default(),
        );
        assert_eq!(g.supported, g.checked, "{:#?}", g.claims);
    }

    #[test]
    fn the_template_persona_states_only_profile_figures() {
        let mut p = profile();
        p.traits = vec!["monetary higher: 812.4 vs 430.0 (1.89x)".into()];
        let persona =
            crate::llm::fallback::persona(&p, &["High-Value Electronics Deal Seekers".into()]);
        assert!(
            persona.name.contains("Segment 2"),
            "taken name is made unique: {}",
            persona.name
        );
        assert!(persona.facts.len() <= 4 && persona.campaigns.len() >= 2);
        let facts = facts_of(&p, 20000, 7);
        let g = check(
            &persona,
            &p,
            &facts,
            &["electronics".into()],
            Tolerance::default(),
        );
        assert!(g.checked >= 4, "{:#?}", g.claims);
        assert_eq!(g.supported, g.checked, "{:#?}", g.unsupported);
    }

    #[test]
    fn a_figure_next_to_a_tier_name_is_about_that_tier() {
        let mut p = profile();
        p.value_tiers = [("high".to_string(), 0.05), ("low".to_string(), 0.86)]
            .into_iter()
            .collect();
        let facts = facts_of(&p, 20000, 7);
        let check_one = |text: &str| check(&persona(text), &p, &facts, &[], Tolerance::default());
        let g = check_one("Most are in the high value tier (86.0%).");
        assert_eq!(g.contradicted, 1, "{:#?}", g.claims);
        let g = check_one("Most are in the low value tier (86.0%).");
        assert_eq!((g.contradicted, g.supported), (0, 1), "{:#?}", g.claims);
        assert!(g.flagged(0.0) == (g.contradicted > 0));
    }

    #[test]
    fn a_wrong_direction_word_contradicts_even_with_the_right_number() {
        let g = run("A low-spend segment with a monetary spend of 812, higher than everyone else.");
        assert!(g.contradicted >= 1, "{:#?}", g.claims);
        assert!(g.supported >= 1, "{:#?}", g.claims);
        assert!(g.flagged(0.5));
    }

    #[test]
    fn no_claims_means_fully_grounded() {
        let g = run("A friendly group of shoppers.");
        assert_eq!((g.checked, g.fraction), (0, 1.0));
    }
}
