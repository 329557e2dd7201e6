//! Choosing the number of segments: the resampling figures behind auto-K (stability and
//! prediction strength from fits on disjoint halves), a mixture BIC from the partition, and the
//! rules that turn a table of per-K figures into one K with a statement of how sure it is.
//!
//! Every figure here is computed on the search sample; the rules only read the table, so the
//! recovery benchmark can score each rule on the same fits.

use ndarray::{Array2, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::metrics::adjusted_rand_index;
use super::KScore;

/// Rows per half in one resampling pair: enough for a 2% segment to have ~80 members in each
/// half, few enough that several pairs stay cheap at 1M customers.
pub const HALF_ROWS: usize = 4_000;

/// What one K scored over the resampling pairs.
#[derive(Debug, Clone, Default)]
pub struct Resampled {
    /// ARI between the two halves' models, compared on the rows of both halves.
    pub stability: Vec<f64>,
    /// Prediction strength (Tibshirani & Walther 2005), both directions averaged per pair.
    pub prediction_strength: Vec<f64>,
}

/// Mean and standard error of a list of figures.
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Disjoint halves of `0..n`, at most [`HALF_ROWS`] each, for resampling pair `r`.
pub fn halves(n: usize, r: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_0000 ^ (r as u64).wrapping_mul(0x9E37));
    idx.shuffle(&mut rng);
    let m = (n / 2).min(HALF_ROWS);
    let mut a = idx[..m].to_vec();
    let mut b = idx[m..2 * m].to_vec();
    a.sort_unstable();
    b.sort_unstable();
    (a, b)
}

/// Prediction strength of a test half: for each of its own clusters, the share of member pairs
/// that the training model also puts together; the figure is the smallest of these over clusters
/// holding at least `min_share` of the half (tiny clusters are too noisy to veto a K).
pub fn prediction_strength(own: &[usize], predicted: &[usize], k: usize, min_share: f64) -> f64 {
    let mut table = vec![0u64; k * k];
    let mut sizes = vec![0u64; k];
    for (&o, &p) in own.iter().zip(predicted) {
        table[o * k + p] += 1;
        sizes[o] += 1;
    }
    let n = own.len().max(1) as f64;
    let mut worst = 1.0f64;
    for c in 0..k {
        let s = sizes[c];
        if s < 2 || (s as f64) < min_share * n {
            continue;
        }
        let together: u64 = table[c * k..(c + 1) * k]
            .iter()
            .map(|&m| m * m.saturating_sub(1))
            .sum();
        worst = worst.min(together as f64 / (s * (s - 1)) as f64);
    }
    worst
}

/// Stability and prediction strength of every K over `pairs` resampling pairs. `fit(rows, ks,
/// seed)` fits one model per K on the given rows and returns their centres (None where a fit
/// failed); a hierarchical fit can answer every K from one tree.
pub fn resample<F>(
    xs: &Array2<f64>,
    ks: &[usize],
    pairs: usize,
    seed: u64,
    fit: F,
) -> Vec<Resampled>
where
    F: Fn(ArrayView2<f64>, &[usize], u64) -> Vec<Option<Array2<f64>>> + Sync,
{
    let n = xs.nrows();
    let per_pair: Vec<Vec<Option<(f64, f64)>>> = (0..pairs)
        .into_par_iter()
        .map(|r| {
            let (a, b) = halves(n, r, seed);
            let usable: Vec<usize> = ks.iter().copied().filter(|&k| a.len() >= 2 * k).collect();
            let xa = xs.select(Axis(0), &a);
            let xb = xs.select(Axis(0), &b);
            let s = seed ^ (0xA5A5 + r as u64 * 31);
            let fa = fit(xa.view(), &usable, s);
            let fb = fit(xb.view(), &usable, s ^ 0x17);
            ks.iter()
                .map(|&k| {
                    let j = usable.iter().position(|&u| u == k)?;
                    let (ca, cb) = (fa.get(j)?.as_ref()?, fb.get(j)?.as_ref()?);
                    Some(pair_scores(xa.view(), xb.view(), ca, cb, k))
                })
                .collect()
        })
        .collect();
    let mut out = vec![Resampled::default(); ks.len()];
    for pair in per_pair {
        for (ki, r) in pair.into_iter().enumerate() {
            if let Some((s, p)) = r {
                out[ki].stability.push(s);
                out[ki].prediction_strength.push(p);
            }
        }
    }
    out
}

/// Stability (ARI of the two models over both halves' rows) and prediction strength (each half's
/// own clusters against the other half's model, averaged) of one pair of fits.
fn pair_scores(
    xa: ArrayView2<f64>,
    xb: ArrayView2<f64>,
    ca: &Array2<f64>,
    cb: &Array2<f64>,
    k: usize,
) -> (f64, f64) {
    let la_a = nearest(xa, ca);
    let lb_b = nearest(xb, cb);
    let la_b = nearest(xb, ca);
    let lb_a = nearest(xa, cb);
    let mut m1 = la_a.clone();
    m1.extend_from_slice(&la_b);
    let mut m2 = lb_a.clone();
    m2.extend_from_slice(&lb_b);
    let stab = adjusted_rand_index(&m1, &m2);
    let min_share = 0.01;
    let ps = 0.5
        * (prediction_strength(&lb_b, &la_b, k, min_share)
            + prediction_strength(&la_a, &lb_a, k, min_share));
    (stab, ps)
}

