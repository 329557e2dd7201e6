//! Segmenting customers: k-means (own Lloyd on blocked matrix products, [`kmeans`]), GMM and
//! DBSCAN through linfa, Ward ([`ward`]), automatic choice of K with quality figures per K, soft
//! membership, stable segment numbering, and the 2-D map projection.
//!
//! Large inputs are searched on a seeded sample (`cluster.search_sample`) and the chosen model is
//! then refined on every customer, so auto-K costs the same at 50k and at 5M customers.

mod kmeans;
pub mod metrics;
pub mod pca;
pub mod select;
pub mod sub;
pub mod ward;

use linfa::traits::{Fit, Transformer};
use linfa::DatasetBase;
use linfa_clustering::{Dbscan, GaussianMixtureModel, GmmInitMethod};
use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{Algo, ClusterConfig, KChoice};
use kmeans::fit_kmeans;
pub use metrics::adjusted_rand_index;
pub use pca::{pca_2d, Projection};

/// Why clustering could not produce segments, and what to change.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "only {n} customers: at least {need} are needed for {k} segments; lower --k or add data"
    )]
    TooFew { n: usize, k: usize, need: usize },
    #[error("no features to cluster on: every feature has weight 0 in [features.weights]; give at least one a weight above 0")]
    NoFeatures,
    #[error("k-means failed for k={k}: {message}")]
    KMeans { k: usize, message: String },
    #[error("GMM failed for k={k}: {message}; try --algo kmeans, or raise cluster.gmm_reg in the config")]
    Gmm { k: usize, message: String },
    #[error("DBSCAN failed: {message}")]
    Dbscan { message: String },
    #[error("DBSCAN found no dense groups (eps = {eps:.3}, min points = {min_points}); raise cluster.dbscan_eps or lower cluster.dbscan_min_points")]
    DbscanEmpty { eps: f64, min_points: usize },
}

/// Quality figures of one K (or of the final segmentation).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KScore {
    pub k: usize,
    /// Mean silhouette on a seeded sample (-1..1, higher is better).
    pub silhouette: Option<f64>,
    /// Calinski-Harabasz index (higher is better).
    pub calinski_harabasz: Option<f64>,
    /// Davies-Bouldin index (lower is better).
    pub davies_bouldin: Option<f64>,
    /// Mean ARI between fits on disjoint seeded halves of the search sample (1 = perfectly
    /// reproducible).
    pub stability: Option<f64>,
    /// Standard error of `stability` over the resampling pairs.
    pub stability_se: Option<f64>,
    /// Mean prediction strength over the resampling pairs (Tibshirani & Walther 2005).
    pub prediction_strength: Option<f64>,
    /// BIC of a spherical Gaussian mixture read off the partition (lower is better).
    pub bic: Option<f64>,
    /// Mean squared distance to the own centre (k-means objective per customer).
    pub inertia: Option<f64>,
    pub chosen: bool,
}

/// The result of clustering all customers.
#[derive(Debug, Clone)]
pub struct Clustering {
    pub algo: Algo,
    /// Number of segments (DBSCAN noise is not counted).
    pub k: usize,
    /// Segment per customer, numbered by size (0 = largest); -1 marks DBSCAN noise.
    pub labels: Vec<i32>,
    /// Segment centres in the scaled feature space (k x features).
    pub centroids: Array2<f64>,
    /// p(segment | customer), customers x k.
    pub probabilities: Array2<f64>,
    /// The temperature T of the soft membership (k-means and DBSCAN).
    pub temperature: Option<f64>,
    /// Quality per candidate K (one row when K was fixed).
    pub k_table: Vec<KScore>,
    /// Quality of the final segmentation (silhouette on a sample of all customers).
    pub quality: KScore,
    /// How K was chosen, in words, for the report.
    pub k_rule: String,
    pub search_sample: usize,
    pub silhouette_sample: usize,
    /// Mean ARI between this segmentation and refits of the same K with other seeds, each on its
    /// own search sample (`cluster.seed_runs`); None when off or for DBSCAN.
    pub seed_stability: Option<f64>,
    /// How many refits `seed_stability` averages.
    pub seed_runs: usize,
    /// How sure the choice of K is, in words ("K = 9; K = 10 nearly as good; ..."); empty when K
    /// was fixed.
    pub k_verdict: String,
    /// Sub-segment of each customer inside its segment (-1 where the segment was not split);
    /// empty when sub-segments were not searched.
    pub subsegments: Vec<i32>,
    /// Things the user should know about the result (fewer segments than asked, one dominant
    /// DBSCAN cluster), also written to run.json as warnings.
    pub notes: Vec<String>,
}

