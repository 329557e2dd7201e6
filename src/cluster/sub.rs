//! Sub-segments: each large segment searched for structure of its own, the same way auto-K
//! searches the whole shop, and split only when the split is reproducible.

use ndarray::{Array2, Axis};
use serde::Serialize;

use super::{
    fit_kmeans, sample_indices, search_fits, select, sq_distances, ClusterError, Clustering, KScore,
};
use crate::config::{ClusterConfig, KChoice, SubK};

/// Segments smaller than this are not split: their sub-segments would be too small to act on
/// or to measure.
pub const MIN_PARENT: usize = 200;
/// Rows of a segment its sub-K search runs on.
pub const SUB_SAMPLE: usize = 4_000;

/// One segment's split into sub-segments.
#[derive(Debug, Clone, Serialize)]
pub struct SubSegments {
    /// The parent segment's id.
    pub parent: i32,
    pub k: usize,
    /// Rows of the parent's members (indices into all customers), in row order.
    #[serde(skip)]
    pub members: Vec<usize>,
    /// Sub-segment of each member (numbered by size, 0 = largest), aligned with `members`.
    #[serde(skip)]
    pub labels: Vec<usize>,
    /// Each member's p(sub-segment | customer) for its own sub-segment.
    #[serde(skip)]
    pub confidence: Vec<f64>,
    /// Sub-segment centres in the scaled feature space.
    #[serde(skip)]
    pub centroids: Array2<f64>,
    /// Figures of every candidate K inside the parent.
    pub k_table: Vec<KScore>,
    /// Stability of the chosen split (mean ARI over resampling pairs).
    pub stability: Option<f64>,
    pub silhouette: Option<f64>,
}

/// How each segment was or was not split, for the report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SubSearch {
    pub splits: Vec<SubSegments>,
    /// Segments searched but left whole, with the reason.
    pub whole: Vec<(i32, String)>,
}

/// Searches every segment of `top` for sub-segments. `cfg.sub_k` (`--sub-k`): auto splits a
/// segment when its best split is stable, a number splits every large enough segment into it.
pub fn sub_segments(
    x: &Array2<f64>,
    top: &Clustering,
    cfg: &ClusterConfig,
    seed: u64,
    progress: &dyn Fn(&str),
) -> Result<SubSearch, ClusterError> {
    let mut out = SubSearch::default();
    let choice = match cfg.sub_k {
        SubK::Off => return Ok(out),
        SubK::Auto => KChoice::Auto,
        SubK::Fixed(k) => KChoice::Fixed(k),
    };
    let k_max = cfg.sub_k_max;
    for s in 0..top.k as i32 {
        let members: Vec<usize> = (0..top.labels.len())
            .filter(|&i| top.labels[i] == s)
            .collect();
        if members.len() < MIN_PARENT {
            out.whole
                .push((s, format!("{} customers: too few to split", members.len())));
            continue;
        }
        progress(&format!(
            "looking inside segment {s} ({} customers)",
            members.len()
        ));
        let xm = x.select(Axis(0), &members);
        let seed_s = seed ^ (0x5B5B + s as u64 * 101);
        let idx = sample_indices(xm.nrows(), SUB_SAMPLE, seed_s);
        let xs = xm.select(Axis(0), &idx);
        let sil_idx = sample_indices(xs.nrows(), cfg.silhouette_sample.min(2_000), seed_s ^ 1);
        let candidates: Vec<usize> = match choice {
            KChoice::Fixed(k) => vec![k],
            KChoice::Auto => (2..=k_max.max(2)).collect(),
        }
        .into_iter()
        .filter(|&k| k * 25 <= xs.nrows())
        .collect();
        if candidates.is_empty() {
            out.whole
                .push((s, "too few customers for the asked split".into()));
            continue;
        }
        let mut sub_cfg = cfg.clone();
        sub_cfg.n_init = (cfg.n_init / 3).max(2);
        sub_cfg.stability_runs = cfg.stability_runs.min(3);
        sub_cfg.algo = crate::config::Algo::Kmeans;
        // A single candidate still needs its stability measured, to be reported.
        let (table, fits) = search_fits(&xs, &sil_idx, &candidates, &sub_cfg, seed_s, &|_| {})?;
        let gap = gaussian_gap(&xs, k_max.max(2), &sub_cfg, seed_s);
        let best = match choice {
            KChoice::Fixed(_) => 0,
            KChoice::Auto => {
                let Some(kg) = gap.as_ref().map(|g| g.choice).filter(|&k| k >= 2) else {
                    out.whole.push((
                        s,
                        "one blob: a split explains no more than it would of a single \
                         Gaussian group of the same spread"
                            .into(),
                    ));
                    continue;
                };
                let Some(i) = table.iter().position(|r| r.k == kg) else {
                    out.whole
                        .push((s, "too few customers for the split found".into()));
                    continue;
                };
                i
            }
        };
        let row = &table[best];
        let stable = row.stability.is_none_or(|v| v >= select::STABLE);
        if choice == KChoice::Auto && !stable {
            out.whole.push((
                s,
                format!(
                    "no reproducible split (best: {} parts, stability {:.2})",
                    row.k,
                    row.stability.unwrap_or(0.0)
                ),
            ));
            continue;
        }
        let k = row.k;
        // Every member joins its nearest sub-centre, refined from the sample's centres.
        let full = fit_kmeans(
            xm.view(),
            k,
            1,
            &sub_cfg,
            seed_s,
            Some(fits[best].centroids.clone()),
        )?;
        let d2 = sq_distances(xm.view(), &full.centroids);
        let raw: Vec<usize> = super::argmin_rows(&d2);
        let order = super::size_order(raw.iter().copied(), k);
        let mut new_of = vec![0usize; k];
        for (new, &old) in order.iter().enumerate() {
            new_of[old] = new;
        }
        let labels: Vec<usize> = raw.iter().map(|&l| new_of[l]).collect();
        let live = labels.iter().max().map_or(0, |m| m + 1);
        if live < 2 {
            out.whole.push((s, "the split left one part empty".into()));
            continue;
        }
        let (p, _) = super::soft_membership(&d2, &raw, cfg.temperature_scale);
        let confidence: Vec<f64> = raw.iter().enumerate().map(|(i, &l)| p[[i, l]]).collect();
        out.splits.push(SubSegments {
            parent: s,
            k: live,
            members,
            labels,
            confidence,
            centroids: full.centroids.select(Axis(0), &order[..live]),
            stability: row.stability,
            silhouette: row.silhouette,
            k_table: table,
        });
    }
    Ok(out)
}