/// Index of the nearest centre for every row.
pub fn nearest(x: ArrayView2<f64>, centres: &Array2<f64>) -> Vec<usize> {
    x.rows()
        .into_iter()
        .map(|r| {
            let mut best = (0, f64::INFINITY);
            for (j, c) in centres.rows().into_iter().enumerate() {
                let d = super::metrics::sq_dist(r, c);
                if d < best.1 {
                    best = (j, d);
                }
            }
            best.0
        })
        .collect()
}

/// BIC of a Gaussian mixture with one spherical variance per cluster, read off a hard
/// partition (lower is better). It grows with K only as fast as the fit earns it.
pub fn spherical_bic(x: ArrayView2<f64>, labels: &[usize], k: usize) -> Option<f64> {
    let (n, p) = x.dim();
    if n <= k || p == 0 {
        return None;
    }
    let (c, counts) = super::metrics::centroids(x, labels, k);
    let mut within = vec![0.0f64; k];
    for (r, &l) in x.rows().into_iter().zip(labels) {
        within[l] += super::metrics::sq_dist(r, c.row(l));
    }
    let pf = p as f64;
    let mut ll = 0.0;
    let mut live = 0usize;
    for j in 0..k {
        let nj = counts[j] as f64;
        if counts[j] == 0 {
            continue;
        }
        live += 1;
        let var = (within[j] / (nj * pf)).max(1e-9);
        ll += nj * (nj / n as f64).ln()
            - 0.5 * nj * pf * (2.0 * std::f64::consts::PI * var).ln()
            - 0.5 * nj * pf;
    }
    let params = (live.saturating_sub(1) + live * p + live) as f64;
    Some(-2.0 * ll + params * (n as f64).ln())
}

/// A rule that picks K from the table of per-K figures. All are scored by the recovery
/// benchmark; [`DEFAULT_RULE`] is the one measured best there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The rule before issue 11: best silhouette among K with stability >= 0.8.
    SilhouetteStable,
    /// Best silhouette overall.
    Silhouette,
    /// The largest K whose stability is >= 0.8.
    LargestStable,
    /// The largest K whose prediction strength is >= 0.8.
    PredictionStrength,
    /// The lowest spherical-mixture BIC.
    Bic,
    /// The largest K whose stability is >= 0.8 and whose silhouette is within 0.05 of the best
    /// silhouette among those stable K.
    StableNearBest,
    /// The largest K whose stability is >= 0.8 and a local peak: within one standard error of
    /// each neighbouring K's stability or above it. Past the planted K, k-means cuts real groups
    /// at random and stability falls; below it, merges can be stable too, so the last peak wins.
    LargestStablePeak,
    /// Among the stable peaks of [`Rule::LargestStablePeak`], the best silhouette.
    PeakSilhouette,
}

/// Ward merge heights of an over-clustered partition: element `i` is the increase in
/// within-segment sum of squares when `k - i` segments are merged into `k - i - 1`, merging the
/// cheapest pair each time (exact Ward on centres weighted by size). A jump in height marks
/// the K below which real groups start being merged.
pub fn ward_merge_heights(x: ArrayView2<f64>, labels: &[usize], k: usize) -> Vec<f64> {
    let (c, counts) = super::metrics::centroids(x, labels, k);
    let mut groups: Vec<(Vec<f64>, f64)> = c
        .rows()
        .into_iter()
        .zip(&counts)
        .filter(|(_, &n)| n > 0)
        .map(|(r, &n)| (r.to_vec(), n as f64))
        .collect();
    let cost = |a: &(Vec<f64>, f64), b: &(Vec<f64>, f64)| {
        let d: f64 = a.0.iter().zip(&b.0).map(|(p, q)| (p - q) * (p - q)).sum();
        a.1 * b.1 / (a.1 + b.1) * d
    };
    let mut heights = Vec::new();
    while groups.len() > 1 {
        let mut best = (0, 1, f64::INFINITY);
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let h = cost(&groups[i], &groups[j]);
                if h < best.2 {
                    best = (i, j, h);
                }
            }
        }
        let (i, j, h) = best;
        let b = groups.swap_remove(j);
        let a = &mut groups[i];
        let n = a.1 + b.1;
        for (p, q) in a.0.iter_mut().zip(&b.0) {
            *p = (*p * a.1 + q * b.1) / n;
        }
        a.1 = n;
        heights.push(h);
    }
    heights
}

/// Every rule, in the order the benchmark prints them.
pub const RULES: [Rule; 8] = [
    Rule::SilhouetteStable,
    Rule::Silhouette,
    Rule::LargestStable,
    Rule::PredictionStrength,
    Rule::Bic,
    Rule::StableNearBest,
    Rule::LargestStablePeak,
    Rule::PeakSilhouette,
];

