//! Clustering on synthetic blobs with a known answer.

use super::*;
use crate::config::Config;
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// `sizes.len()` well separated Gaussian blobs in 4-D.
fn blobs(sizes: &[usize], seed: u64) -> (Array2<f64>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.6).unwrap();
    let n: usize = sizes.iter().sum();
    let mut x = Array2::zeros((n, 4));
    let mut truth = Vec::with_capacity(n);
    let mut row = 0;
    for (c, &s) in sizes.iter().enumerate() {
        let centre: Vec<f64> = (0..4)
            .map(|_| rng.gen_range(-8.0..8.0) + c as f64 * 3.0)
            .collect();
        for _ in 0..s {
            for j in 0..4 {
                x[[row, j]] = centre[j] + noise.sample(&mut rng);
            }
            truth.push(c);
            row += 1;
        }
    }
    (x, truth)
}

fn labels_usize(c: &Clustering) -> Vec<usize> {
    c.labels.iter().map(|&l| l as usize).collect()
}

#[test]
fn auto_k_finds_planted_blobs() {
    let (x, truth) = blobs(&[300, 200, 150, 100], 1);
    let cfg = Config::default().cluster;
    let c = cluster(&x, &cfg, 7, &|_| {}).unwrap();
    assert_eq!(c.k, 4, "{:?}", c.k_table);
    assert!(adjusted_rand_index(&truth, &labels_usize(&c)) > 0.99);
    // Numbered by size, probabilities are distributions.
    let sizes = crate::profile::segment_sizes(&c.labels);
    let v: Vec<usize> = sizes.values().copied().collect();
    assert!(v.windows(2).all(|w| w[0] >= w[1]), "{v:?}");
    for r in c.probabilities.rows() {
        assert!((r.sum() - 1.0).abs() < 1e-9);
    }
    assert_eq!(c.k_table.iter().filter(|r| r.chosen).count(), 1);
    assert!(c.quality.stability.unwrap() > 0.95);
}

#[test]
fn same_seed_same_segments() {
    let (x, _) = blobs(&[200, 200, 200], 2);
    let cfg = Config::default().cluster;
    let a = cluster(&x, &cfg, 3, &|_| {}).unwrap();
    let b = cluster(&x, &cfg, 3, &|_| {}).unwrap();
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.probabilities, b.probabilities);
    assert_eq!(a.k_table, b.k_table);
}

#[test]
fn sampled_search_then_refine_on_all() {
    let (x, truth) = blobs(&[900, 700, 400], 3);
    let mut cfg = Config::default().cluster;
    cfg.search_sample = 500;
    cfg.silhouette_sample = 300;
    let c = cluster(&x, &cfg, 1, &|_| {}).unwrap();
    assert_eq!(c.k, 3);
    assert_eq!(c.search_sample, 500);
    assert_eq!(c.labels.len(), 2000);
    assert!(adjusted_rand_index(&truth, &labels_usize(&c)) > 0.99);
}

#[test]
fn gmm_and_dbscan_recover_blobs() {
    let (x, truth) = blobs(&[150, 150, 150], 4);
    let mut cfg = Config::default().cluster;
    cfg.k = KChoice::Fixed(3);
    cfg.algo = Algo::Gmm;
    let g = cluster(&x, &cfg, 1, &|_| {}).unwrap();
    assert!(adjusted_rand_index(&truth, &labels_usize(&g)) > 0.95);
    cfg.algo = Algo::Dbscan;
    let d = cluster(&x, &cfg, 1, &|_| {}).unwrap();
    assert_eq!(d.k, 3, "{}", d.k_rule);
    let core: Vec<usize> = (0..truth.len()).filter(|&i| d.labels[i] >= 0).collect();
    assert!(core.len() > 300, "{} of 450 assigned", core.len());
    let t: Vec<usize> = core.iter().map(|&i| truth[i]).collect();
    let l: Vec<usize> = core.iter().map(|&i| d.labels[i] as usize).collect();
    assert!(adjusted_rand_index(&t, &l) > 0.99);
}

#[test]
fn too_few_customers_is_an_error() {
    let (x, _) = blobs(&[3], 5);
    let cfg = Config::default().cluster;
    assert!(matches!(
        cluster(&x, &cfg, 1, &|_| {}),
        Err(ClusterError::TooFew { .. })
    ));
}

