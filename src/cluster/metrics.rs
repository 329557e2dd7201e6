//! Cluster quality figures: silhouette (on a sample), Calinski-Harabasz, Davies-Bouldin, and the
//! adjusted Rand index used for stability and for recovery tests against planted truth.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

/// Centroids of `k` clusters; empty clusters get a zero centroid and are ignored by the metrics.
pub fn centroids(x: ArrayView2<f64>, labels: &[usize], k: usize) -> (Array2<f64>, Vec<usize>) {
    let mut c = Array2::<f64>::zeros((k, x.ncols()));
    let mut counts = vec![0usize; k];
    for (row, &l) in x.rows().into_iter().zip(labels) {
        counts[l] += 1;
        let mut cr = c.row_mut(l);
        cr += &row;
    }
    for (mut row, &n) in c.rows_mut().into_iter().zip(&counts) {
        if n > 0 {
            row /= n as f64;
        }
    }
    (c, counts)
}

pub fn sq_dist(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Mean silhouette over the rows of `x` (call it with a sample). Points in singleton clusters
/// score 0, as in the usual definition. Returns None with fewer than two non-empty clusters.
pub fn silhouette(x: ArrayView2<f64>, labels: &[usize], k: usize) -> Option<f64> {
    let n = x.nrows();
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    if sizes.iter().filter(|&&s| s > 0).count() < 2 || n < 3 {
        return None;
    }
    let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
    const BLOCK: usize = 256;
    let scores: Vec<f64> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|b| {
            let lo = b * BLOCK;
            let hi = (lo + BLOCK).min(n);
            let block = x.slice(ndarray::s![lo..hi, ..]);
            let gram = block.dot(&x.t());
            let mut out = Vec::with_capacity(hi - lo);
            let mut sums = vec![0.0; k];
            for (bi, i) in (lo..hi).enumerate() {
                sums.iter_mut().for_each(|s| *s = 0.0);
                for j in 0..n {
                    if i == j {
                        continue;
                    }
                    let d2 = (norms[i] + norms[j] - 2.0 * gram[[bi, j]]).max(0.0);
                    sums[labels[j]] += d2.sqrt();
                }
                let own = labels[i];
                if sizes[own] <= 1 {
                    out.push(0.0);
                    continue;
                }
                let a = sums[own] / (sizes[own] - 1) as f64;
                let b = (0..k)
                    .filter(|&c| c != own && sizes[c] > 0)
                    .map(|c| sums[c] / sizes[c] as f64)
                    .fold(f64::INFINITY, f64::min);
                let s = if a.max(b) > 0.0 {
                    (b - a) / a.max(b)
                } else {
                    0.0
                };
                out.push(s);
            }
            out
        })
        .collect();
    Some(scores.iter().sum::<f64>() / n as f64)
}

/// Calinski-Harabasz index: between-cluster over within-cluster dispersion, each per degree of
/// freedom. Higher is better.
pub fn calinski_harabasz(x: ArrayView2<f64>, labels: &[usize], k: usize) -> Option<f64> {
    let n = x.nrows();
    let (c, counts) = centroids(x, labels, k);
    let used = counts.iter().filter(|&&s| s > 0).count();
    if used < 2 || n <= used {
        return None;
    }
    let mean = x.mean_axis(Axis(0))?;
    let between: f64 = c
        .rows()
        .into_iter()
        .zip(&counts)
        .map(|(r, &m)| m as f64 * sq_dist(r, mean.view()))
        .sum();
    let within: f64 = x
        .rows()
        .into_iter()
        .zip(labels)
        .map(|(r, &l)| sq_dist(r, c.row(l)))
        .sum();
    if within <= 0.0 {
        return None;
    }
    Some((between / (used - 1) as f64) / (within / (n - used) as f64))
}

