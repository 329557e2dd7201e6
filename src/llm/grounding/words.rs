//! The words of a claim: marketer's vocabulary ("price-sensitive", "loyal", "lapsed",
//! "premium", "night owls") mapped to the feature and direction it asserts, value-tier and RFM
//! names, and what the persona says customers think about a topic their reviews discuss.
//!
//! A word claim is *supported* when the segment differs from everyone in the stated direction by
//! at least [`MIN_SD`] population standard deviations on one of the concept's features,
//! *contradicted* when it differs by that much the other way on one of them and on none the
//! stated way, and *unverifiable* when the segment is like everyone on all of them.

use super::{stem, words, Verdict};
use crate::profile::SegmentProfile;
use crate::text::terms::Term;

/// The smallest standardised difference a word claim needs to count either way.
pub const MIN_SD: f64 = 0.1;

/// A feature a concept speaks about: its name (or a prefix ending in `_`) and the direction.
type Direction = (&'static str, bool);

/// One piece of vocabulary: phrases (as written; stemmed before matching) and what they assert.
struct Concept {
    phrases: &'static [&'static str],
    features: &'static [Direction],
}

const DISCOUNT_UP: &[Direction] = &[("discount_share", true), ("discount_rate", true)];
const FULL_PRICE: &[Direction] = &[("discount_share", false), ("discount_rate", false)];
// The price level of what they buy: a large basket of cheap items is no premium.
const PREMIUM: &[Direction] = &[("discount_share", false), ("price_index", true)];
const FREQUENT: &[Direction] = &[("frequency", true), ("orders_per_month", true)];
const INFREQUENT: &[Direction] = &[("frequency", false), ("orders_per_month", false)];