#[test]
fn choose_k_rule() {
    let row = |k, s, ch, db, st| KScore {
        k,
        silhouette: Some(s),
        calinski_harabasz: Some(ch),
        davies_bouldin: Some(db),
        stability: Some(st),
        stability_se: None,
        prediction_strength: None,
        bic: None,
        inertia: None,
        chosen: false,
    };
    let t = vec![
        row(3, 0.5, 100.0, 0.9, 0.99),
        row(4, 0.6, 120.0, 0.8, 0.99),
        row(5, 0.7, 90.0, 1.0, 0.5),
    ];
    // k=5 has the best silhouette but is unstable; k=4 wins on rank sum.
    assert_eq!(choose_k(&t), 1);
}

#[test]
fn indistinguishable_customers_give_one_segment_not_empty_ones() {
    let x = Array2::from_elem((50, 3), 1.5);
    let cfg = Config::default().cluster;
    let c = cluster(&x, &cfg, 1, &|_| {}).unwrap();
    assert_eq!(c.k, 1);
    assert!(c.labels.iter().all(|&l| l == 0));
    assert_eq!(c.probabilities.ncols(), 1);
    assert!(c.probabilities.iter().all(|&p| (p - 1.0).abs() < 1e-12));
}

#[test]
fn ward_recovers_blobs_and_assigns_the_rest() {
    let (x, truth) = blobs(&[2500, 1800, 900], 6);
    let mut cfg = Config::default().cluster;
    cfg.algo = Algo::Ward;
    cfg.stability_runs = 2;
    let c = cluster(&x, &cfg, 1, &|_| {}).unwrap();
    assert_eq!(c.k, 3, "{:?}", c.k_table);
    // The tree is built on WARD_ROWS customers; the others join the nearest merged centre.
    assert!(x.nrows() > WARD_ROWS);
    assert!(adjusted_rand_index(&truth, &labels_usize(&c)) > 0.99);
    assert_eq!(c.algo, Algo::Ward);
}

#[test]
fn seed_stability_is_reported_and_high_on_clear_blobs() {
    let (x, _) = blobs(&[400, 300, 200], 8);
    let cfg = Config::default().cluster;
    let c = cluster(&x, &cfg, 1, &|_| {}).unwrap();
    let s = c.seed_stability.expect("seed runs on by default");
    assert!(s > 0.99, "{s}");
    let mut off = cfg.clone();
    off.seed_runs = 0;
    assert!(cluster(&x, &off, 1, &|_| {})
        .unwrap()
        .seed_stability
        .is_none());
}

#[test]
fn one_gaussian_blob_is_not_split_two_are() {
    // One elongated Gaussian: k-means would split it stably along its long axis, but the split
    // explains no more than it does of a Gaussian with the same covariance.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let n = 3000;
    let one = Array2::from_shape_fn((n, 5), |(_, j)| {
        let z: f64 = rng.sample(rand_distr::StandardNormal);
        z * if j == 0 { 4.0 } else { 1.0 }
    });
    let cfg = Config::default().cluster;
    let g = sub::gaussian_gap(&one, 4, &cfg, 1).unwrap();
    assert_eq!(g.choice, 1, "{g:?}");
    let (two, _) = blobs(&[1500, 1500], 10);
    let g2 = sub::gaussian_gap(&two, 4, &cfg, 1).unwrap();
    assert!(g2.choice >= 2, "{g2:?}");
}

#[test]
fn sub_segments_split_a_merged_pair_only() {
    // Segment 0 holds two blobs, segment 1 one: auto finds the pair inside 0 and leaves 1 whole.
    let (x, truth) = blobs(&[600, 600, 800], 11);
    let mut cfg = Config::default().cluster;
    cfg.k = KChoice::Fixed(2);
    let mut top = cluster(&x, &cfg, 1, &|_| {}).unwrap();
    // Force the planted merge: blobs 0 and 1 as one segment, blob 2 as the other.
    top.labels = truth.iter().map(|&t| i32::from(t == 2)).collect();
    let found = sub::sub_segments(&x, &top, &cfg, 1, &|_| {}).unwrap();
    assert_eq!(found.splits.len(), 1, "{:?}", found.whole);
    let s = &found.splits[0];
    assert_eq!((s.parent, s.k), (0, 2));
    let t: Vec<usize> = s.members.iter().map(|&i| truth[i]).collect();
    assert!(adjusted_rand_index(&t, &s.labels) > 0.99);
    assert_eq!(found.whole.len(), 1);
    assert_eq!(found.whole[0].0, 1);
}
