//! Run outputs: `assignments.parquet`, `features.parquet`, `segments.json`, `run.json`, and the
//! plain-text summary table printed at the end of a run.
//!
//! All files of a run are written to temporary files first and renamed into place together at the
//! end (run.json last), so an interrupted or failed run never leaves partial outputs next to, or in
//! place of, an earlier good run.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use crate::cluster::{Clustering, KScore, Projection};
use crate::config::Config;
use crate::data::InputFile;
use crate::features::{Features, Scaled};
use crate::profile::Profiles;
use crate::util::AtomicFile;

pub mod personas;

/// File names inside a run directory.
pub const ASSIGNMENTS: &str = "assignments.parquet";
pub const FEATURES: &str = "features.parquet";
pub const SEGMENTS: &str = "segments.json";
pub const RUN: &str = "run.json";

/// Errors writing outputs.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}; check that --out is writable and the disk has space")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode {path}: {message}")]
    Encode { path: PathBuf, message: String },
}

/// One scaled feature as used for clustering, for `run.json`.
#[derive(Debug, Clone, Serialize)]
pub struct UsedFeature {
    pub name: String,
    pub center: f64,
    pub scale: f64,
    pub weight: f64,
}

/// Wall time per stage in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub load_ms: u128,
    pub features_ms: u128,
    /// Reading texts: embedding, sentiment, the text block.
    pub text_ms: u128,
    pub cluster_ms: u128,
    /// Searching every segment for sub-segments and profiling them.
    #[serde(default)]
    pub subsegment_ms: u128,
    pub project_ms: u128,
    pub profile_ms: u128,
    pub write_ms: u128,
    pub total_ms: u128,
}

/// What `run.json` records: inputs, settings, versions, the per-K table, timings.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub seglens_version: String,
    pub polars_version: String,
    pub seed: u64,
    pub data_dir: PathBuf,
    pub inputs: Vec<InputFile>,
    pub config: Config,
    pub as_of: String,
    pub customers: usize,
    pub features_used: Vec<UsedFeature>,
    pub algo: String,
    pub k: usize,
    pub k_rule: String,
    pub k_table: Vec<KScore>,
    /// How sure the choice of K is, in words.
    pub k_verdict: String,
    /// Mean ARI between the segmentation and refits with other seeds (`cluster.seed_runs`).
    pub seed_stability: Option<f64>,
    pub quality: KScore,
    pub temperature: Option<f64>,
    pub search_sample: usize,
    pub silhouette_sample: usize,
    pub projection_explained: [f64; 2],
    pub warnings: Vec<String>,
    /// The text stage, when it ran.
    pub text: Option<crate::text::TextSummary>,
    pub timings: Timings,
}

impl RunInfo {
    pub fn used_features(scaled: &Scaled) -> Vec<UsedFeature> {
        (0..scaled.names.len())
            .map(|j| UsedFeature {
                name: scaled.names[j].clone(),
                center: scaled.center[j],
                scale: scaled.scale[j],
                weight: scaled.weights[j],
            })
            .collect()
    }
}

/// Everything a run writes.
pub struct RunOutputs<'a> {
    pub features: &'a Features,
    pub customers: &'a DataFrame,
    pub clustering: &'a Clustering,
    pub projection: &'a Projection,
    pub profiles: &'a Profiles,
}