/// The vocabulary, longest phrases first within a concept so "price-insensitive" is not read
/// as "price sensitive".
const CONCEPTS: &[Concept] = &[
    // Idioms that use a concept's words for something else: matched, and so kept from the
    // concepts below, but claim nothing.
    Concept {
        phrases: &[
            "high value tier",
            "mid value tier",
            "low value tier",
            "great deal",
            "good deal of",
            "deal with",
            "dealing with",
            "save time",
            "time saving",
            "new arrival",
            "new product",
            "new collection",
            "new release",
            "new item",
        ],
        features: &[],
    },
    Concept {
        phrases: &[
            "price insensitive",
            "not price sensitive",
            "full price",
            "regular price",
            "willing to pay",
            "pay a premium",
            "pay premium",
            "pay more",
            "regardless of price",
            "indifferent to price",
        ],
        features: FULL_PRICE,
    },
    Concept {
        phrases: &[
            "without breaking the bank",
            "price sensitive",
            "price conscious",
            "budget conscious",
            "budget minded",
            "budget friendly",
            "on a budget",
            "tight budget",
            "limited budget",
            "budget shopper",
            "budget buyer",
            "bargain",
            "deal seeker",
            "deal hunter",
            "deal",
            "coupon",
            "promo",
            "promotion hunter",
            "discount driven",
            "discount lover",
            "discount hunter",
            "discount seeker",
            "discount shopper",
            "value conscious",
            "value seeker",
            "value lover",
            "value hunter",
            "thrifty",
            "frugal",
            "money saving",
            "saving",
            "save money",
            "cost conscious",
            "affordable",
            "cheaper",
            "compare price",
            "comparing price",
            "price comparison",
            "too expensive",
        ],
        features: DISCOUNT_UP,
    },
    Concept {
        phrases: &[
            "premium", "luxury", "high end", "upscale", "splurge", "affluent",
        ],
        features: PREMIUM,
    },
    Concept {
        phrases: &[
            "one time",
            "one off",
            "single purchase",
            "occasional",
            "occasionally",
            "infrequent",
            "sporadic",
            "rare buyer",
            "rarely buy",
            "rarely order",
        ],
        features: INFREQUENT,
    },
    Concept {
        phrases: &["loyal to"],
        features: &[
            ("top_brand_share", true),
            ("frequency", true),
            ("orders_per_month", true),
        ],
    },
    Concept {
        phrases: &[
            "purchasing enthusiast",
            "shopping enthusiast",
            "buying enthusiast",
            "avid shopper",
            "avid buyer",
            "keen shopper",
            "power shopper",
            "shopaholic",
        ],
        features: FREQUENT,
    },
    Concept {
        phrases: &[
            "loyalist",
            "loyal",
            "regular",
            "regularly",
            "frequently",
            "repeat buyer",
            "repeat customer",
            "repeat purchase",
            "frequent",
            "habitual",
            "devoted",
            "dedicated",
            "committed",
            "routine",
        ],
        features: FREQUENT,
    },
    Concept {
        phrases: &[
            "lapsed",
            "lapsing",
            "dormant",
            "inactive",
            "churned",
            "churning",
            "churn risk",
            "drifted away",
            "drifting away",
            "slipping away",
            "gone quiet",
            "win back",
            "re engage",
            "reengage",
            "reactivate",
            "former customer",
            "haven't ordered",
            "have not ordered",
        ],
        features: &[("recency_days", true)],
    },
    Concept {
        phrases: &[
            "recently active",
            "recent buyer",
            "recent purchase",
            "bought recently",
            "ordered recently",
        ],
        features: &[("recency_days", false)],
    },
    Concept {
        phrases: &[
            "newcomer",
            "new customer",
            "new shopper",
            "new buyer",
            "new member",
            "first time",
            "recently joined",
            "just joined",
            "new to the shop",
        ],
        features: &[("tenure_days", false)],
    },
    Concept {
        phrases: &["long standing", "long time", "longtime", "veteran"],
        features: &[("tenure_days", true)],
    },
    Concept {
        phrases: &[
            "big spender",
            "high spender",
            "heavy spender",
            "high spending",
            "top spender",
            "high value",
            "vip",
            "whale",
            "top customer",
            "big ticket",
        ],
        features: &[("monetary", true)],
    },
    Concept {
        phrases: &[
            "low spender",
            "light spender",
            "small spender",
            "low spending",
            "low spend",
            "low value",
        ],
        features: &[("monetary", false)],
    },
    Concept {
        phrases: &[
            "serial returner",
            "returner",
            "return prone",
            "frequent return",
            "high return",
        ],
        features: &[("return_rate", true)],
    },
    Concept {
        phrases: &[
            "window shopper",
            "window shopping",
            "browser",
            "browsing",
            "researcher",
            "explorer",
        ],
        features: &[
            ("browse_to_buy", true),
            ("events_", true),
            ("categories_browsed", true),
        ],
    },
    Concept {
        phrases: &[
            "night owl",
            "late night",
            "night time",
            "nighttime",
            "nocturnal",
            "after dark",
        ],
        features: &[("night_order_share", true)],
    },
    Concept {
        phrases: &["weekend"],
        features: &[("weekend_order_share", true)],
    },
    Concept {
        phrases: &["weekday", "workday"],
        features: &[("weekend_order_share", false)],
    },
    Concept {
        phrases: &[
            "holiday",
            "seasonal",
            "christmas",
            "festive",
            "black friday",
            "year end",
        ],
        features: &[("peak_season_share", true)],
    },
    Concept {
        phrases: &[
            "bulk",
            "stock up",
            "stocking up",
            "multipack",
            "multi pack",
            "large quantity",
            "in quantity",
        ],
        features: &[("units_per_line", true)],
    },
    Concept {
        phrases: &[
            "quality over quantity",
            "quality not quantity",
            "quality rather than quantity",
        ],
        features: &[("units_per_line", false)],
    },
    Concept {
        phrases: &[
            "like clockwork",
            "regular rhythm",
            "subscription",
            "predictable",
        ],
        features: &[("gap_cv", false)],
    },
    Concept {
        phrases: &["in burst", "binge", "sprees", "spree"],
        features: &[("gap_cv", true)],
    },
    Concept {
        phrases: &[
            "replenish",
            "restock",
            "re buy",
            "rebuy",
            "same product",
            "staple",
        ],
        features: &[("repeat_product_share", true)],
    },
    Concept {
        phrases: &[
            "variety seeker",
            "try new product",
            "trying new product",
            "looking for variety",
            "seek variety",
            "seeking variety",
            "variety in their purchase",
            "wide range of categories",
        ],
        features: &[
            ("repeat_product_share", false),
            ("categories_browsed", true),
        ],
    },
    Concept {
        phrases: &[
            "brand loyal",
            "brand loyalty",
            "favourite brand",
            "favorite brand",
            "brand devotee",
        ],
        features: &[("top_brand_share", true)],
    },
    Concept {
        phrases: &["reviewer", "vocal", "write review", "writes review"],
        features: &[("review_count", true)],
    },
    Concept {
        phrases: &[
            "dissatisfied",
            "unsatisfied",
            "unhappy",
            "disappointed",
            "frustrated",
            "complainer",
            "detractor",
            "critic",
        ],
        features: &[
            ("mean_sentiment", false),
            ("share_negative_reviews", true),
            ("mean_rating", false),
        ],
    },
    Concept {
        phrases: &[
            "satisfied",
            "delighted",
            "happy customer",
            "advocate",
            "promoter",
        ],
        features: &[
            ("mean_sentiment", true),
            ("share_negative_reviews", false),
            ("mean_rating", true),
        ],
    },
];

