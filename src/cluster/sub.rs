//! Sub-segments: each large segment searched for structure of its own, the same way auto-K
//! searches the whole shop, and split only when the split is reproducible.

use ndarray::{Array2, Axis};
use serde::Serialize;

use super::{
    choose_k, fit_kmeans, sample_indices, search_fits, select, sq_distances, ClusterError,
    Clustering, KScore,
};
use crate::config::{ClusterConfig, KChoice, SubK};

/// Segments smaller than this are not split: their sub-segments would be too small to act on
/// or to measure.
pub const MIN_PARENT: usize = 200;
/// Rows of a segment its sub-K search runs on.
pub const SUB_SAMPLE: usize = 8_000;

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
        let sil_idx = sample_indices(xs.nrows(), cfg.silhouette_sample.min(4_000), seed_s ^ 1);
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
        sub_cfg.n_init = (cfg.n_init / 2).max(2);
        sub_cfg.algo = crate::config::Algo::Kmeans;
        // A single candidate still needs its stability measured, to be reported.
        let (table, fits) = search_fits(&xs, &sil_idx, &candidates, &sub_cfg, seed_s, &|_| {})?;
        let best = choose_k(&table);
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