/// Rows of the per-K silhouette during the search (quadratic cost); the final segmentation's
/// silhouette uses `cluster.silhouette_sample`.
const SEARCH_SILHOUETTE_ROWS: usize = 5_000;

/// Documented rule for auto-K.
pub const K_RULE: &str =
    "the K with the highest silhouette among the stable Ks (stability >= 0.8; \
all Ks when none is stable); equal silhouettes go to the smaller K. Calinski-Harabasz and \
Davies-Bouldin are reported beside it for judgement";

/// Segments the scaled matrix `x` according to `cfg`.
pub fn cluster(
    x: &Array2<f64>,
    cfg: &ClusterConfig,
    seed: u64,
    progress: &dyn Fn(&str),
) -> Result<Clustering, ClusterError> {
    let n = x.nrows();
    if x.ncols() == 0 {
        return Err(ClusterError::NoFeatures);
    }
    let search_idx = sample_indices(n, cfg.search_sample, seed);
    let xs = x.select(Axis(0), &search_idx);
    let sil_idx = sample_indices(
        xs.nrows(),
        cfg.silhouette_sample.min(SEARCH_SILHOUETTE_ROWS),
        seed ^ 0x5111,
    );

    if cfg.algo == Algo::Dbscan {
        return dbscan(x, &xs, &search_idx, cfg, seed);
    }

    let candidates: Vec<usize> = match cfg.k {
        KChoice::Fixed(k) => vec![k],
        KChoice::Auto => (cfg.k_min..=cfg.k_max).collect(),
    };
    let k_first = candidates.first().copied().unwrap_or(2);
    if xs.nrows() < 2 * k_first.max(2) {
        return Err(ClusterError::TooFew {
            n,
            k: k_first,
            need: 2 * k_first.max(2),
        });
    }
    let candidates: Vec<usize> = candidates
        .into_iter()
        .filter(|&k| k * 2 <= xs.nrows())
        .collect();

    let (mut table, mut fits) = search_fits(&xs, &sil_idx, &candidates, cfg, seed, progress)?;
    let best = choose_k(&table);
    table[best].chosen = true;
    let k = table[best].k;
    let sample_fit = fits.swap_remove(best);

    // Refine on every customer, starting from the sample's solution.
    progress(&format!("assigning {n} customers to {k} segments"));
    let (centroids, probabilities, temperature) = if search_idx.len() == n {
        (
            sample_fit.centroids,
            sample_fit.probabilities,
            sample_fit.temperature,
        )
    } else {
        let full = refine(cfg.algo, x.view(), &sample_fit, cfg, seed)?;
        (full.centroids, full.probabilities, full.temperature)
    };
    let raw: Vec<Option<usize>> = argmax_rows(&probabilities).into_iter().map(Some).collect();
    let order = size_order(raw.iter().flatten().copied(), k);
    let (labels, centroids, probabilities) = renumber(&raw, &order, &centroids, &probabilities);
    let asked = centroids.nrows();
    let (k, centroids, probabilities) = drop_empty(&labels, centroids, probabilities);
    let mut notes = Vec::new();
    if k < asked {
        notes.push(format!(
            "only {k} of the {asked} segments received customers: the customers' features do not \
             separate further"
        ));
    }
    let labels_u: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    let quality = final_quality(x, &labels_u, k, cfg, seed, table[best].stability);
    if cfg.seed_runs > 0 {
        progress(&format!(
            "refitting k={k} with {} other seeds",
            cfg.seed_runs
        ));
    }
    let seed_stability = seed_stability(x, &labels_u, k, cfg, seed)?;
    let k_verdict = match cfg.k {
        KChoice::Auto => select::verdict(select::DEFAULT_RULE, &table, best),
        KChoice::Fixed(_) => String::new(),
    };

    Ok(Clustering {
        algo: cfg.algo,
        k,
        labels,
        centroids,
        probabilities,
        temperature,
        k_table: table,
        quality,
        k_rule: match cfg.k {
            KChoice::Auto => K_RULE.to_string(),
            KChoice::Fixed(k) => format!("fixed by the user (k = {k})"),
        },
        search_sample: search_idx.len(),
        silhouette_sample: cfg.silhouette_sample.min(n),
        seed_stability,
        seed_runs: cfg.seed_runs,
        k_verdict,
        subsegments: Vec::new(),
        notes,
    })
}