/// Words that turn the phrase after them around ("not price-sensitive", "rarely use coupons").
const NEGATORS: [&str; 16] = [
    "not", "never", "no", "without", "rarely", "seldom", "hardly", "less", "fewer", "avoid",
    "don't", "doesn't", "isn't", "aren't", "lack", "little",
];

/// A word claim found in a clause.
pub(super) struct WordClaim {
    pub claim: String,
    /// The feature whose figures decided the verdict.
    pub feature: String,
    pub verdict: Verdict,
    pub evidence: String,
}

fn stemmed_phrase(p: &str) -> Vec<String> {
    words(p)
}

/// Whether position `at` in `w` follows a negator within the three words before it.
fn negated(w: &[String], at: usize) -> bool {
    let from = at.saturating_sub(3);
    w[from..at].iter().any(|x| NEGATORS.contains(&x.as_str()))
}

/// Whether a category named at `at` is said to be bought less ("not as interested in home",
/// "rarely buy toys"); "lack of fashion knowledge" is no claim about fashion purchases.
pub(super) fn category_negated(w: &[String], at: usize) -> bool {
    const NOT: [&str; 8] = [
        "not", "never", "no", "rarely", "seldom", "hardly", "less", "fewer",
    ];
    let from = at.saturating_sub(4);
    w[from..at].iter().any(|x| NOT.contains(&x.as_str()))
}

fn feature_sd<'a>(
    profile: &'a SegmentProfile,
    pattern: &str,
) -> Vec<(&'a crate::profile::FeatureStat, f64)> {
    profile
        .features
        .iter()
        .filter(|f| {
            if let Some(prefix) = pattern.strip_suffix('_') {
                f.name.starts_with(prefix) && f.name.len() > prefix.len()
            } else {
                f.name == pattern
            }
        })
        .filter_map(|f| f.std_diff.filter(|d| d.is_finite()).map(|d| (f, d)))
        .collect()
}

/// The verdict of a concept asserted in direction `up` (after negation) on `profile`.
fn judge(
    profile: &SegmentProfile,
    features: &[Direction],
    flip: bool,
) -> Option<(Verdict, String, String)> {
    let mut best: Option<(f64, String, String)> = None;
    let mut worst: Option<(f64, String, String)> = None;
    for &(pattern, up) in features {
        let up = up != flip;
        for (f, sd) in feature_sd(profile, pattern) {
            let score = if up { sd } else { -sd };
            let term = crate::profile::glossary::term(&f.name, &f.description);
            let said = format!(
                "{}: {} vs {} everyone ({:+.2} sd)",
                term.plain,
                term.value(f.mean.unwrap_or(f64::NAN)),
                term.value(f.population_mean.unwrap_or(f64::NAN)),
                sd
            );
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, said.clone(), f.name.clone()));
            }
            if worst.as_ref().is_none_or(|w| score < w.0) {
                worst = Some((score, said, f.name.clone()));
            }
        }
    }
    let (b, bs, bf) = best?;
    let (w, ws, wf) = worst?;
    Some(if b >= MIN_SD {
        (Verdict::Supported, bs, bf)
    } else if w <= -MIN_SD {
        (Verdict::Contradicted, ws, wf)
    } else {
        (Verdict::Unverifiable, format!("like everyone: {bs}"), bf)
    })
}

