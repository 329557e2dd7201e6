//! The headless segmentation pipeline: load, features, scale, cluster, project, profile, write.
//! The CLI calls it directly; later front ends (the TUI) call the same function in the background.

use std::path::PathBuf;
use std::time::Instant;

use crate::cluster::{self, Clustering};
use crate::config::Config;
use crate::data::{self, DataError};
use crate::features;
use crate::profile::{self, Profiles};
use crate::report::{self, RunInfo, RunOutputs, Timings};

/// What to segment and where to write it.
#[derive(Debug, Clone)]
pub struct SegmentRequest {
    pub data: PathBuf,
    pub out: PathBuf,
    pub config: Config,
}

/// Any failure of the pipeline, by stage.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Features(#[from] features::FeatureError),
    #[error(transparent)]
    Cluster(#[from] cluster::ClusterError),
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
    #[error(transparent)]
    Report(#[from] report::ReportError),
}

/// The finished run, for summaries.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub profiles: Profiles,
    pub clustering: Clustering,
    pub info: RunInfo,
}

/// Progress events reported to the caller.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A stage starts.
    Stage(&'static str),
    /// Detail within the current stage.
    Detail(String),
    /// A data problem that was tolerated.
    Warning(String),
}

/// Runs the whole pipeline and writes the run directory.
pub fn segment(
    req: &SegmentRequest,
    progress: &dyn Fn(Progress),
) -> Result<RunResult, PipelineError> {
    let cfg = &req.config;
    let start = Instant::now();
    let mut t = Timings::default();

    progress(Progress::Stage("loading data"));
    let mut shop = data::load(&req.data, cfg)?;
    if !cfg.features.as_of.is_empty() {
        // An explicit as-of date in the past: the features must not see what came after it.
        let as_of = features::as_of_date(&shop, cfg).map_err(features::FeatureError::from)?;
        let (cut, dropped) = shop
            .before(features::day_start(as_of))
            .map_err(features::FeatureError::from)?;
        if cut.orders.height() == 0 {
            return Err(DataError::NothingBefore {
                as_of: as_of.to_string(),
            }
            .into());
        }
        if dropped > 0 {
            shop = cut;
            shop.warnings.push(format!(
                "left out {dropped} customers, order lines, events and reviews dated on or after the as-of date {as_of}"
            ));
        }
    }
    for w in &shop.warnings {
        progress(Progress::Warning(w.clone()));
    }
    t.load_ms = start.elapsed().as_millis();

    progress(Progress::Stage("engineering features"));
    let s = Instant::now();
    let feats = features::build(&shop, cfg)?;
    let scaled = features::scale(&feats, cfg);
    t.features_ms = s.elapsed().as_millis();

    progress(Progress::Stage("clustering"));
    let s = Instant::now();
    let detail = |m: &str| progress(Progress::Detail(m.to_string()));
    let clustering = cluster::cluster(&scaled.matrix, &cfg.cluster, cfg.seed, &detail)?;
    for note in &clustering.notes {
        progress(Progress::Warning(note.clone()));
        shop.warnings.push(note.clone());
    }
    t.cluster_ms = s.elapsed().as_millis();

    progress(Progress::Stage("projecting to 2-D"));
    let s = Instant::now();
    let projection = cluster::pca_2d(scaled.matrix.view());
    t.project_ms = s.elapsed().as_millis();

    progress(Progress::Stage("profiling segments"));
    let s = Instant::now();
    let profiles = profile::build(&shop, &feats, &scaled.matrix, &clustering, &cfg.profile)?;
    t.profile_ms = s.elapsed().as_millis();

    progress(Progress::Stage("writing outputs"));
    let s = Instant::now();
    let make_info = |t: Timings| RunInfo {
        seglens_version: env!("CARGO_PKG_VERSION").to_string(),
        polars_version: polars::VERSION.to_string(),
        seed: cfg.seed,
        data_dir: req.data.clone(),
        inputs: shop.files.clone(),
        config: cfg.clone(),
        as_of: feats.as_of.to_string(),
        customers: feats.len(),
        features_used: RunInfo::used_features(&scaled),
        algo: clustering.algo.to_string(),
        k: clustering.k,
        k_rule: clustering.k_rule.clone(),
        k_table: clustering.k_table.clone(),
        quality: clustering.quality.clone(),
        temperature: clustering.temperature,
        search_sample: clustering.search_sample,
        silhouette_sample: clustering.silhouette_sample,
        projection_explained: projection.explained,
        warnings: shop.warnings.clone(),
        timings: t,
    };
    let outputs = RunOutputs {
        features: &feats,
        customers: &shop.customers,
        clustering: &clustering,
        projection: &projection,
        profiles: &profiles,
    };
    let mut final_t = t.clone();
    report::write_run(&req.out, &outputs, || {
        final_t.write_ms = s.elapsed().as_millis();
        final_t.total_ms = start.elapsed().as_millis();
        make_info(final_t.clone())
    })?;
    let mut t = final_t;
    t.write_ms = s.elapsed().as_millis();
    t.total_ms = start.elapsed().as_millis();
    Ok(RunResult {
        info: make_info(t),
        profiles,
        clustering,
    })
}