/// The gap statistic against a Gaussian null (Tibshirani, Walther & Hastie 2001, with a
/// reference of the segment's own mean and covariance instead of a uniform box): how much more
/// K centres explain of the segment than of one elliptical blob of the same spread.
#[derive(Debug, Clone)]
pub struct Gap {
    /// gap(K) for K = 1..=k_max (index K - 1).
    pub gap: Vec<f64>,
    /// Standard error of each gap, inflated by sqrt(1 + 1/B).
    pub se: Vec<f64>,
    /// The smallest K with gap(K) >= gap(K+1) - se(K+1); 1 = no structure beyond one blob.
    pub choice: usize,
}

/// Reference draws of the Gaussian null.
const GAP_REFS: usize = 3;
/// Rows of the data and of each reference the gap compares.
const GAP_ROWS: usize = 2_000;

/// [`Gap`] of the rows `xs` for K = 1..=k_max; None when the covariance cannot be factored.
pub fn gaussian_gap(xs: &Array2<f64>, k_max: usize, cfg: &ClusterConfig, seed: u64) -> Option<Gap> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let idx = sample_indices(xs.nrows(), GAP_ROWS, seed ^ 0x6A9);
    let x = xs.select(Axis(0), &idx);
    let (m, p) = x.dim();
    if m < 4 * k_max || p == 0 {
        return None;
    }
    let mean = x.mean_axis(Axis(0))?;
    let centred = &x - &mean;
    let mut cov = centred.t().dot(&centred) / (m as f64 - 1.0);
    let ridge = 1e-6 * (0..p).map(|i| cov[[i, i]]).sum::<f64>() / p as f64 + 1e-12;
    for i in 0..p {
        cov[[i, i]] += ridge;
    }
    let l = cholesky(&cov)?;
    let log_w = |rows: &Array2<f64>, k: usize, s: u64| -> Option<f64> {
        let fit = fit_kmeans(rows.view(), k, 2, cfg, s, None).ok()?;
        Some(fit.inertia?.max(1e-300).ln())
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x9A55);
    let refs: Vec<Array2<f64>> = (0..GAP_REFS)
        .map(|_| {
            let z = Array2::from_shape_fn((m, p), |_| StandardNormal.sample(&mut rng));
            z.dot(&l.t()) + &mean
        })
        .collect();
    let mut gap = Vec::with_capacity(k_max);
    let mut se = Vec::with_capacity(k_max);
    for k in 1..=k_max {
        let data = log_w(&x, k, seed)?;
        let r: Vec<f64> = refs
            .iter()
            .enumerate()
            .map(|(b, rf)| log_w(rf, k, seed ^ (b as u64 + 1)))
            .collect::<Option<Vec<f64>>>()?;
        let (mr, _) = select::mean_se(&r);
        let sd = (r.iter().map(|v| (v - mr).powi(2)).sum::<f64>() / r.len() as f64).sqrt();
        gap.push(mr - data);
        se.push(sd * (1.0 + 1.0 / GAP_REFS as f64).sqrt());
    }
    let choice = (0..k_max.saturating_sub(1))
        .find(|&i| gap[i] >= gap[i + 1] - se[i + 1])
        .map_or(k_max, |i| i + 1);
    Some(Gap { gap, se, choice })
}

/// Lower Cholesky factor of a symmetric positive definite matrix.
pub(super) fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[[i, i]] = s.sqrt();
            } else {
                l[[i, j]] = s / l[[j, j]];
            }
        }
    }
    Some(l)
}