/// Rows on which seed runs are compared.
const SEED_EVAL_ROWS: usize = 20_000;
/// Rows each seed run is fitted on.
const SEED_FIT_ROWS: usize = 10_000;

/// Mean ARI between `labels` and the same K refitted with `cfg.seed_runs` other seeds, each on its
/// own seeded sample (at most [`SEED_FIT_ROWS`] rows), compared on a seeded sample of
/// customers: how much of the segmentation is the seed's doing.
pub fn seed_stability(
    x: &Array2<f64>,
    labels: &[usize],
    k: usize,
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<Option<f64>, ClusterError> {
    if cfg.seed_runs == 0 || k < 2 {
        return Ok(None);
    }
    let eval = sample_indices(x.nrows(), SEED_EVAL_ROWS, seed ^ 0x5EED);
    let xe = x.select(Axis(0), &eval);
    let base: Vec<usize> = eval.iter().map(|&i| labels[i]).collect();
    let mut total = 0.0;
    for r in 1..=cfg.seed_runs as u64 {
        let s = seed.wrapping_add(r.wrapping_mul(0x9E37_79B9));
        let idx = sample_indices(x.nrows(), cfg.search_sample.min(SEED_FIT_ROWS), s);
        let xs = x.select(Axis(0), &idx);
        let fit = fit_model(cfg.algo, xs.view(), k, cfg, s)?;
        let other = match &fit.gmm {
            Some(model) => argmax_rows(&gmm_posterior(model, xe.view())),
            None => argmin_rows(&sq_distances(xe.view(), &fit.centroids)),
        };
        total += adjusted_rand_index(&base, &other);
    }
    Ok(Some(total / cfg.seed_runs as f64))
}

/// A fitted model on some rows.
struct Model {
    centroids: Array2<f64>,
    probabilities: Array2<f64>,
    labels: Vec<usize>,
    temperature: Option<f64>,
    inertia: Option<f64>,
    gmm: Option<GaussianMixtureModel<f64>>,
}

fn fit_model(
    algo: Algo,
    x: ArrayView2<f64>,
    k: usize,
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<Model, ClusterError> {
    match algo {
        Algo::Gmm => fit_gmm(x, k, cfg, seed),
        Algo::Ward => Ok(fit_ward(x, &[k], cfg, seed).swap_remove(0)),
        _ => fit_kmeans(x, k, cfg.n_init, cfg, seed, None),
    }
}

/// Rows the Ward tree is built on (O(n^2) memory and time: about 1 s and 64 MB at 4,000).
pub const WARD_ROWS: usize = 4_000;

/// Ward's agglomerative clustering on a seeded sample of at most [`WARD_ROWS`] rows of `x`, cut
/// at each of `ks`; every row of `x` then joins the nearest merged centre. One tree serves every K.
fn fit_ward(x: ArrayView2<f64>, ks: &[usize], cfg: &ClusterConfig, seed: u64) -> Vec<Model> {
    let idx = sample_indices(x.nrows(), WARD_ROWS, seed ^ 0x3A7D);
    let xs = x.select(Axis(0), &idx);
    let merges = ward::ward_linkage(xs.view(), &vec![1.0; xs.nrows()]);
    ks.iter()
        .map(|&k| {
            let cut = ward::cut(&merges, xs.nrows(), k);
            let live = cut.iter().max().map_or(1, |m| m + 1);
            let (centroids, _) = metrics::centroids(xs.view(), &cut, live);
            assign_nearest(x, &centroids, cfg)
        })
        .collect()
}

fn fit_gmm(
    x: ArrayView2<f64>,
    k: usize,
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<Model, ClusterError> {
    let ds = DatasetBase::from(x.to_owned());
    let rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(k as u64 * 104_729));
    let model = GaussianMixtureModel::params_with_rng(k, rng)
        .n_runs(cfg.n_init.max(1) as u64)
        .max_n_iterations(cfg.max_iter.max(1))
        .tolerance(cfg.tolerance)
        .reg_covariance(cfg.gmm_reg)
        .init_method(GmmInitMethod::KMeans)
        .fit(&ds)
        .map_err(|e| ClusterError::Gmm {
            k,
            message: e.to_string(),
        })?;
    let probabilities = gmm_posterior(&model, x);
    let labels = argmax_rows(&probabilities);
    Ok(Model {
        centroids: model.means().clone(),
        probabilities,
        labels,
        temperature: None,
        inertia: None,
        gmm: Some(model),
    })
}

/// Re-fits the sample's solution on all rows: k-means from the sample's centres; GMM posteriors of
/// the sample's mixture.
fn refine(
    algo: Algo,
    x: ArrayView2<f64>,
    fit: &Model,
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<Model, ClusterError> {
    match (&fit.gmm, algo) {
        (Some(model), Algo::Gmm) => {
            let probabilities = gmm_posterior(model, x);
            let labels = argmax_rows(&probabilities);
            Ok(Model {
                centroids: model.means().clone(),
                probabilities,
                labels,
                temperature: None,
                inertia: None,
                gmm: None,
            })
        }
        (_, Algo::Ward) => Ok(assign_nearest(x, &fit.centroids, cfg)),
        _ => fit_kmeans(
            x,
            fit.centroids.nrows(),
            1,
            cfg,
            seed,
            Some(fit.centroids.clone()),
        ),
    }
}

/// Every row of `x` joins its nearest centre: the model of k-means' final centres, and of the Ward
/// tree's merged centres (no k-means moves).
fn assign_nearest(x: ArrayView2<f64>, centroids: &Array2<f64>, cfg: &ClusterConfig) -> Model {
    let d2 = sq_distances(x, centroids);
    let labels = argmin_rows(&d2);
    let inertia = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| d2[[i, l]])
        .sum::<f64>()
        / x.nrows().max(1) as f64;
    let (probabilities, t) = soft_membership(&d2, &labels, cfg.temperature_scale);
    Model {
        centroids: centroids.clone(),
        probabilities,
        labels,
        temperature: Some(t),
        inertia: Some(inertia),
        gmm: None,
    }
}

/// Fits every candidate K on the search sample and scores it: silhouette (on `sil_idx`), CH, DB,
/// BIC, and stability and prediction strength over `cfg.stability_runs` resampling pairs.
fn search_fits(
    xs: &Array2<f64>,
    sil_idx: &[usize],
    candidates: &[usize],
    cfg: &ClusterConfig,
    seed: u64,
    progress: &dyn Fn(&str),
) -> Result<(Vec<KScore>, Vec<Model>), ClusterError> {
    let xsil = xs.select(Axis(0), sil_idx);
    let mut table = Vec::with_capacity(candidates.len());
    let mut fits = Vec::with_capacity(candidates.len());
    // One Ward tree answers every K.
    let mut ward_fits =
        (cfg.algo == Algo::Ward).then(|| fit_ward(xs.view(), candidates, cfg, seed).into_iter());
    for (i, &k) in candidates.iter().enumerate() {
        progress(&format!(
            "fitting k={k} on {} customers ({} of {})",
            xs.nrows(),
            i + 1,
            candidates.len()
        ));
        let fit = match ward_fits.as_mut().and_then(Iterator::next) {
            Some(f) => f,
            None => fit_model(cfg.algo, xs.view(), k, cfg, seed)?,
        };
        let lsil: Vec<usize> = sil_idx.iter().map(|&i| fit.labels[i]).collect();
        table.push(KScore {
            k,
            silhouette: metrics::silhouette(xsil.view(), &lsil, k),
            calinski_harabasz: metrics::calinski_harabasz(xs.view(), &fit.labels, k),
            davies_bouldin: metrics::davies_bouldin(xs.view(), &fit.labels, k),
            stability: None,
            stability_se: None,
            prediction_strength: None,
            bic: select::spherical_bic(xs.view(), &fit.labels, k),
            inertia: fit.inertia,
            chosen: false,
        });
        fits.push(fit);
    }
    if cfg.stability_runs > 0 {
        progress(&format!(
            "checking how reproducible each k is ({} resampling pairs)",
            cfg.stability_runs
        ));
        let n_init = (cfg.n_init / 5).max(1);
        let algo = cfg.algo;
        let resampled =
            select::resample(xs, candidates, cfg.stability_runs, seed, |rows, ks, s| {
                ks.iter()
                    .map(|&k| {
                        let fit = match algo {
                            Algo::Gmm => fit_gmm(rows, k, cfg, s),
                            _ => fit_kmeans(rows, k, n_init, cfg, s, None),
                        };
                        fit.ok().map(|m| m.centroids)
                    })
                    .collect()
            });
        for (row, r) in table.iter_mut().zip(resampled) {
            if r.stability.is_empty() {
                continue;
            }
            let (m, se) = select::mean_se(&r.stability);
            row.stability = Some(m);
            row.stability_se = se.is_finite().then_some(se);
            row.prediction_strength = Some(select::mean_se(&r.prediction_strength).0);
        }
    }
    Ok((table, fits))
}

/// The search sample's row indices, the per-K table, and each candidate K's labels of those rows.
pub type SearchTable = (Vec<usize>, Vec<KScore>, Vec<Vec<usize>>);

/// Per-K figures and labels of the search sample, for the recovery benchmark: the same fits
/// auto-K chooses from, so each rule in [`select::RULES`] can be scored against planted truth.
pub fn search_table(
    x: &Array2<f64>,
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<SearchTable, ClusterError> {
    let search_idx = sample_indices(x.nrows(), cfg.search_sample, seed);
    let xs = x.select(Axis(0), &search_idx);
    let sil_idx = sample_indices(
        xs.nrows(),
        cfg.silhouette_sample.min(SEARCH_SILHOUETTE_ROWS),
        seed ^ 0x5111,
    );
    let candidates: Vec<usize> = (cfg.k_min..=cfg.k_max)
        .filter(|&k| k * 2 <= xs.nrows())
        .collect();
    let (table, fits) = search_fits(&xs, &sil_idx, &candidates, cfg, seed, &|_| {})?;
    Ok((
        search_idx,
        table,
        fits.into_iter().map(|f| f.labels).collect(),
    ))
}

/// Picks the index of the winning K by the documented rule ([`K_RULE`]).
pub fn choose_k(table: &[KScore]) -> usize {
    select::DEFAULT_RULE.choose(table)
}

/// Silhouette, CH and DB of the final labels on all customers (silhouette on a sample).
fn final_quality(
    x: &Array2<f64>,
    labels: &[usize],
    k: usize,
    cfg: &ClusterConfig,
    seed: u64,
    stability: Option<f64>,
) -> KScore {
    let idx = sample_indices(x.nrows(), cfg.silhouette_sample, seed ^ 0xF1A1);
    let xs = x.select(Axis(0), &idx);
    let ls: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
    let (c, _) = metrics::centroids(x.view(), labels, k);
    let inertia = labels
        .iter()
        .zip(x.rows())
        .map(|(&l, r)| metrics::sq_dist(r, c.row(l)))
        .sum::<f64>()
        / x.nrows().max(1) as f64;
    KScore {
        k,
        silhouette: metrics::silhouette(xs.view(), &ls, k),
        calinski_harabasz: metrics::calinski_harabasz(x.view(), labels, k),
        davies_bouldin: metrics::davies_bouldin(x.view(), labels, k),
        stability,
        stability_se: None,
        prediction_strength: None,
        bic: None,
        inertia: Some(inertia),
        chosen: true,
    }
}

/// DBSCAN on the search sample; customers outside the sample join the nearest cluster when they lie
/// within that cluster's radius (its farthest sampled member), else they are noise.
fn dbscan(
    x: &Array2<f64>,
    xs: &Array2<f64>,
    search_idx: &[usize],
    cfg: &ClusterConfig,
    seed: u64,
) -> Result<Clustering, ClusterError> {
    let eps = if cfg.dbscan_eps > 0.0 {
        cfg.dbscan_eps
    } else {
        estimate_eps(xs, cfg.dbscan_min_points, seed)
    };
    let found = Dbscan::params(cfg.dbscan_min_points.max(2))
        .tolerance(eps)
        .transform(xs)
        .map_err(|e| ClusterError::Dbscan {
            message: e.to_string(),
        })?;
    let k = found.iter().flatten().max().map_or(0, |m| m + 1);
    if k == 0 {
        return Err(ClusterError::DbscanEmpty {
            eps,
            min_points: cfg.dbscan_min_points,
        });
    }
    let sample_labels: Vec<usize> = found.iter().map(|l| l.unwrap_or(k)).collect();
    // Cluster centres (noise excluded) and each cluster's radius (max member distance).
    let (c_all, _) = metrics::centroids(xs.view(), &sample_labels, k + 1);
    let centroids = c_all.slice(ndarray::s![..k, ..]).to_owned();
    let mut radius = vec![0.0f64; k];
    for (r, &l) in xs.rows().into_iter().zip(&sample_labels) {
        if l < k {
            radius[l] = radius[l].max(metrics::sq_dist(r, centroids.row(l)));
        }
    }
    let d2 = sq_distances(x.view(), &centroids);
    let nearest = argmin_rows(&d2);
    let mut in_sample = vec![None; x.nrows()];
    for (pos, &i) in search_idx.iter().enumerate() {
        in_sample[i] = Some(sample_labels[pos]);
    }
    let raw: Vec<Option<usize>> = (0..x.nrows())
        .map(|i| match in_sample[i] {
            Some(l) if l < k => Some(l),
            Some(_) => None,
            None => (d2[[i, nearest[i]]] <= radius[nearest[i]]).then_some(nearest[i]),
        })
        .collect();
    let (probabilities, t) = soft_membership(&d2, &nearest, cfg.temperature_scale);
    let order = size_order(raw.iter().flatten().copied(), k);
    let (labels, centroids, probabilities) = renumber(&raw, &order, &centroids, &probabilities);
    let members: Vec<usize> = (0..x.nrows()).filter(|&i| labels[i] >= 0).collect();
    let xm = x.select(Axis(0), &members);
    let lm: Vec<usize> = members.iter().map(|&i| labels[i] as usize).collect();
    let mut quality = final_quality(&xm, &lm, k, cfg, seed, None);
    quality.inertia = None;
    let mut notes = Vec::new();
    let largest = lm.iter().filter(|&&l| l == 0).count();
    if largest as f64 > 0.9 * x.nrows() as f64 {
        notes.push(format!(
            "DBSCAN put {largest} of {} customers in one segment (eps = {eps:.3}); lower \
             cluster.dbscan_eps or use --algo kmeans",
            x.nrows()
        ));
    }
    Ok(Clustering {
        algo: Algo::Dbscan,
        k,
        labels,
        centroids,
        probabilities,
        temperature: Some(t),
        k_table: vec![quality.clone()],
        quality,
        k_rule: format!(
            "DBSCAN finds its own number of segments (eps = {eps:.3}, min points = {}); noise is segment -1",
            cfg.dbscan_min_points
        ),
        search_sample: search_idx.len(),
        silhouette_sample: cfg.silhouette_sample.min(x.nrows()),
        seed_stability: None,
        seed_runs: 0,
        k_verdict: String::new(),
        subsegments: Vec::new(),
        notes,
    })
}

/// The median of each sampled point's distance to its `min_points`-th neighbour: half of the
/// customers are then core points of a dense neighbourhood.
fn estimate_eps(xs: &Array2<f64>, min_points: usize, seed: u64) -> f64 {
    let idx = sample_indices(xs.nrows(), 2000, seed ^ 0xE95);
    let s = xs.select(Axis(0), &idx);
    let kth = min_points.clamp(1, s.nrows().saturating_sub(1).max(1));
    let mut d: Vec<f64> = (0..s.nrows())
        .into_par_iter()
        .map(|i| {
            let mut row: Vec<f64> = (0..s.nrows())
                .filter(|&j| j != i)
                .map(|j| metrics::sq_dist(s.row(i), s.row(j)))
                .collect();
            row.sort_by(f64::total_cmp);
            row.get(kth - 1).copied().unwrap_or(0.0).sqrt()
        })
        .collect();
    d.sort_by(f64::total_cmp);
    d.get(d.len() / 2).copied().unwrap_or(1.0).max(1e-6)
}

/// Seeded sample of `min(m, n)` row indices, sorted (all rows when n <= m).
pub fn sample_indices(n: usize, m: usize, seed: u64) -> Vec<usize> {
    if n <= m {
        return (0..n).collect();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v = rand::seq::index::sample(&mut rng, n, m).into_vec();
    v.sort_unstable();
    v
}

/// Squared distances of every row to every centre (rows x k), in parallel.
pub fn sq_distances(x: ArrayView2<f64>, centroids: &Array2<f64>) -> Array2<f64> {
    let k = centroids.nrows();
    let blocks = kmeans::for_blocks(x, centroids, |lo, xb, gram, cn| {
        let mut out = Array2::<f64>::zeros((xb.nrows(), k));
        for ((mut o, dots), r) in out.rows_mut().into_iter().zip(gram.rows()).zip(xb.rows()) {
            let xn = r.dot(&r);
            for ((o, &g), &c) in o.iter_mut().zip(dots).zip(cn) {
                *o = (xn + c - 2.0 * g).max(0.0);
            }
        }
        (lo, out)
    });
    let mut out = Array2::<f64>::zeros((x.nrows(), k));
    for (lo, b) in blocks {
        out.slice_mut(ndarray::s![lo..lo + b.nrows(), ..])
            .assign(&b);
    }
    out
}

fn argmin_rows(d: &Array2<f64>) -> Vec<usize> {
    d.rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |(bi, bv), (i, &v)| {
                        if v < bv {
                            (i, v)
                        } else {
                            (bi, bv)
                        }
                    },
                )
                .0
        })
        .collect()
}

fn argmax_rows(p: &Array2<f64>) -> Vec<usize> {
    p.rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv {
                        (i, v)
                    } else {
                        (bi, bv)
                    }
                })
                .0
        })
        .collect()
}

