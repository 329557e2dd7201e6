//! Recovery benchmark: how well auto-K and the segmentation recover planted archetypes on a
//! family of generated shops (`seglens demo-data --family`), for every K-choice rule.
//!
//! `cargo bench --bench recovery` generates `SEGLENS_RECOVERY_SHOPS` shops (default 30; seeds
//! from `SEGLENS_RECOVERY_SEED`, default 1000) of 5k to 15k customers, runs the pipeline up to the
//! clustering matrix (with the real text model), and prints, per shop, the planted K, each rule's
//! K and ARI, and per rule the acceptance figures: median and 10th-percentile ARI, the share of
//! shops with |K - planted| <= 1, and the share of shops whose text-only pair came apart.
//! Shops and their clustering matrices are cached in `SEGLENS_RECOVERY_CACHE` (default
//! ~/.cache/seglens/recovery) so a rerun only re-clusters. The JSON of every figure goes to
//! `SEGLENS_RECOVERY_OUT` when set.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ndarray::Array2;
use seglens::config::Config;
use seglens::demo::{self, DemoOptions};
use seglens::pipeline::{self, SegmentRequest};
use seglens::recovery::{self, ShopOutcome, Truth};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cache_dir() -> PathBuf {
    std::env::var_os("SEGLENS_RECOVERY_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
            PathBuf::from(home).join(".cache/seglens/recovery")
        })
}

/// The matrix, row ids, truth and text-only pairs of one shop, cached on disk.
struct Prepared {
    x: Array2<f64>,
    truth: Truth,
    pairs: Vec<(usize, usize)>,
}

fn write_matrix(path: &Path, x: &Array2<f64>) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(&(x.nrows() as u64).to_le_bytes())?;
    f.write_all(&(x.ncols() as u64).to_le_bytes())?;
    for v in x.iter() {
        f.write_all(&v.to_le_bytes())?;
    }
    f.flush()
}

fn read_matrix(path: &Path) -> Option<Array2<f64>> {
    let mut b = Vec::new();
    std::fs::File::open(path).ok()?.read_to_end(&mut b).ok()?;
    let n = u64::from_le_bytes(b.get(0..8)?.try_into().ok()?) as usize;
    let p = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?) as usize;
    let vals: Vec<f64> = b
        .get(16..16 + n * p * 8)?
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    Array2::from_shape_vec((n, p), vals).ok()
}

fn prepare(seed: u64, customers: usize, cfg: &Config) -> Prepared {
    let dir = cache_dir().join(format!("shop-{seed}-{customers}"));
    let data = dir.join("data");
    let truth_path = dir.join("truth.csv");
    let spec_path = dir.join("family.json");
    let matrix_path = dir.join("matrix.bin");
    let ids_path = dir.join("ids.txt");
    if !spec_path.exists() {
        demo::generate_family(&DemoOptions {
            customers,
            seed,
            out: data.clone(),
            truth: Some(truth_path.clone()),
            events: true,
            reviews: true,
        })
        .expect("family shop");
    }
    let spec: demo::FamilySpec =
        serde_json::from_slice(&std::fs::read(&spec_path).expect("family.json")).expect("spec");
    let (x, ids) = match (
        read_matrix(&matrix_path),
        std::fs::read_to_string(&ids_path),
    ) {
        (Some(x), Ok(ids)) => (x, ids.lines().map(str::to_string).collect::<Vec<_>>()),
        _ => {
            let p = pipeline::prepare(
                &SegmentRequest {
                    data: data.clone(),
                    out: dir.join("run"),
                    config: cfg.clone(),
                },
                &|_| {},
            )
            .expect("pipeline");
            write_matrix(&matrix_path, &p.scaled.matrix).expect("matrix cache");
            std::fs::write(&ids_path, p.feats.customer_ids.join("\n")).expect("ids cache");
            (p.scaled.matrix, p.feats.customer_ids)
        }
    };
    let truth_map: HashMap<String, String> = recovery::read_truth(&truth_path).expect("truth.csv");
    let truth = Truth::align(&ids, &truth_map).expect("truth aligns");
    let pairs = spec
        .text_only_pairs
        .iter()
        .filter_map(|(a, b)| Some((truth.index(a)?, truth.index(b)?)))
        .collect();
    Prepared { x, truth, pairs }
}

