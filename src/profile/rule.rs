//! The membership rule: a depth-2 one-vs-rest decision tree over the customer features, read
//! back as "monetary > 850 and recency_days <= 40". It explains a segment in terms a marketer
//! can filter on; its precision and recall say how far the explanation goes.
//!
//! Splits are chosen by Gini impurity among candidate thresholds at feature quantiles, on an
//! evenly strided sample of at most [`SAMPLE`] customers (deterministic: no seed needed), and
//! scored on every customer.

use super::MembershipRule;
use crate::features::Feature;

/// Customers the tree is grown on.
pub const SAMPLE: usize = 20_000;
/// Candidate thresholds per feature.
const CUTS: usize = 16;
/// A leaf must hold at least this share of the sample.
const MIN_LEAF: f64 = 0.01;

#[derive(Debug, Clone, Copy)]
struct Cond {
    feature: usize,
    threshold: f64,
    above: bool,
}

impl Cond {
    fn holds(&self, v: f64) -> bool {
        if self.above {
            v > self.threshold
        } else {
            // Missing values (NaN) fall on this side.
            v <= self.threshold || v.is_nan()
        }
    }
}

fn gini(pos: f64, n: f64) -> f64 {
    if n <= 0.0 {
        return 0.0;
    }
    let p = pos / n;
    2.0 * p * (1.0 - p) * n
}

/// Quantile cut points of one feature over `rows`.
fn cuts(values: &[f64], rows: &[usize]) -> Vec<f64> {
    let mut v: Vec<f64> = rows
        .iter()
        .map(|&i| values[i])
        .filter(|x| x.is_finite())
        .collect();
    if v.len() < 2 {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let mut out: Vec<f64> = (1..CUTS).map(|q| v[(q * (v.len() - 1)) / CUTS]).collect();
    out.dedup();
    // The largest value splits nothing off.
    out.retain(|&c| c < v[v.len() - 1]);
    out
}

/// The best split of `rows`, if it lowers impurity.
fn best_split(
    feats: &[&Feature],
    rows: &[usize],
    member: &[bool],
    min_leaf: usize,
) -> Option<Cond> {
    let n = rows.len() as f64;
    let pos = rows.iter().filter(|&&i| member[i]).count() as f64;
    let parent = gini(pos, n);
    let mut best: Option<(f64, Cond)> = None;
    for (fi, f) in feats.iter().enumerate() {
        for t in cuts(&f.values, rows) {
            let (mut hn, mut hp) = (0.0, 0.0);
            for &i in rows {
                if f.values[i] > t {
                    hn += 1.0;
                    if member[i] {
                        hp += 1.0;
                    }
                }
            }
            if (hn as usize) < min_leaf || ((n - hn) as usize) < min_leaf {
                continue;
            }
            let score = gini(hp, hn) + gini(pos - hp, n - hn);
            if score < parent - 1e-9 && best.as_ref().is_none_or(|(b, _)| score < *b) {
                best = Some((
                    score,
                    Cond {
                        feature: fi,
                        threshold: t,
                        above: true,
                    },
                ));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// The threshold with enough digits that the rule reads as it was scored.
fn fmt_threshold(t: f64) -> String {
    let s = format!("{t:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The rule that picks out the customers with `member[i]` true, or `None` when no split helps.
pub fn membership_rule(feats: &[Feature], member: &[bool]) -> Option<MembershipRule> {
    let n = member.len();
    let total_pos = member.iter().filter(|&&m| m).count();
    if n < 10 || total_pos == 0 || total_pos == n {
        return None;
    }
    let feats: Vec<&Feature> = feats.iter().filter(|f| f.values.len() == n).collect();
    let step = n.div_ceil(SAMPLE).max(1);
    let sample: Vec<usize> = (0..n).step_by(step).collect();
    let min_leaf = ((sample.len() as f64 * MIN_LEAF) as usize).max(1);
    let root = best_split(&feats, &sample, member, min_leaf)?;
    let mut leaves: Vec<Vec<Cond>> = Vec::new();
    for above in [true, false] {
        let c = Cond { above, ..root };
        let rows: Vec<usize> = sample
            .iter()
            .copied()
            .filter(|&i| c.holds(feats[c.feature].values[i]))
            .collect();
        match best_split(&feats, &rows, member, min_leaf) {
            Some(c2) => {
                leaves.push(vec![c, c2]);
                leaves.push(vec![c, Cond { above: false, ..c2 }]);
            }
            None => leaves.push(vec![c]),
        }
    }
    let holds = |path: &[Cond], i: usize| path.iter().all(|c| c.holds(feats[c.feature].values[i]));
    // Leaves where members are the majority; else the purest one.
    let purity = |path: &[Cond]| {
        let (mut k, mut p) = (0usize, 0usize);
        for &i in &sample {
            if holds(path, i) {
                k += 1;
                p += usize::from(member[i]);
            }
        }
        if k == 0 {
            0.0
        } else {
            p as f64 / k as f64
        }
    };
    let mut chosen: Vec<&Vec<Cond>> = leaves.iter().filter(|l| purity(l) > 0.5).collect();
    if chosen.is_empty() {
        chosen = leaves
            .iter()
            .max_by(|a, b| purity(a).total_cmp(&purity(b)))
            .into_iter()
            .collect();
    }
    let (mut sel, mut hit) = (0usize, 0usize);
    for (i, &m) in member.iter().enumerate() {
        if chosen.iter().any(|l| holds(l, i)) {
            sel += 1;
            hit += usize::from(m);
        }
    }
    let text = chosen
        .iter()
        .map(|l| {
            l.iter()
                .map(|c| {
                    format!(
                        "{} {} {}",
                        feats[c.feature].name,
                        if c.above { ">" } else { "<=" },
                        fmt_threshold(c.threshold)
                    )
                })
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect::<Vec<_>>()
        .join(" or ");
    Some(MembershipRule {
        text,
        precision: if sel == 0 {
            0.0
        } else {
            hit as f64 / sel as f64
        },
        recall: hit as f64 / total_pos as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Transform;

    fn feature(name: &str, values: Vec<f64>) -> Feature {
        Feature {
            name: name.into(),
            description: String::new(),
            transform: Transform::Identity,
            values,
            support: None,
        }
    }

    #[test]
    fn finds_a_planted_two_condition_rule() {
        // Members: a > 50 and b <= 3, among noise in c.
        let n = 2000;
        let a: Vec<f64> = (0..n).map(|i| (i % 100) as f64).collect();
        let b: Vec<f64> = (0..n).map(|i| ((i / 7) % 10) as f64).collect();
        let c: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64).collect();
        let member: Vec<bool> = (0..n).map(|i| a[i] > 50.0 && b[i] <= 3.0).collect();
        let feats = vec![feature("a", a), feature("b", b), feature("c", c)];
        let r = membership_rule(&feats, &member).unwrap();
        assert!(r.text.contains("a >"), "{}", r.text);
        assert!(r.text.contains("b <="), "{}", r.text);
        assert!(r.precision > 0.95 && r.recall > 0.95, "{r:?}");
    }

    #[test]
    fn no_rule_for_everyone_or_no_one() {
        let feats = vec![feature("a", (0..100).map(f64::from).collect())];
        assert!(membership_rule(&feats, &[true; 100]).is_none());
        assert!(membership_rule(&feats, &[false; 100]).is_none());
    }
}