/// p(k|x) = softmax(-d²(x, mu_k) / T) with T = scale x mean squared distance to the own centre,
/// so the softness does not depend on the units of the feature space.
pub fn soft_membership(d2: &Array2<f64>, labels: &[usize], scale: f64) -> (Array2<f64>, f64) {
    let n = d2.nrows().max(1) as f64;
    let mean_own = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| d2[[i, l]])
        .sum::<f64>()
        / n;
    let t = (scale * mean_own).max(1e-9);
    let mut p = d2.mapv(|v| -v / t);
    for mut row in p.rows_mut() {
        let m = row.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        row.mapv_inplace(|v| (v - m).exp());
        let s = row.sum();
        row /= s;
    }
    (p, t)
}

/// GMM posterior p(k|x) from the fitted mixture's weights, means and precisions.
fn gmm_posterior(model: &GaussianMixtureModel<f64>, x: ArrayView2<f64>) -> Array2<f64> {
    let k = model.means().nrows();
    let p = model.means().ncols();
    let log_w: Vec<f64> = model.weights().iter().map(|w| w.max(1e-300).ln()).collect();
    // log|P_k| via Cholesky of each precision matrix.
    let comps: Vec<(Array2<f64>, f64)> = (0..k)
        .map(|c| {
            let prec = model.precisions().index_axis(Axis(0), c).to_owned();
            let logdet = cholesky_logdet(&prec).unwrap_or(0.0);
            (prec, logdet)
        })
        .collect();
    let means = model.means();
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let mut out = Array2::<f64>::zeros((x.nrows(), k));
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(x.axis_iter(Axis(0)).into_par_iter())
        .for_each(|(mut o, r)| {
            for c in 0..k {
                let diff = &r - &means.row(c);
                let maha = diff.dot(&comps[c].0.dot(&diff));
                o[c] = log_w[c] + 0.5 * comps[c].1 - 0.5 * (p as f64 * ln2pi + maha);
            }
            let m = o.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            o.mapv_inplace(|v| (v - m).exp());
            let s = o.sum();
            o /= s;
        });
    out
}

