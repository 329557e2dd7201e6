//! Ward hierarchical clustering of weighted points: the merge tree (nearest-neighbour chain over a
//! condensed distance matrix, Lance-Williams updates), flat labels for a cut into k clusters, and
//! the merge heights a caller reads to pick k by the largest jump.
//!
//! Weights let the tree be built on k-means centroids (weight = segment size) as well as on raw
//! customers (weight 1): a centroid of weight w then merges as w coincident customers would.
//! Heights follow scipy's `ward`: `sqrt(2 * w_a * w_b / (w_a + w_b)) * ||c_a - c_b||`, which is
//! the plain Euclidean distance for two single customers. Time and memory are O(n^2)
//! (8 n^2 / 2 bytes: 100 MB at 5,000 points), so call it on a sample or on centroids.

use ndarray::ArrayView2;
use rayon::prelude::*;

/// One merge of the tree in scipy's linkage convention, so the tree can be compared with scipy
/// and drawn as a dendrogram: ids below n are points, id n + i is the cluster made by merge i.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merge {
    /// The smaller of the two merged cluster ids.
    pub a: usize,
    /// The larger of the two merged cluster ids.
    pub b: usize,
    /// Ward height of the merge; non-decreasing along the returned list.
    pub height: f64,
    /// Total weight of the merged cluster (its number of customers for weight-1 points).
    pub size: f64,
}

/// Builds the Ward tree of `points` (rows) with `weights` (customers each row stands for, > 0).
///
/// Returns n - 1 merges sorted by height (stable, so equal heights keep a valid child-before-parent
/// order), none for n <= 1. Ties, duplicate points included, are broken deterministically: the
/// chain always starts at the lowest live index and prefers the lower index among equal
/// distances. Panics when `weights.len()` differs from the number of rows.
pub fn ward_linkage(points: ArrayView2<f64>, weights: &[f64]) -> Vec<Merge> {
    let n = points.nrows();
    assert_eq!(weights.len(), n, "one weight per point");
    if n < 2 {
        return Vec::new();
    }
    let mut d = condensed_sq_heights(points, weights);
    let raw = nn_chain(&mut d, n, weights);
    label(raw, n, weights)
}

/// Flat labels of the n points when the tree is cut into `k` clusters (k is clamped to 1..=n),
/// numbered 0.. by first appearance so that equal trees give equal labels.
///
/// `merges` must come from [`ward_linkage`] on the same n points.
pub fn cut(merges: &[Merge], n: usize, k: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let k = k.clamp(1, n);
    // Union-find over points; `rep[id]` is a point inside cluster `id`.
    let mut parent: Vec<usize> = (0..n).collect();
    let mut rep: Vec<usize> = (0..n).collect();
    for m in merges.iter().take(n - k) {
        let ra = find(&mut parent, rep[m.a]);
        let rb = find(&mut parent, rep[m.b]);
        let root = ra.min(rb);
        parent[ra.max(rb)] = root;
        rep.push(root);
    }
    let mut label_of_root = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|i| {
            let r = find(&mut parent, i);
            if label_of_root[r] == usize::MAX {
                label_of_root[r] = next;
                next += 1;
            }
            label_of_root[r]
        })
        .collect()
}

/// The height of the merge that takes the tree from k to k - 1 clusters, as `(k, height)` for
/// k = 2..=k_max (fewer when the tree is smaller): a large jump from k + 1 to k says that k
/// clusters are well separated and merging any two of them is costly.
pub fn merge_heights(merges: &[Merge], k_max: usize) -> Vec<(usize, f64)> {
    let m = merges.len();
    (2..=k_max.min(m + 1))
        .map(|k| (k, merges[m + 1 - k].height))
        .collect()
}