/// Word claims of one clause about the segment's behaviour.
/// In a pain point, words of feeling ("frustrated") describe the pain, not the segment's
/// reviews: only [`topic_claims`] reads them there.
/// `category_named`: the clause names a category, so frequency words ("buys fashion more
/// frequently") speak of that category, which the category check reads, not of orders.
pub(super) fn concept_claims(
    clause: &str,
    profile: &SegmentProfile,
    pain_point: bool,
    category_named: bool,
) -> Vec<WordClaim> {
    let w = words(clause);
    let mut used = vec![false; w.len()];
    let mut out: Vec<(usize, WordClaim)> = Vec::new();
    // Longest phrases first over the whole vocabulary, so a word serves one claim only.
    let mut phrases: Vec<(Vec<String>, &Concept, &str)> = CONCEPTS
        .iter()
        .flat_map(|c| c.phrases.iter().map(move |p| (stemmed_phrase(p), c, *p)))
        .collect();
    phrases.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    for (ph, concept, raw) in phrases {
        if ph.is_empty() || ph.len() > w.len() {
            continue;
        }
        for at in 0..=w.len() - ph.len() {
            if w[at..at + ph.len()] != ph[..] || used[at..at + ph.len()].iter().any(|u| *u) {
                continue;
            }
            used[at..at + ph.len()].iter_mut().for_each(|u| *u = true);
            // A phrase that already says "not" carries its own direction.
            let flip = !raw.starts_with("not ") && negated(&w, at);
            let feeling = concept.features.iter().any(|f| f.0 == "mean_sentiment");
            if feeling && pain_point {
                continue;
            }
            let adverb = ["frequently", "regularly", "occasionally"].contains(&raw);
            if adverb && category_named {
                continue;
            }
            let Some((verdict, evidence, feature)) = judge(profile, concept.features, flip) else {
                continue;
            };
            out.push((
                at,
                WordClaim {
                    feature,
                    claim: if flip {
                        format!("not {raw}")
                    } else {
                        raw.to_string()
                    },
                    verdict,
                    evidence,
                },
            ));
        }
    }
    // A pain point about prices ("the high price of toys", "to avoid high prices") says the
    // segment minds prices, whatever words surround it.
    if pain_point {
        const PRICE_PAIN: [&str; 7] = [
            "price",
            "pricey",
            "pricing",
            "expensive",
            "overpriced",
            "cost",
            "costly",
        ];
        let at = (0..w.len()).find(|&i| !used[i] && PRICE_PAIN.contains(&w[i].as_str()));
        if let Some(at) = at {
            if let Some((verdict, evidence, feature)) = judge(profile, DISCOUNT_UP, false) {
                out.push((
                    at,
                    WordClaim {
                        claim: format!("minds {}", w[at]),
                        feature,
                        verdict,
                        evidence,
                    },
                ));
            }
        }
    }
    // In the order the clause says them.
    out.sort_by_key(|(at, _)| *at);
    out.into_iter().map(|(_, c)| c).collect()
}

/// Whether a clause says a category takes most of the segment's money ("more of their budget
/// on toys than on other categories", "most of their spend").
pub(super) fn says_top_category(w: &[String]) -> bool {
    let has = |p: &str| {
        let p = stemmed_phrase(p);
        w.windows(p.len()).any(|x| x == p.as_slice())
    };
    has("than other categories")
        || has("than on other categories")
        || has("than any other category")
        || has("most of their")
        || has("largest share of their")
        || has("biggest share of their")
        || has("the bulk of their")
}

/// Value tiers and RFM segments a clause names, as (fact label prefix, name) pairs: a figure
/// next to "high value tier" is about the high tier only.
pub(super) fn named_mix_groups(clause: &str) -> Vec<String> {
    let w = words(clause);
    let mut out = Vec::new();
    for tier in ["high", "mid", "low"] {
        let t = stem(tier);
        let named = w
            .windows(2)
            .any(|p| p[0] == t && (p[1] == "tier" || p[1] == "value"))
            || w.windows(3).any(|p| p[0] == t && p[2] == "tier");
        if named {
            out.push(format!("{tier} value tier"));
        }
    }
    // "high value tier 49%, mid 36%, low 15%": once one tier is named, the others in the
    // clause are named too.
    if !out.is_empty() {
        for tier in ["high", "mid", "low"] {
            let g = format!("{tier} value tier");
            if w.contains(&stem(tier)) && !out.contains(&g) {
                out.push(g);
            }
        }
    }
    let lower = clause.to_lowercase();
    let says_rfm = lower.contains("rfm");
    for rfm in crate::features::RFM_SEGMENTS {
        let named = if rfm.contains('_') {
            lower.contains(rfm) || (says_rfm && lower.contains(&rfm.replace('_', " ")))
        } else {
            says_rfm && w.contains(&stem(rfm))
        };
        if named {
            out.push(format!("RFM {rfm}"));
        }
    }
    out
}