/// log determinant of a symmetric positive definite matrix.
fn cholesky_logdet(a: &Array2<f64>) -> Option<f64> {
    let l = sub::cholesky(a)?;
    Some(2.0 * (0..l.nrows()).map(|i| l[[i, i]].ln()).sum::<f64>())
}

/// Segment order by size (largest first, ties by old id): `order[new] = old`.
fn size_order(labels: impl Iterator<Item = usize>, k: usize) -> Vec<usize> {
    let mut sizes = vec![0usize; k];
    for l in labels {
        sizes[l] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    order
}

/// Removes segments nobody was assigned to (they sort last after [`renumber`]), renormalising the
/// probabilities: customers that cannot be told apart give fewer segments than asked for.
fn drop_empty(
    labels: &[i32],
    centroids: Array2<f64>,
    probabilities: Array2<f64>,
) -> (usize, Array2<f64>, Array2<f64>) {
    let live = labels.iter().copied().max().map_or(0, |m| (m + 1) as usize);
    if live == centroids.nrows() || live == 0 {
        return (centroids.nrows(), centroids, probabilities);
    }
    let c = centroids.slice(ndarray::s![..live, ..]).to_owned();
    let mut p = probabilities.slice(ndarray::s![.., ..live]).to_owned();
    for mut row in p.rows_mut() {
        let s = row.sum();
        if s > 0.0 {
            row /= s;
        }
    }
    (live, c, p)
}

/// Applies a size order to labels (None = noise, -1), centres and probability columns.
fn renumber(
    labels: &[Option<usize>],
    order: &[usize],
    centroids: &Array2<f64>,
    probabilities: &Array2<f64>,
) -> (Vec<i32>, Array2<f64>, Array2<f64>) {
    let mut new_of = vec![0i32; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_of[old] = new as i32;
    }
    (
        labels.iter().map(|l| l.map_or(-1, |l| new_of[l])).collect(),
        centroids.select(Axis(0), order),
        probabilities.select(Axis(1), order),
    )
}

#[cfg(test)]
mod tests;