/// Davies-Bouldin index: mean over clusters of the worst ratio of summed spreads to centroid
/// distance. Lower is better.
pub fn davies_bouldin(x: ArrayView2<f64>, labels: &[usize], k: usize) -> Option<f64> {
    let (c, counts) = centroids(x, labels, k);
    let mut spread = vec![0.0; k];
    for (r, &l) in x.rows().into_iter().zip(labels) {
        spread[l] += sq_dist(r, c.row(l)).sqrt();
    }
    let live: Vec<usize> = (0..k).filter(|&i| counts[i] > 0).collect();
    if live.len() < 2 {
        return None;
    }
    for &i in &live {
        spread[i] /= counts[i] as f64;
    }
    let total: f64 = live
        .iter()
        .map(|&i| {
            live.iter()
                .filter(|&&j| j != i)
                .map(|&j| {
                    let d = sq_dist(c.row(i), c.row(j)).sqrt();
                    if d > 0.0 {
                        (spread[i] + spread[j]) / d
                    } else {
                        f64::INFINITY
                    }
                })
                .fold(0.0, f64::max)
        })
        .sum();
    Some(total / live.len() as f64)
}

/// Adjusted Rand index between two labelings of the same items (1 = identical partitions,
/// about 0 = chance agreement).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(a.len(), b.len(), "labelings must have the same length");
    let n = a.len();
    if n < 2 {
        return 1.0;
    }
    let ka = a.iter().max().map_or(0, |m| m + 1);
    let kb = b.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![0u64; ka * kb];
    let mut ra = vec![0u64; ka];
    let mut rb = vec![0u64; kb];
    for (&x, &y) in a.iter().zip(b) {
        table[x * kb + y] += 1;
        ra[x] += 1;
        rb[y] += 1;
    }
    let c2 = |v: u64| (v * v.saturating_sub(1)) as f64 / 2.0;
    let index: f64 = table.iter().map(|&v| c2(v)).sum();
    let sa: f64 = ra.iter().map(|&v| c2(v)).sum();
    let sb: f64 = rb.iter().map(|&v| c2(v)).sum();
    let expected = sa * sb / c2(n as u64);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn two_blobs() -> (Array2<f64>, Vec<usize>) {
        let x = array![
            [0.0, 0.0],
            [0.0, 1.0],
            [1.0, 0.0],
            [10.0, 10.0],
            [10.0, 11.0],
            [11.0, 10.0]
        ];
        (x, vec![0, 0, 0, 1, 1, 1])
    }

    #[test]
    fn ari_known_values() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
        // sklearn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715
        assert!(
            (adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.571_428_571_428_571_5).abs()
                < 1e-12
        );
        // By hand: sum C(n_ij,2) = 2, expected = 6 * 6 / 15 = 2.4, max = 6 -> (2 - 2.4) / 3.6.
        assert!(
            (adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 0, 1, 0, 1]) + 1.0 / 9.0).abs()
                < 1e-9
        );
    }

    #[test]
    fn separated_blobs_score_well() {
        let (x, l) = two_blobs();
        let s = silhouette(x.view(), &l, 2).unwrap();
        assert!(s > 0.85, "{s}");
        let ch = calinski_harabasz(x.view(), &l, 2).unwrap();
        assert!(ch > 100.0, "{ch}");
        let db = davies_bouldin(x.view(), &l, 2).unwrap();
        assert!(db < 0.2, "{db}");
        // A bad split scores worse on all three.
        let bad = vec![0, 1, 0, 1, 0, 1];
        assert!(silhouette(x.view(), &bad, 2).unwrap() < s);
        assert!(calinski_harabasz(x.view(), &bad, 2).unwrap() < ch);
        assert!(davies_bouldin(x.view(), &bad, 2).unwrap() > db);
    }

    #[test]
    fn silhouette_matches_hand_computation() {
        // Points 0, 1 in cluster 0 and 4 in cluster 1 (1-D):
        // s(0) = (b=4 - a=1)/4 = 0.75; s(1) = (3 - 1)/3 = 2/3; s(4) = 0 (singleton).
        let x = array![[0.0], [1.0], [4.0]];
        let s = silhouette(x.view(), &[0, 0, 1], 2).unwrap();
        assert!((s - (0.75 + 2.0 / 3.0) / 3.0).abs() < 1e-12, "{s}");
    }

    #[test]
    fn degenerate_inputs() {
        let (x, _) = two_blobs();
        assert!(silhouette(x.view(), &[0; 6], 1).is_none());
        assert!(calinski_harabasz(x.view(), &[0; 6], 2).is_none());
        assert!(davies_bouldin(x.view(), &[0; 6], 2).is_none());
    }
}