/// The rule auto-K uses.
pub const DEFAULT_RULE: Rule = Rule::SilhouetteStable;

/// Stability at and above which a K counts as reproducible.
pub const STABLE: f64 = 0.8;

impl Rule {
    /// Short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::SilhouetteStable => "silhouette_stable",
            Self::Silhouette => "silhouette",
            Self::LargestStable => "largest_stable",
            Self::PredictionStrength => "prediction_strength",
            Self::Bic => "bic",
            Self::StableNearBest => "stable_near_best",
            Self::LargestStablePeak => "largest_stable_peak",
            Self::PeakSilhouette => "peak_silhouette",
        }
    }

    /// Index of the chosen row of `table` (rows in increasing K).
    pub fn choose(self, table: &[KScore]) -> usize {
        let sil = |i: usize| table[i].silhouette.unwrap_or(f64::NEG_INFINITY);
        let stab = |i: usize| table[i].stability.unwrap_or(1.0);
        let best_by = |pool: &[usize], f: &dyn Fn(usize) -> f64| {
            pool.iter()
                .copied()
                .reduce(|best, i| if f(i) > f(best) { i } else { best })
                .unwrap_or(0)
        };
        let all: Vec<usize> = (0..table.len()).collect();
        let stable: Vec<usize> = all.iter().copied().filter(|&i| stab(i) >= STABLE).collect();
        let se = |i: usize| table[i].stability_se.unwrap_or(0.0);
        let peaks: Vec<usize> = stable
            .iter()
            .copied()
            .filter(|&i| {
                let top = stab(i) + se(i);
                (i == 0 || top >= stab(i - 1)) && (i + 1 >= table.len() || top >= stab(i + 1))
            })
            .collect();
        match self {
            Self::Silhouette => best_by(&all, &sil),
            Self::SilhouetteStable => {
                let pool = if stable.is_empty() { &all } else { &stable };
                best_by(pool, &sil)
            }
            Self::LargestStable => stable
                .last()
                .copied()
                .unwrap_or_else(|| best_by(&all, &stab)),
            Self::PredictionStrength => {
                let ps = |i: usize| table[i].prediction_strength.unwrap_or(0.0);
                all.iter()
                    .copied()
                    .rfind(|&i| ps(i) >= STABLE)
                    .unwrap_or_else(|| best_by(&all, &ps))
            }
            Self::Bic => best_by(&all, &|i| -table[i].bic.unwrap_or(f64::INFINITY)),
            Self::LargestStablePeak => match peaks.last() {
                Some(&i) => i,
                None => Self::SilhouetteStable.choose(table),
            },
            Self::PeakSilhouette => {
                if peaks.is_empty() {
                    Self::SilhouetteStable.choose(table)
                } else {
                    best_by(&peaks, &sil)
                }
            }
            Self::StableNearBest => {
                let pool = if stable.is_empty() { &all } else { &stable };
                let top = sil(best_by(pool, &sil));
                pool.iter()
                    .copied()
                    .rfind(|&i| sil(i) >= top - 0.05)
                    .unwrap_or(0)
            }
        }
    }
}

/// How sure the choice at `best` is, in words: the runners-up that pass the same test nearly as
/// well, and the coarser K that score better on silhouette (a coarse view of the same structure).
pub fn verdict(rule: Rule, table: &[KScore], best: usize) -> String {
    let Some(row) = table.get(best) else {
        return String::new();
    };
    let mut parts = vec![format!("K = {} ({})", row.k, rule.name().replace('_', " "))];
    let stab = |r: &KScore| r.stability.unwrap_or(1.0);
    let near: Vec<String> = table
        .iter()
        .enumerate()
        .filter(|&(i, r)| {
            i != best
                && stab(r) >= STABLE
                && (stab(r) - stab(row)).abs() <= 2.0 * row.stability_se.unwrap_or(0.02).max(0.01)
                && (r.silhouette.unwrap_or(0.0) - row.silhouette.unwrap_or(0.0)).abs() <= 0.02
        })
        .map(|(_, r)| r.k.to_string())
        .collect();
    if !near.is_empty() {
        parts.push(format!("K = {} nearly as good", near.join(", ")));
    }
    let coarse: Vec<String> = table
        .iter()
        .filter(|r| {
            r.k < row.k
                && stab(r) >= STABLE
                && r.silhouette.unwrap_or(f64::NEG_INFINITY) > row.silhouette.unwrap_or(0.0)
        })
        .map(|r| r.k.to_string())
        .collect();
    if !coarse.is_empty() {
        parts.push(format!(
            "K = {} {} a coarser view of the same customers",
            coarse.join(", "),
            if coarse.len() == 1 { "is" } else { "are" }
        ));
    }
    if stab(row) < STABLE {
        parts.push(format!(
            "no K was reproducible (best stability {:.2}): treat the segments as a rough cut",
            stab(row)
        ));
    }
    parts.join("; ")
}