/// The k in k_min..=k_max (k_min at least 2) with the largest relative jump
/// `height(k -> k-1) / height(k+1 -> k)`, the usual dendrogram rule for the number of clusters;
/// ties go to the smaller k. None when the tree has no k in range with a next merge to compare
/// with (k_max must be below the number of points).
pub fn best_k_by_jump(merges: &[Merge], k_min: usize, k_max: usize) -> Option<usize> {
    let heights = merge_heights(merges, k_max.saturating_add(1));
    let mut best: Option<(usize, f64)> = None;
    for w in heights.windows(2) {
        let ((k, h), (_, h_next)) = (w[0], w[1]);
        if k < k_min.max(2) {
            continue;
        }
        let jump = if h_next > 0.0 {
            h / h_next
        } else if h > 0.0 {
            f64::INFINITY
        } else {
            1.0
        };
        if best.is_none_or(|(_, b)| jump > b) {
            best = Some((k, jump));
        }
    }
    best.map(|(k, _)| k)
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Where row i's pairs (i, i+1..n) start in the condensed upper triangle of an n x n matrix.
#[inline]
fn row_start(n: usize, i: usize) -> usize {
    n * i - i * (i + 1) / 2
}

/// Index of the pair (i, j), i < j, in the condensed upper triangle.
#[inline]
fn cidx(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(i < j && j < n);
    row_start(n, i) + (j - i - 1)
}

#[inline]
fn pair(n: usize, i: usize, j: usize) -> usize {
    if i < j {
        cidx(n, i, j)
    } else {
        cidx(n, j, i)
    }
}

/// Squared Ward heights of all point pairs, `2 w_i w_j / (w_i + w_j) * ||x_i - x_j||^2`, row by row
/// in parallel (differences rather than a Gram matrix, so near-duplicates keep their exact order).
fn condensed_sq_heights(points: ArrayView2<f64>, weights: &[f64]) -> Vec<f64> {
    let (n, p) = points.dim();
    // Row-major copy: contiguous rows let the distance loop vectorise, whatever the view's layout.
    let flat: Vec<f64> = points.iter().copied().collect();
    let row_of = |i: usize| &flat[i * p..(i + 1) * p];
    let mut d = vec![0.0f64; n * (n - 1) / 2];
    let mut rows: Vec<(usize, &mut [f64])> = Vec::with_capacity(n - 1);
    let mut rest = d.as_mut_slice();
    for i in 0..n - 1 {
        let (row, tail) = rest.split_at_mut(n - 1 - i);
        rows.push((i, row));
        rest = tail;
    }
    rows.into_par_iter().for_each(|(i, row)| {
        let xi = row_of(i);
        let wi = weights[i];
        for (slot, j) in row.iter_mut().zip(i + 1..n) {
            let wj = weights[j];
            *slot = 2.0 * wi * wj / (wi + wj) * sq_dist(xi, row_of(j));
        }
    });
    d
}

/// Squared Euclidean distance of two equal-length slices, in four independent sums so that the
/// compiler can vectorise it (the slice form of [`crate::cluster::metrics::sq_dist`], which walks ndarray views).
#[inline]
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            let t = x[l] - y[l];
            acc[l] += t * t;
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// A merge of two live slots (each slot is named by a point of its cluster) at a squared height.
struct RawMerge {
    x: usize,
    y: usize,
    sq_height: f64,
}

/// Nearest-neighbour chain (Müllner 2011, reducible linkages): follows nearest neighbours until two
/// clusters are each other's nearest, merges them into the higher slot and updates that slot's
/// distances by Lance-Williams. Merges come out in chain order, not sorted.
fn nn_chain(d: &mut [f64], n: usize, weights: &[f64]) -> Vec<RawMerge> {
    let mut size: Vec<f64> = weights.to_vec();
    // Live slots in increasing order, so scans and tie-breaks run the same way every time.
    let mut live: Vec<usize> = (0..n).collect();
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut out = Vec::with_capacity(n - 1);
    while live.len() > 1 {
        if chain.is_empty() {
            chain.push(live[0]);
        }
        let (x, y, dist) = loop {
            let a = chain[chain.len() - 1];
            let prev = (chain.len() >= 2).then(|| chain[chain.len() - 2]);
            // Start from the previous link so that a tie goes back down the chain: that keeps the
            // chain's distances strictly decreasing and ends it on duplicates.
            let (mut b, mut best) = match prev {
                Some(p) => (p, d[pair(n, a, p)]),
                None => (usize::MAX, f64::INFINITY),
            };
            // Slots below `a` hold (c, a) down a column; slots above it lie in a's row.
            let split = live.partition_point(|&c| c < a);
            for &c in &live[..split] {
                let v = d[cidx(n, c, a)];
                if v < best || b == usize::MAX {
                    b = c;
                    best = v;
                }
            }
            let row = &d[row_start(n, a)..];
            for &c in live[split..].iter().filter(|&&c| c != a) {
                let v = row[c - a - 1];
                if v < best || b == usize::MAX {
                    b = c;
                    best = v;
                }
            }
            if Some(b) == prev {
                chain.truncate(chain.len() - 2);
                break (a.min(b), a.max(b), best);
            }
            chain.push(b);
        };
        let (wx, wy) = (size[x], size[y]);
        for &k in live.iter().filter(|&&k| k != x && k != y) {
            let wk = size[k];
            let (ixk, iyk) = (pair(n, x, k), pair(n, y, k));
            let v = ((wx + wk) * d[ixk] + (wy + wk) * d[iyk] - wk * dist) / (wx + wy + wk);
            d[iyk] = v.max(0.0);
        }
        size[y] = wx + wy;
        size[x] = 0.0;
        if let Ok(pos) = live.binary_search(&x) {
            live.remove(pos);
        }
        out.push(RawMerge {
            x,
            y,
            sq_height: dist.max(0.0),
        });
    }
    out
}

/// Sorts the chain's merges by height and renames slots to scipy's cluster ids.
fn label(mut raw: Vec<RawMerge>, n: usize, weights: &[f64]) -> Vec<Merge> {
    raw.sort_by(|p, q| p.sq_height.total_cmp(&q.sq_height));
    let mut parent: Vec<usize> = (0..n).collect();
    // Cluster id and weight of the cluster whose union-find root is a given point.
    let mut id_of_root: Vec<usize> = (0..n).collect();
    let mut size_of_root: Vec<f64> = weights.to_vec();
    raw.iter()
        .enumerate()
        .map(|(i, m)| {
            let rx = find(&mut parent, m.x);
            let ry = find(&mut parent, m.y);
            let (ia, ib) = (id_of_root[rx], id_of_root[ry]);
            let size = size_of_root[rx] + size_of_root[ry];
            let root = rx.min(ry);
            parent[rx.max(ry)] = root;
            id_of_root[root] = n + i;
            size_of_root[root] = size;
            Merge {
                a: ia.min(ib),
                b: ia.max(ib),
                height: m.sq_height.sqrt(),
                size,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::metrics;
    use ndarray::{array, Array2};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    /// Naive O(n^3) Ward: every step recomputes all pair heights from centroids and weights and
    /// merges the lowest pair (first pair in index order on ties). Returns the heights and the
    /// partition (member lists) before each merge.
    fn naive(x: &Array2<f64>, w: &[f64]) -> (Vec<f64>, Vec<Vec<usize>>) {
        let mut clusters: Vec<(Vec<f64>, f64, Vec<usize>)> = x
            .rows()
            .into_iter()
            .zip(w)
            .enumerate()
            .map(|(i, (r, &wi))| (r.to_vec(), wi, vec![i]))
            .collect();
        let mut heights = Vec::new();
        let mut labels_per_k = vec![partition_labels(&clusters, x.nrows())];
        while clusters.len() > 1 {
            let mut best = (0, 1, f64::INFINITY);
            for a in 0..clusters.len() {
                for b in a + 1..clusters.len() {
                    let (ca, wa, _) = &clusters[a];
                    let (cb, wb, _) = &clusters[b];
                    let d2: f64 = ca.iter().zip(cb).map(|(p, q)| (p - q) * (p - q)).sum();
                    let h = (2.0 * wa * wb / (wa + wb) * d2).sqrt();
                    if h < best.2 {
                        best = (a, b, h);
                    }
                }
            }
            let (a, b, h) = best;
            let (cb, wb, mb) = clusters.remove(b);
            let (ca, wa, ma) = &mut clusters[a];
            for (p, q) in ca.iter_mut().zip(&cb) {
                *p = (*p * *wa + q * wb) / (*wa + wb);
            }
            *wa += wb;
            ma.extend(mb);
            heights.push(h);
            labels_per_k.push(partition_labels(&clusters, x.nrows()));
        }
        (heights, labels_per_k)
    }

    /// Labels by first appearance, as [`cut`] numbers them.
    fn partition_labels(clusters: &[(Vec<f64>, f64, Vec<usize>)], n: usize) -> Vec<usize> {
        let mut raw = vec![0; n];
        for (c, (_, _, members)) in clusters.iter().enumerate() {
            for &i in members {
                raw[i] = c;
            }
        }
        canonical(&raw)
    }

    fn canonical(labels: &[usize]) -> Vec<usize> {
        let mut map = std::collections::HashMap::new();
        labels
            .iter()
            .map(|&l| {
                let next = map.len();
                *map.entry(l).or_insert(next)
            })
            .collect()
    }

    fn random_points(n: usize, dims: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, dims), |_| rng.gen_range(-1.0..1.0))
    }

    /// Gaussian blobs in `dims` dimensions, centres 20 apart on the axes, noise sd 1.
    fn blobs(sizes: &[usize], dims: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let noise = Normal::new(0.0, 1.0).unwrap();
        let n: usize = sizes.iter().sum();
        let mut x = Array2::zeros((n, dims));
        let mut truth = Vec::with_capacity(n);
        let mut row = 0;
        for (c, &s) in sizes.iter().enumerate() {
            for _ in 0..s {
                for j in 0..dims {
                    let centre = if j == c % dims { 20.0 } else { 0.0 };
                    x[[row, j]] = centre + noise.sample(&mut rng);
                }
                truth.push(c);
                row += 1;
            }
        }
        (x, truth)
    }

    fn assert_valid_tree(merges: &[Merge], n: usize, total_weight: f64) {
        assert_eq!(merges.len(), n.saturating_sub(1));
        let mut used = vec![false; 2 * n];
        for (i, m) in merges.iter().enumerate() {
            assert!(m.a < m.b && m.b < n + i, "merge {i}: {m:?}");
            assert!(
                !used[m.a] && !used[m.b],
                "merge {i} reuses a cluster: {m:?}"
            );
            used[m.a] = true;
            used[m.b] = true;
        }
        for w in merges.windows(2) {
            assert!(w[0].height <= w[1].height, "{w:?}");
        }
        if let Some(last) = merges.last() {
            assert!((last.size - total_weight).abs() < 1e-9 * total_weight);
        }
    }

    #[test]
    fn matches_scipy_on_a_hand_example() {
        // scipy.cluster.hierarchy.ward([[0], [1], [3]]) = [[0, 1, 1, 2], [2, 3, sqrt(4/3)*2.5, 3]].
        let x = array![[0.0], [1.0], [3.0]];
        let m = ward_linkage(x.view(), &[1.0; 3]);
        assert_eq!((m[0].a, m[0].b, m[0].size), (0, 1, 2.0));
        assert!((m[0].height - 1.0).abs() < 1e-12);
        assert_eq!((m[1].a, m[1].b, m[1].size), (2, 3, 3.0));
        assert!((m[1].height - (4.0f64 / 3.0).sqrt() * 2.5).abs() < 1e-12);
    }

    #[test]
    fn agrees_with_naive_ward_on_random_inputs() {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        for case in 0..40u64 {
            let n = rng.gen_range(2..40);
            let dims = rng.gen_range(1..6);
            let x = random_points(n, dims, case);
            let weighted = case % 2 == 1;
            let w: Vec<f64> = (0..n)
                .map(|_| {
                    if weighted {
                        rng.gen_range(0.5..20.0)
                    } else {
                        1.0
                    }
                })
                .collect();
            let merges = ward_linkage(x.view(), &w);
            assert_valid_tree(&merges, n, w.iter().sum());
            let (heights, partitions) = naive(&x, &w);
            for (i, (m, h)) in merges.iter().zip(&heights).enumerate() {
                assert!(
                    (m.height - h).abs() <= 1e-9 * h.max(1.0),
                    "case {case} merge {i}: {} vs naive {h}",
                    m.height
                );
            }
            for (steps, naive_labels) in partitions.iter().enumerate() {
                let k = n - steps;
                assert_eq!(&cut(&merges, n, k), naive_labels, "case {case} k={k}");
            }
        }
    }

    #[test]
    fn three_blobs_cut_at_three_recover_the_blobs() {
        let (x, truth) = blobs(&[120, 60, 30], 5, 3);
        let merges = ward_linkage(x.view(), &vec![1.0; x.nrows()]);
        assert_valid_tree(&merges, x.nrows(), x.nrows() as f64);
        assert_eq!(cut(&merges, x.nrows(), 3), canonical(&truth));
        assert_eq!(best_k_by_jump(&merges, 2, 10), Some(3));
        let h = merge_heights(&merges, 4);
        assert_eq!(h.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert!(h[1].1 > 5.0 * h[2].1, "{h:?}");
    }

    #[test]
    fn weighted_centroids_of_over_clustered_blobs_merge_back() {
        // Split each blob into 4 unequal pieces by the signs of two noise coordinates, then build
        // the tree on the pieces' centroids weighted by their sizes.
        let (x, truth) = blobs(&[400, 90, 25], 6, 11);
        let piece: Vec<usize> = (0..x.nrows())
            .map(|i| {
                truth[i] * 4 + usize::from(x[[i, 4]] > 0.3) * 2 + usize::from(x[[i, 5]] > -0.5)
            })
            .collect();
        let (c, counts) = metrics::centroids(x.view(), &piece, 12);
        let live: Vec<usize> = (0..12).filter(|&p| counts[p] > 0).collect();
        let cents = c.select(ndarray::Axis(0), &live);
        let w: Vec<f64> = live.iter().map(|&p| counts[p] as f64).collect();
        let merges = ward_linkage(cents.view(), &w);
        assert_valid_tree(&merges, live.len(), x.nrows() as f64);
        let labels = cut(&merges, live.len(), 3);
        let blob_of_piece: Vec<usize> = live.iter().map(|&p| p / 4).collect();
        assert_eq!(labels, canonical(&blob_of_piece));
        assert_eq!(best_k_by_jump(&merges, 2, 8), Some(3));
        // The top two merges weigh what a tree on every customer would: same clusters, same cost.
        let full = ward_linkage(x.view(), &vec![1.0; x.nrows()]);
        for (a, b) in merges.iter().rev().zip(full.iter().rev()).take(2) {
            assert!((a.height - b.height).abs() < 1e-9 * b.height, "{a:?} {b:?}");
            assert!((a.size - b.size).abs() < 1e-9);
        }
    }

    #[test]
    fn tiny_and_duplicate_inputs() {
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(ward_linkage(empty.view(), &[]).is_empty());
        assert!(cut(&[], 0, 3).is_empty());
        let one = array![[1.0, 2.0]];
        assert!(ward_linkage(one.view(), &[3.0]).is_empty());
        assert_eq!(cut(&[], 1, 1), vec![0]);
        assert_eq!(cut(&[], 1, 5), vec![0]);
        assert_eq!(best_k_by_jump(&[], 2, 5), None);

        // All points equal: every height is 0 and the tree is still a valid, repeatable tree.
        let same = Array2::<f64>::from_elem((7, 2), 4.0);
        let m = ward_linkage(same.view(), &[1.0; 7]);
        assert_valid_tree(&m, 7, 7.0);
        assert!(m.iter().all(|m| m.height == 0.0));
        assert_eq!(m, ward_linkage(same.view(), &[1.0; 7]));
        assert_eq!(cut(&m, 7, 1), vec![0; 7]);
        assert_eq!(cut(&m, 7, 7), (0..7).collect::<Vec<_>>());

        // Duplicates among distinct points merge first, at height 0, and a duplicate of weight 1
        // beside one of weight 2 is the same as three coincident points.
        let x = array![[0.0], [5.0], [0.0], [5.0], [5.0], [9.0]];
        let m = ward_linkage(x.view(), &[1.0; 6]);
        assert_valid_tree(&m, 6, 6.0);
        assert_eq!(m.iter().filter(|m| m.height == 0.0).count(), 3);
        assert_eq!(cut(&m, 6, 3), vec![0, 1, 0, 1, 1, 2]);
        let merged = array![[0.0], [5.0], [9.0]];
        let mw = ward_linkage(merged.view(), &[2.0, 3.0, 1.0]);
        for (a, b) in mw.iter().rev().zip(m.iter().rev()) {
            assert!((a.height - b.height).abs() < 1e-12, "{a:?} {b:?}");
        }
    }

    #[test]
    fn ties_are_deterministic() {
        // A square: four equal nearest pairs.
        let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let m = ward_linkage(x.view(), &[1.0; 4]);
        assert_valid_tree(&m, 4, 4.0);
        assert_eq!(m, ward_linkage(x.view(), &[1.0; 4]));
        assert_eq!(cut(&m, 4, 2), vec![0, 0, 1, 1]);
    }

    #[test]
    fn timing_5000_points_40_dims() {
        let x = random_points(5000, 40, 5);
        let start = std::time::Instant::now();
        let merges = ward_linkage(x.view(), &vec![1.0; 5000]);
        let took = start.elapsed();
        let labels = cut(&merges, 5000, 8);
        eprintln!(
            "ward_linkage: 5000 points x 40 dims in {:.3} s (cut: {} labels)",
            took.as_secs_f64(),
            labels.len()
        );
        assert_valid_tree(&merges, 5000, 5000.0);
    }
}