/// Writes every output of a run into `out` (created if needed); `finish` is called just before the
/// files are renamed into place so that `run.json` can carry the write timing.
pub fn write_run(
    out: &Path,
    outputs: &RunOutputs<'_>,
    info: impl FnOnce() -> RunInfo,
) -> Result<(), ReportError> {
    std::fs::create_dir_all(out).map_err(|source| ReportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    remove_stale_temp_files(out);
    let mut staged = Vec::new();

    let mut assignments =
        assignments_frame(outputs.features, outputs.clustering, outputs.projection)
            .map_err(|e| encode(out.join(ASSIGNMENTS), e))?;
    staged.push(stage_parquet(&out.join(ASSIGNMENTS), &mut assignments)?);

    let mut features = outputs
        .features
        .to_frame(outputs.customers)
        .map_err(|e| encode(out.join(FEATURES), e))?;
    staged.push(stage_parquet(&out.join(FEATURES), &mut features)?);

    staged.push(stage_json(&out.join(SEGMENTS), outputs.profiles)?);
    staged.push(stage_json(&out.join(RUN), &info())?);

    for f in staged {
        let path = f.0.clone();
        f.1.commit()
            .map_err(|source| ReportError::Io { path, source })?;
    }
    Ok(())
}

/// Temporary files left by a run that was killed mid-write (the rename never happened).
fn remove_stale_temp_files(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = [ASSIGNMENTS, FEATURES, SEGMENTS, RUN]
            .iter()
            .any(|f| name.starts_with(&format!(".{f}.")));
        if ours && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn encode(path: PathBuf, e: impl std::fmt::Display) -> ReportError {
    ReportError::Encode {
        path,
        message: e.to_string(),
    }
}

fn create(path: &Path) -> Result<AtomicFile, ReportError> {
    AtomicFile::create(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn stage_parquet(path: &Path, df: &mut DataFrame) -> Result<(PathBuf, AtomicFile), ReportError> {
    let mut f = create(path)?;
    ParquetWriter::new(&mut f)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .finish(df)
        .map_err(|e| encode(path.to_path_buf(), e))?;
    Ok((path.to_path_buf(), f))
}

fn stage_json<T: Serialize>(path: &Path, value: &T) -> Result<(PathBuf, AtomicFile), ReportError> {
    let mut f = create(path)?;
    let text = serde_json::to_string_pretty(value).map_err(|e| encode(path.to_path_buf(), e))?;
    let text = crate::sanitize::json(text) + "\n";
    f.write_all(text.as_bytes())
        .map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok((path.to_path_buf(), f))
}

/// customer_id, segment, confidence, p_0..p_{k-1}, x, y.
pub fn assignments_frame(
    features: &Features,
    clustering: &Clustering,
    projection: &Projection,
) -> PolarsResult<DataFrame> {
    let p = &clustering.probabilities;
    let confidence: Vec<f64> = clustering
        .labels
        .iter()
        .enumerate()
        .map(|(i, &l)| if l >= 0 { p[[i, l as usize]] } else { 0.0 })
        .collect();
    let mut cols = vec![
        Column::new("customer_id".into(), features.customer_ids.clone()),
        Column::new("segment".into(), clustering.labels.clone()),
        Column::new("confidence".into(), confidence),
    ];
    if !clustering.subsegments.is_empty() {
        cols.push(Column::new(
            "subsegment".into(),
            clustering.subsegments.clone(),
        ));
    }
    for k in 0..p.ncols() {
        cols.push(Column::new(format!("p_{k}").into(), p.column(k).to_vec()));
    }
    cols.push(Column::new("x".into(), projection.x.clone()));
    cols.push(Column::new("y".into(), projection.y.clone()));
    DataFrame::new(cols)
}

/// The short table printed at the end of `seglens segment`.
pub fn summary_table(profiles: &Profiles, clustering: &Clustering) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>7}  {:>8}  {:>6}  {:>5}  top traits",
        "segment", "size", "share", "high%"
    );
    let row = |s: &mut String, seg: &crate::profile::SegmentProfile| {
        let high = seg.value_tiers.get("high").copied().unwrap_or(0.0) * 100.0;
        let traits: Vec<&str> = seg.traits.iter().take(3).map(String::as_str).collect();
        let key = match seg.parent {
            Some(_) => format!("  {}", seg.key()),
            None => seg.key(),
        };
        let _ = writeln!(
            s,
            "{:>7}  {:>8}  {:>5.1}%  {:>4.0}%  {}",
            key,
            seg.size,
            seg.share * 100.0,
            high,
            if traits.is_empty() {
                "-".to_string()
            } else {
                traits.join("; ")
            }
        );
        if let Some(t) = seg.text.as_ref().filter(|t| !t.terms.is_empty()) {
            let terms: Vec<&str> = t.terms.iter().take(5).map(|t| t.term.as_str()).collect();
            let _ = writeln!(s, "{:>36}talks about: {}", "", terms.join(", "));
        }
    };
    for seg in &profiles.segments {
        row(&mut s, seg);
        for child in &seg.children {
            row(&mut s, child);
        }
    }
    let split: Vec<String> = profiles
        .segments
        .iter()
        .filter(|p| !p.children.is_empty())
        .map(|p| {
            let st = p
                .split
                .as_ref()
                .and_then(|n| n.stability)
                .map_or(String::new(), |v| format!(", stability {v:.2}"));
            format!("{} into {}{st}", p.id, p.children.len())
        })
        .collect();
    if !split.is_empty() {
        let _ = writeln!(s, "\nsub-segments: {}", split.join("; "));
    } else if !clustering.subsegments.is_empty() {
        let _ = writeln!(
            s,
            "\nsub-segments: none of the segments splits reproducibly"
        );
    }
    let q = &clustering.quality;
    let opt = |v: Option<f64>, d: usize| v.map_or("n/a".to_string(), |x| format!("{x:.d$}"));
    let _ = writeln!(
        s,
        "\n{} segments ({}, {}): silhouette {} (sample of {}), Calinski-Harabasz {}, Davies-Bouldin {}, stability {}",
        clustering.k,
        clustering.algo,
        match (clustering.algo, clustering.k_table.len()) {
            (crate::config::Algo::Dbscan, _) => "k found by density",
            (_, 1) => "k fixed",
            _ => "k chosen automatically",
        },
        opt(q.silhouette, 3),
        clustering.silhouette_sample,
        opt(q.calinski_harabasz, 0),
        opt(q.davies_bouldin, 3),
        opt(q.stability, 3),
    );
    if !clustering.k_verdict.is_empty() {
        let _ = writeln!(s, "how sure: {}", clustering.k_verdict);
    }
    if let Some(v) = clustering.seed_stability {
        let _ = writeln!(
            s,
            "stability across seeds: {v:.3} (mean ARI against {} refits with other seeds)",
            clustering.seed_runs
        );
    }
    if clustering.k_table.len() > 1 {
        let _ = writeln!(
            s,
            "\n{:>4}  {:>10}  {:>10}  {:>8}  {:>13}  {:>10}",
            "k", "silhouette", "CH", "DB", "stability", "pred.str."
        );
        for r in &clustering.k_table {
            let stab = match (r.stability, r.stability_se) {
                (Some(v), Some(se)) => format!("{v:.3}±{se:.3}"),
                (v, _) => opt(v, 3),
            };
            let _ = writeln!(
                s,
                "{:>4}  {:>10}  {:>10}  {:>8}  {:>13}  {:>10}{}",
                r.k,
                opt(r.silhouette, 3),
                opt(r.calinski_harabasz, 0),
                opt(r.davies_bouldin, 3),
                stab,
                opt(r.prediction_strength, 3),
                if r.chosen { "  <- chosen" } else { "" }
            );
        }
    }
    s
}