const NEGATIVE_CUES: [&str; 31] = [
    "inconsisten",
    "tedious",
    "cumbersome",
    "hassle",
    "tiresome",
    "lengthy",
    "complicat",
    "frustrat",
    "disappoint",
    "complain",
    "complaint",
    "poor",
    "slow",
    "late",
    "delay",
    "broken",
    "damaged",
    "bad",
    "worst",
    "issue",
    "problem",
    "unhappy",
    "annoy",
    "lack",
    "difficult",
    "confus",
    "unreliable",
    "flimsy",
    "cheaply",
    "hate",
    "dislike",
];
const POSITIVE_CUES: [&str; 16] = [
    "love",
    "great",
    "excellent",
    "prais",
    "happy",
    "delight",
    "satisf",
    "fast",
    "quick",
    "perfect",
    "amazing",
    "enjoy",
    "appreciat",
    "reliable",
    "favourite",
    "favorite",
];

/// Endings a cue word may take: "frustrat" reads "frustrated" and "frustrating", but "late"
/// does not read "latest".
const CUE_ENDINGS: [&str; 21] = [
    "", "e", "ed", "d", "ing", "s", "es", "ly", "er", "est", "ion", "ment", "t", "y", "ied", "ies",
    "ful", "ance", "cy", "ation", "atory",
];

fn cue(w: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| {
        w.strip_prefix(c)
            .is_some_and(|rest| CUE_ENDINGS.contains(&rest) || rest.starts_with("action"))
    })
}

/// The sentiment a clause expresses, by its cue words; a pain point with a cue word is a
/// complaint. A pain point without one ("finding books on eco-friendly platforms") states a
/// need, not what members say, and is not read.
fn clause_tone(w: &[String], pain_point: bool) -> Option<bool> {
    // "time-consuming" is a complaint although neither word is one.
    let slow = w
        .windows(2)
        .filter(|p| p[0] == "time" && p[1] == "consuming")
        .count();
    let neg = w.iter().filter(|x| cue(x, &NEGATIVE_CUES)).count() + slow;
    let pos = w.iter().filter(|x| cue(x, &POSITIVE_CUES)).count();
    if pain_point {
        return (neg > 0).then_some(false);
    }
    match neg.cmp(&pos) {
        std::cmp::Ordering::Greater => Some(false),
        std::cmp::Ordering::Less => Some(true),
        std::cmp::Ordering::Equal => None,
    }
}

/// Words too general to be what a review is about: generic nouns, and verbs and adverbs of
/// any sentence ("they may feel overwhelmed" says nothing about reviews that use "feels").
const GENERIC_TOPICS: [&str; 36] = [
    "product", "item", "brand", "choice", "option", "thing", "order", "time", "really", "good",
    "well", "just", "feel", "look", "find", "make", "want", "need", "seem", "think", "know", "buy",
    "bought", "shop", "never", "always", "exactly", "last", "first", "still", "even", "much",
    "also", "again", "come", "used",
];

/// How clearly a term's reviews must lean to count as praise or complaint.
const TERM_TONE: f64 = 0.3;

