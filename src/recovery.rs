//! Recovery of planted segments on generated shops: one shop's per-K and per-rule figures
//! (chosen K, ARI against the planted archetypes, whether the text-only pair came apart), as the
//! recovery benchmark (`cargo bench --bench recovery`) and its test slice compute them.
//!
//! It scores the same fits auto-K chooses from ([`cluster::search_table`]), so every rule in
//! [`select::RULES`] is judged on identical clusterings.

use std::collections::HashMap;

use ndarray::Array2;
use serde::Serialize;

use crate::cluster::{self, adjusted_rand_index, select, KScore};
use crate::config::ClusterConfig;

/// Planted truth of the clustered rows: an archetype index per row, and their names.
#[derive(Debug, Clone)]
pub struct Truth {
    pub labels: Vec<usize>,
    pub names: Vec<String>,
}

impl Truth {
    /// Aligns `truth` (customer id -> archetype) with the rows of the clustering matrix.
    /// Customers missing from the truth are an error: the truth is of another shop.
    pub fn align(customer_ids: &[String], truth: &HashMap<String, String>) -> Result<Self, String> {
        let mut names: Vec<String> = Vec::new();
        let mut code: HashMap<&str, usize> = HashMap::new();
        let mut labels = Vec::with_capacity(customer_ids.len());
        for id in customer_ids {
            let Some(a) = truth.get(id) else {
                return Err(format!("customer {id} is not in the truth file"));
            };
            let next = code.len();
            let c = *code.entry(a.as_str()).or_insert_with(|| {
                names.push(a.clone());
                next
            });
            labels.push(c);
        }
        Ok(Self { labels, names })
    }

    /// Index of an archetype by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Number of planted archetypes among the rows.
    pub fn k(&self) -> usize {
        self.names.len()
    }
}

/// Reads `truth.csv` (`customer_id,archetype`).
pub fn read_truth(path: &std::path::Path) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(c, a)| (c.to_string(), a.trim().to_string()))
        .collect())
}

/// Whether two archetypes came apart: the segment holding most of one holds a minority of the
/// other, both ways.
pub fn separated(truth: &[usize], labels: &[usize], a: usize, b: usize) -> bool {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let count = |arch: usize| {
        let mut c = vec![0usize; k];
        for (&t, &l) in truth.iter().zip(labels) {
            if t == arch {
                c[l] += 1;
            }
        }
        c
    };
    let (ca, cb) = (count(a), count(b));
    let (na, nb) = (ca.iter().sum::<usize>(), cb.iter().sum::<usize>());
    if na == 0 || nb == 0 {
        return false;
    }
    let dom = |c: &[usize]| (0..k).max_by_key(|&i| c[i]).unwrap_or(0);
    let (da, db) = (dom(&ca), dom(&cb));
    da != db && 2 * cb[da] < nb && 2 * ca[db] < na
}

/// What one rule chose on one shop.
#[derive(Debug, Clone, Serialize)]
pub struct RuleOutcome {
    pub rule: &'static str,
    pub k: usize,
    pub ari: f64,
    /// Whether each text-only pair came apart (empty when the shop has none).
    pub pairs_separated: Vec<bool>,
}

/// One shop's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ShopOutcome {
    pub planted_k: usize,
    pub table: Vec<KScore>,
    /// ARI against the truth of every candidate K, in table order.
    pub ari_by_k: Vec<f64>,
    /// Whether each text-only pair came apart at every candidate K, in table order.
    pub pairs_by_k: Vec<Vec<bool>>,
    /// Share of the search sample in the smallest segment at every candidate K.
    pub min_share_by_k: Vec<f64>,
    /// Ward merge heights of the largest candidate K's partition, from that K down to one
    /// segment (see [`select::ward_merge_heights`]).
    pub merge_heights: Vec<f64>,
    /// ARI of every customer joining the nearest *planted* archetype centre: how far the
    /// clustering space separates the truth at all, whatever K or algorithm is used.
    pub centroid_ceiling: f64,
    pub rules: Vec<RuleOutcome>,
    /// Stability across seeds of the default rule's segmentation (see
    /// [`cluster::seed_stability`]), when the search sample held every customer.
    pub seed_stability: Option<f64>,
    /// What `segment` itself delivers on every customer, with the sub-segment search after it.
    pub pipeline: PipelineOutcome,
}

/// The full pipeline's segmentation of one shop: its K and ARI, and the leaves (every split
/// segment replaced by its sub-segments): whether drilling down reaches the planted archetypes.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineOutcome {
    pub k: usize,
    pub ari: f64,
    pub leaves: usize,
    pub leaves_ari: f64,
}