fn main() {
    // `cargo bench` passes --bench; nothing else is read from the command line.
    let shops = env_usize("SEGLENS_RECOVERY_SHOPS", 30);
    let first = env_usize("SEGLENS_RECOVERY_SEED", 1000) as u64;
    let mut cfg = Config::default();
    if let Ok(v) = std::env::var("SEGLENS_RECOVERY_STABILITY_RUNS") {
        cfg.cluster.stability_runs = v.parse().unwrap_or(cfg.cluster.stability_runs);
    }
    let mut outcomes: Vec<ShopOutcome> = Vec::new();
    println!("shop  customers  planted  | rule: k ari ...");
    for i in 0..shops as u64 {
        let seed = first + i;
        let customers = 5_000 + (seed as usize * 7919 % 11) * 1_000;
        let p = prepare(seed, customers, &cfg);
        let t = std::time::Instant::now();
        let out = recovery::score_shop(&p.x, &p.truth, &p.pairs, &cfg.cluster, cfg.seed)
            .expect("clustering");
        let mut line = format!("{seed:>5} {customers:>9} {:>8}  |", out.planted_k);
        for r in &out.rules {
            let pairs: String = r
                .pairs_separated
                .iter()
                .map(|&b| if b { '+' } else { '-' })
                .collect();
            line.push_str(&format!(" {}:{}/{:.2}{pairs}", r.rule, r.k, r.ari));
        }
        line.push_str(&format!(
            "  segment {}/{:.2} leaves {}/{:.2}  ceiling {:.2} seeds {:.2} ({:.1}s)",
            out.pipeline.k,
            out.pipeline.ari,
            out.pipeline.leaves,
            out.pipeline.leaves_ari,
            out.centroid_ceiling,
            out.seed_stability.unwrap_or(f64::NAN),
            t.elapsed().as_secs_f64()
        ));
        println!("{line}");
        let stab: Vec<String> = out
            .table
            .iter()
            .zip(&out.ari_by_k)
            .map(|(r, a)| {
                format!(
                    "k{} ari {:.2} sil {:.3} stab {:.2}±{:.2} ps {:.2} bic {:.0}",
                    r.k,
                    a,
                    r.silhouette.unwrap_or(f64::NAN),
                    r.stability.unwrap_or(f64::NAN),
                    r.stability_se.unwrap_or(f64::NAN),
                    r.prediction_strength.unwrap_or(f64::NAN),
                    r.bic.unwrap_or(f64::NAN)
                )
            })
            .collect();
        if std::env::var_os("SEGLENS_RECOVERY_VERBOSE").is_some() {
            for s in stab {
                println!("        {s}");
            }
        }
        outcomes.push(out);
        // Written after every shop, so an interrupted run still leaves its figures.
        write_out(&outcomes);
    }
    println!();
    println!(
        "{:<22} {:>6} {:>10} {:>8} {:>12} {:>15}",
        "rule", "shops", "median ARI", "p10 ARI", "|dK|<=1", "text pair apart"
    );
    let summary = recovery::summarise(&outcomes);
    for s in &summary {
        println!(
            "{:<22} {:>6} {:>10.3} {:>8.3} {:>11.0}% {:>15}",
            s.rule,
            s.shops,
            s.median_ari,
            s.p10_ari,
            100.0 * s.k_within_one,
            s.pairs_separated
                .map_or("-".to_string(), |v| format!("{:.0}%", 100.0 * v))
        );
    }
    let best: Vec<f64> = outcomes
        .iter()
        .map(|o| o.ari_by_k.iter().copied().fold(f64::NAN, f64::max))
        .collect();
    let ceiling: Vec<f64> = outcomes.iter().map(|o| o.centroid_ceiling).collect();
    println!(
        "{:<22} {:>6} {:>10.3} {:>8.3}   (best candidate K per shop, by ARI)",
        "oracle K",
        best.len(),
        recovery::quantile(&best, 0.5),
        recovery::quantile(&best, 0.1)
    );
    println!(
        "{:<22} {:>6} {:>10.3} {:>8.3}   (nearest planted centre: what the space separates)",
        "ceiling",
        ceiling.len(),
        recovery::quantile(&ceiling, 0.5),
        recovery::quantile(&ceiling, 0.1)
    );
    for (name, f) in [
        (
            "segment (all rows)",
            (|o: &ShopOutcome| (o.pipeline.k, o.pipeline.ari)) as fn(&ShopOutcome) -> (usize, f64),
        ),
        ("segment + sub-segments", |o: &ShopOutcome| {
            (o.pipeline.leaves, o.pipeline.leaves_ari)
        }),
    ] {
        let aris: Vec<f64> = outcomes.iter().map(|o| f(o).1).collect();
        let near = outcomes
            .iter()
            .filter(|o| f(o).0.abs_diff(o.planted_k) <= 1)
            .count();
        println!(
            "{:<22} {:>6} {:>10.3} {:>8.3} {:>11.0}%   (the pipeline itself; K = segments or leaves)",
            name,
            aris.len(),
            recovery::quantile(&aris, 0.5),
            recovery::quantile(&aris, 0.1),
            100.0 * near as f64 / outcomes.len().max(1) as f64
        );
    }
    let seeds: Vec<f64> = outcomes.iter().filter_map(|o| o.seed_stability).collect();
    println!(
        "stability across seeds (default rule): median {:.3}, min {:.3} over {} shops",
        recovery::quantile(&seeds, 0.5),
        seeds.iter().copied().fold(f64::INFINITY, f64::min),
        seeds.len()
    );
    write_out(&outcomes);
}

/// The figures of every shop scored so far, with their summary, to `SEGLENS_RECOVERY_OUT`.
fn write_out(outcomes: &[ShopOutcome]) {
    if let Some(path) = std::env::var_os("SEGLENS_RECOVERY_OUT") {
        let summary = recovery::summarise(outcomes);
        let json = serde_json::json!({ "shops": outcomes, "summary": summary });
        std::fs::write(path, serde_json::to_vec_pretty(&json).unwrap_or_default())
            .expect("write SEGLENS_RECOVERY_OUT");
    }
}