/// Claims about what members say: a clause that speaks of a topic among the segment's
/// distinguishing terms with a tone (a pain point is negative) is checked against the sentiment
/// of the segment's reviews that use the term.
pub(super) fn topic_claims(
    clause: &str,
    terms: &[Term],
    categories: &[String],
    pain_point: bool,
) -> Vec<WordClaim> {
    let w = words(clause);
    let Some(positive) = clause_tone(&w, pain_point) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for t in terms {
        let Some(s) = t.sentiment else { continue };
        let tw = words(&t.term);
        // Topic words only: a cue word ("fast", "love") is the tone, not the topic.
        // Generic words and category names are no topic of their own (the category check
        // reads categories).
        let topic: Vec<&String> = tw
            .iter()
            .filter(|x| x.chars().count() >= 4)
            .filter(|x| !cue(x, &NEGATIVE_CUES) && !cue(x, &POSITIVE_CUES))
            .filter(|x| !GENERIC_TOPICS.contains(&x.as_str()))
            .filter(|x| !categories.iter().any(|c| words(c).contains(x)))
            .collect();
        if topic.is_empty() || !topic.iter().all(|x| w.contains(x)) {
            continue;
        }
        if s.abs() < TERM_TONE {
            continue;
        }
        let praised = s > 0.0;
        out.push(WordClaim {
            feature: String::new(),
            claim: format!(
                "{} about \"{}\"",
                if positive { "praise" } else { "complaint" },
                t.term
            ),
            verdict: if praised == positive {
                Verdict::Supported
            } else {
                Verdict::Contradicted
            },
            evidence: format!(
                "the segment's reviews that use \"{}\" are {} (sentiment {:+.2}, {} uses)",
                t.term,
                if praised { "praise" } else { "complaints" },
                s,
                t.count
            ),
        });
        if out.len() >= 2 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::FeatureStat;

    fn stat(name: &str, sd: f64) -> FeatureStat {
        FeatureStat {
            name: name.into(),
            description: String::new(),
            mean: Some(1.0 + sd),
            median: Some(1.0 + sd),
            population_mean: Some(1.0),
            population_median: Some(1.0),
            lift: Some(1.0 + sd),
            std_diff: Some(sd),
        }
    }

    fn profile(stats: Vec<FeatureStat>) -> SegmentProfile {
        let mut p: SegmentProfile = serde_json::from_value(serde_json::json!({
            "id": 0, "label": "s0", "size": 10, "share": 0.1, "traits": [], "trait_features": [],
            "features": [], "top_categories": [], "top_products": [], "value_tiers": {},
            "rfm_segments": {}, "representatives": [], "mean_confidence": 1.0
        }))
        .unwrap();
        p.features = stats;
        p
    }

    fn verdicts(clause: &str, p: &SegmentProfile) -> Vec<(String, Verdict)> {
        concept_claims(clause, p, false, false)
            .into_iter()
            .map(|c| (c.claim, c.verdict))
            .collect()
    }

    #[test]
    fn price_words_follow_the_discount_figures() {
        let thrifty = profile(vec![stat("discount_share", 1.2), stat("price_index", 0.0)]);
        let full = profile(vec![stat("discount_share", -0.8), stat("price_index", 0.0)]);
        for c in [
            "Budget-Conscious Consumers",
            "value lovers who chase a deal",
        ] {
            assert!(
                verdicts(c, &thrifty)
                    .iter()
                    .all(|v| v.1 == Verdict::Supported),
                "{c}"
            );
            assert!(
                verdicts(c, &full)
                    .iter()
                    .all(|v| v.1 == Verdict::Contradicted),
                "{c}"
            );
        }
        assert_eq!(
            verdicts("willing to pay a premium", &thrifty),
            vec![
                ("willing to pay".to_string(), Verdict::Contradicted),
                ("premium".to_string(), Verdict::Contradicted)
            ]
        );
        assert_eq!(
            verdicts("they are not price-sensitive", &full)[0].1,
            Verdict::Supported
        );
        assert_eq!(
            verdicts("rarely chase deals", &full)[0].1,
            Verdict::Supported
        );
        assert_eq!(
            verdicts("price-insensitive", &thrifty)[0].1,
            Verdict::Contradicted
        );
    }

    #[test]
    fn lifecycle_words_and_neutral_segments() {
        let lapsed = profile(vec![stat("recency_days", 1.5), stat("frequency", -0.6)]);
        assert_eq!(verdicts("Lapsed one-time buyers", &lapsed).len(), 2);
        assert!(verdicts("Lapsed one-time buyers", &lapsed)
            .iter()
            .all(|v| v.1 == Verdict::Supported));
        assert_eq!(
            verdicts("Loyal regulars", &lapsed)[0].1,
            Verdict::Contradicted
        );
        let flat = profile(vec![stat("frequency", 0.03)]);
        assert_eq!(verdicts("loyal", &flat)[0].1, Verdict::Unverifiable);
        assert!(verdicts("new arrivals fans", &flat)
            .iter()
            .all(|v| v.0 != "new customer"));
    }

    #[test]
    fn tiers_and_rfm_names_are_read_from_the_clause() {
        assert_eq!(
            named_mix_groups("a high value tier (86.0%)"),
            vec!["high value tier"]
        );
        assert_eq!(
            named_mix_groups("the low-value tier"),
            vec!["low value tier"]
        );
        assert_eq!(
            named_mix_groups("16.6% are cannot_lose"),
            vec!["RFM cannot_lose"]
        );
        assert!(named_mix_groups("high spend").is_empty());
    }

    #[test]
    fn what_members_praise_is_no_pain_point() {
        let terms = vec![Term {
            term: "delivery".into(),
            z: 40.0,
            count: 300,
            sentiment: Some(0.8),
        }];
        let c = topic_claims("Frustrated by slow delivery", &terms, &[], true);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].verdict, Verdict::Contradicted);
        let c = topic_claims("They love the quick delivery", &terms, &[], false);
        assert_eq!(c[0].verdict, Verdict::Supported);
        assert!(topic_claims("They buy shoes", &terms, &[], false).is_empty());
    }
}