/// Runs auto-K and the sub-segment search as `segment` does and scores both levels.
pub fn score_pipeline(
    x: &Array2<f64>,
    truth: &Truth,
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<PipelineOutcome, cluster::ClusterError> {
    let top = cluster::cluster(x, cfg, seed, &|_| {})?;
    let sub = cluster::sub::sub_segments(x, &top, cfg, seed, &|_| {})?;
    // DBSCAN's noise (-1) is a group of its own, after the segments.
    let labels: Vec<usize> = top
        .labels
        .iter()
        .map(|&l| usize::try_from(l).unwrap_or(top.k))
        .collect();
    // A leaf is (segment, sub-segment + 1), or (segment, 0) where the segment was not split.
    let mut leaf: Vec<(usize, usize)> = labels.iter().map(|&l| (l, 0)).collect();
    for split in &sub.splits {
        for (&m, &l) in split.members.iter().zip(&split.labels) {
            leaf[m].1 = l + 1;
        }
    }
    let mut ids: HashMap<(usize, usize), usize> = HashMap::new();
    let leaf: Vec<usize> = leaf
        .into_iter()
        .map(|key| {
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect();
    Ok(PipelineOutcome {
        k: top.k,
        ari: adjusted_rand_index(&truth.labels, &labels),
        leaves: ids.len(),
        leaves_ari: adjusted_rand_index(&truth.labels, &leaf),
    })
}

/// Scores every candidate K and every rule on the clustering matrix `x` of one shop.
/// `pairs` are the text-only archetype pairs by index in `truth`.
pub fn score_shop(
    x: &Array2<f64>,
    truth: &Truth,
    pairs: &[(usize, usize)],
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<ShopOutcome, cluster::ClusterError> {
    let (idx, table, labels) = cluster::search_table(x, cfg, seed)?;
    let t: Vec<usize> = idx.iter().map(|&i| truth.labels[i]).collect();
    let ari_by_k: Vec<f64> = labels.iter().map(|l| adjusted_rand_index(&t, l)).collect();
    let pairs_by_k: Vec<Vec<bool>> = labels
        .iter()
        .map(|l| pairs.iter().map(|&(a, b)| separated(&t, l, a, b)).collect())
        .collect();
    let merge_heights = match (table.last(), labels.last()) {
        (Some(last), Some(l)) => {
            let xs = x.select(ndarray::Axis(0), &idx);
            select::ward_merge_heights(xs.view(), l, last.k)
        }
        _ => Vec::new(),
    };
    let centroid_ceiling = {
        let k = truth.k();
        let (c, _) = cluster::metrics::centroids(x.view(), &truth.labels, k);
        let nearest = cluster::sq_distances(x.view(), &c)
            .rows()
            .into_iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .min_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i)
            })
            .collect::<Vec<_>>();
        adjusted_rand_index(&truth.labels, &nearest)
    };
    let min_share_by_k: Vec<f64> = labels
        .iter()
        .map(|l| {
            let k = l.iter().max().map_or(0, |m| m + 1);
            let mut c = vec![0usize; k];
            for &v in l {
                c[v] += 1;
            }
            c.into_iter().min().unwrap_or(0) as f64 / l.len().max(1) as f64
        })
        .collect();
    let rules = select::RULES
        .iter()
        .map(|&rule| {
            let i = rule.choose(&table);
            RuleOutcome {
                rule: rule.name(),
                k: table[i].k,
                ari: ari_by_k[i],
                pairs_separated: pairs
                    .iter()
                    .map(|&(a, b)| separated(&t, &labels[i], a, b))
                    .collect(),
            }
        })
        .collect();
    let best = select::DEFAULT_RULE.choose(&table);
    let seed_stability = if idx.len() == x.nrows() {
        cluster::seed_stability(x, &labels[best], table[best].k, cfg, seed)?
    } else {
        None
    };
    Ok(ShopOutcome {
        planted_k: truth.k(),
        table,
        ari_by_k,
        pairs_by_k,
        min_share_by_k,
        merge_heights,
        centroid_ceiling,
        rules,
        seed_stability,
        pipeline: score_pipeline(x, truth, cfg, seed)?,
    })
}

/// The acceptance figures of one rule over many shops.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    pub rule: &'static str,
    pub shops: usize,
    pub median_ari: f64,
    pub p10_ari: f64,
    /// Share of shops with |K chosen - K planted| <= 1.
    pub k_within_one: f64,
    /// Share of shops with a text-only pair where every such pair came apart.
    pub pairs_separated: Option<f64>,
}

/// Quantile by linear interpolation between order statistics (q in 0..=1).
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (s.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// Summarises each rule over the shops' outcomes.
pub fn summarise(shops: &[ShopOutcome]) -> Vec<RuleSummary> {
    let Some(first) = shops.first() else {
        return Vec::new();
    };
    (0..first.rules.len())
        .map(|r| {
            let outs: Vec<(&ShopOutcome, &RuleOutcome)> =
                shops.iter().map(|s| (s, &s.rules[r])).collect();
            let aris: Vec<f64> = outs.iter().map(|(_, o)| o.ari).collect();
            let within = outs
                .iter()
                .filter(|(s, o)| o.k.abs_diff(s.planted_k) <= 1)
                .count();
            let with_pair: Vec<bool> = outs
                .iter()
                .filter(|(_, o)| !o.pairs_separated.is_empty())
                .map(|(_, o)| o.pairs_separated.iter().all(|&b| b))
                .collect();
            RuleSummary {
                rule: first.rules[r].rule,
                shops: shops.len(),
                median_ari: quantile(&aris, 0.5),
                p10_ari: quantile(&aris, 0.1),
                k_within_one: within as f64 / shops.len() as f64,
                pairs_separated: (!with_pair.is_empty()).then(|| {
                    with_pair.iter().filter(|&&b| b).count() as f64 / with_pair.len() as f64
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separation_needs_distinct_majorities() {
        let truth = [0, 0, 0, 0, 1, 1, 1, 1];
        assert!(separated(&truth, &[0, 0, 0, 1, 1, 1, 1, 0], 0, 1));
        assert!(!separated(&truth, &[0, 0, 0, 0, 0, 0, 1, 1], 0, 1));
        assert!(!separated(&truth, &[0; 8], 0, 1));
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert!((quantile(&v, 0.1) - 1.4).abs() < 1e-12);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
