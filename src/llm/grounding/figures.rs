//! What a number in a clause may quote: a figure of everyone only where the clause compares,
//! the segment's number only as "segment 4", and "0.25 vs 0.07" as the segment's statistic
//! against everyone's same statistic of the same feature (or a neighbour's, when the clause
//! names that neighbour).

use super::facts::{Fact, Role};
use super::numbers::{matches, Number};
use super::Verdict;
use crate::profile::SegmentProfile;

/// Words that make a clause compare the segment with others, so everyone's figures may be
/// quoted in it.
const COMPARING: [&str; 16] = [
    "vs",
    "versus",
    "than",
    "compared",
    "compare",
    "everyone",
    "average",
    "overall",
    "population",
    "other",
    "typical",
    "all",
    "whole",
    "entire",
    "rest",
    "baseline",
];

/// What joins the two figures of a pair.
const PAIR_JOINS: [&str; 6] = [
    "vs",
    "vs.",
    "versus",
    "compared to",
    "compared with",
    "against",
];

/// A clause read for its numbers.
pub(super) struct NumberContext<'a> {
    chars: Vec<char>,
    /// Features the clause names as written ("discount_rate", "discount rate", or a plain name
    /// of several words such as "product views per order").
    pub features: Vec<&'a str>,
    compares: bool,
    /// Segment numbers the clause names ("segment 3").
    segments: Vec<i64>,
    own_id: i64,
}

impl<'a> NumberContext<'a> {
    pub fn new(clause: &str, clause_words: &[String], profile: &'a SegmentProfile) -> Self {
        let lower = clause.to_lowercase();
        let features = profile
            .features
            .iter()
            .filter(|s| names_feature(&lower, &s.name, &s.description))
            .map(|s| s.name.as_str())
            .collect();
        let segments = clause_words
            .windows(2)
            .filter(|w| w[0] == "segment" || w[0] == "cluster")
            .filter_map(|w| w[1].parse().ok())
            .collect();
        Self {
            chars: clause.chars().collect(),
            features,
            compares: clause_words.iter().any(|w| COMPARING.contains(&w.as_str())),
            segments,
            own_id: i64::from(profile.id),
        }
    }

    fn word_before(&self, at: usize) -> String {
        let head: String = self.chars[..at.min(self.chars.len())].iter().collect();
        head.trim_end_matches(|c: char| c.is_whitespace() || c == '#')
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("")
            .to_lowercase()
    }

    fn word_after(&self, end: usize) -> String {
        let tail: String = self.chars[end.min(self.chars.len())..].iter().collect();
        tail.trim_start()
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("")
            .to_lowercase()
    }

    /// Whether `n` may quote `f` at all, whatever the values.
    pub fn may_quote(&self, n: &Number, f: &Fact) -> bool {
        match f.role {
            Role::Everyone(_) => self.compares,
            Role::SegmentId => ["segment", "cluster", "group"].contains(&&*self.word_before(n.at)),
            Role::SegmentCount => {
                let after = self.word_after(n.end);
                ["segment", "segments", "cluster", "clusters", "groups"].contains(&&*after)
            }
            // A neighbour's figure is the segment's only in a comparison with it.
            Role::Neighbour(id) => self.compares || self.segments.contains(&id),
            Role::Own(_) | Role::Other => true,
        }
    }

    /// Whether `a` and `b` are written as a pair ("0.25 vs 0.07").
    pub fn is_pair(&self, a: &Number, b: &Number) -> bool {
        if a.end > b.at || b.at > self.chars.len() {
            return false;
        }
        let between: String = self.chars[a.end..b.at].iter().collect::<String>();
        let between = between.trim().to_lowercase();
        PAIR_JOINS.iter().any(|j| {
            between
                .strip_prefix(j)
                .is_some_and(|rest| rest.split_whitespace().count() <= 2)
        })
    }

    /// The verdict on a pair when one side is one of the segment's own statistics: the other
    /// side must be everyone's same statistic of the same feature, or a figure of a neighbour
    /// the clause names. `None` when neither side is the segment's (the numbers are then read
    /// one by one).
    pub fn pair(
        &self,
        a: &Number,
        b: &Number,
        pool: &[&Fact],
        rel: f64,
    ) -> Option<(Verdict, String)> {
        let mut own_seen: Option<(&Fact, &Number)> = None;
        for (own, other) in [(a, b), (b, a)] {
            for f in pool.iter().copied() {
                let Role::Own(stat) = f.role else { continue };
                if !matches(own, f, rel) {
                    continue;
                }
                own_seen.get_or_insert((f, other));
                let partner = pool.iter().find(|g| {
                    let same = g.feature == f.feature && g.role == Role::Everyone(stat);
                    let neighbour = matches!(g.role, Role::Neighbour(id)
                        if id != self.own_id && self.segments.contains(&id));
                    (same || neighbour) && matches(other, g, rel)
                });
                if let Some(g) = partner {
                    return Some((
                        Verdict::Supported,
                        format!("{} against {}", f.label, g.label),
                    ));
                }
            }
        }
        let (f, other) = own_seen?;
        let stat = match f.role {
            Role::Own(s) => s,
            _ => return None,
        };
        let everyone = pool
            .iter()
            .find(|g| g.feature == f.feature && g.role == Role::Everyone(stat))
            .map_or_else(|| "not shown".to_string(), |g| g.label.clone());
        Some((
            Verdict::Contradicted,
            format!(
                "{} is the segment's {}, but {} is not everyone's same figure ({everyone})",
                if std::ptr::eq(other, a) {
                    &b.raw
                } else {
                    &a.raw
                },
                f.label,
                other.raw
            ),
        ))
    }
}

/// Whether a lowercased clause names a feature as written: its column name, the name with
/// spaces, or its plain name when that has several words (one-word plain names such as
/// "orders" are too loose).
pub(super) fn names_feature(lower: &str, name: &str, description: &str) -> bool {
    feature_at(lower, name, description).is_some()
}

/// Where (a char offset into `lower`) the clause first names the feature as written.
pub(super) fn feature_at(lower: &str, name: &str, description: &str) -> Option<usize> {
    let plain = crate::profile::glossary::term(name, description)
        .plain
        .to_lowercase();
    let mut forms = vec![name.to_lowercase()];
    if name.contains('_') {
        forms.push(name.replace('_', " ").to_lowercase());
    }
    if plain.contains(' ') {
        forms.push(plain);
    }
    forms
        .iter()
        .filter_map(|f| lower.find(f.as_str()))
        .min()
        .map(|b| lower[..b].chars().count())
}
