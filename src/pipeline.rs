//! The headless segmentation pipeline: load, features, scale, cluster, project, profile, write.
//! The CLI calls it directly; later front ends (the TUI) call the same function in the background.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::cluster::{self, Clustering};
use crate::config::Config;
use crate::data::{self, DataError};
use crate::embed::EmbedProgress;
use crate::features;
use crate::profile::{self, Profiles};
use crate::report::{self, RunInfo, RunOutputs, Timings};
use crate::text::{self, TextAnalysis, TextOptions};

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
    #[error(transparent)]
    RunData(#[from] crate::llm::tools::RunDataError),
    #[error(transparent)]
    Personas(#[from] crate::llm::writer::WriterError),
    #[error("cancelled")]
    Cancelled,
    /// Not a `source`: the message already carries the cause, printed once.
    #[error("{0} (or turn texts off with --no-text)")]
    Text(text::TextError),
}

impl From<text::TextError> for PipelineError {
    fn from(e: text::TextError) -> Self {
        Self::Text(e)
    }
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
    /// Texts embedded so far.
    Embedding(EmbedProgress),
}

/// Runs the whole pipeline and writes the run directory.
pub fn segment(
    req: &SegmentRequest,
    progress: &dyn Fn(Progress),
) -> Result<RunResult, PipelineError> {
    segment_cancellable(req, progress, &AtomicBool::new(false))
}

/// [`segment`] that stops with [`PipelineError::Cancelled`] at the next stage once `cancel` is
/// set (the UI's Esc). Nothing is written before the last stage, so a cancelled run leaves the
/// output directory as it was.
pub fn segment_cancellable(
    req: &SegmentRequest,
    progress: &dyn Fn(Progress),
    cancel: &AtomicBool,
) -> Result<RunResult, PipelineError> {
    let stage = |name: &'static str| -> Result<(), PipelineError> {
        if cancel.load(Ordering::Relaxed) {
            return Err(PipelineError::Cancelled);
        }
        progress(Progress::Stage(name));
        Ok(())
    };
    let prepared = prepare_stages(req, progress, &stage)?;
    let Prepared {
        mut shop,
        feats,
        scaled,
        text,
        timings: mut t,
        start,
    } = prepared;
    let cfg = &req.config;

    stage("clustering")?;
    let s = Instant::now();
    let detail = |m: &str| progress(Progress::Detail(m.to_string()));
    let clustering = cluster::cluster(&scaled.matrix, &cfg.cluster, cfg.seed, &detail)?;
    for note in &clustering.notes {
        progress(Progress::Warning(note.clone()));
        shop.warnings.push(note.clone());
    }
    t.cluster_ms = s.elapsed().as_millis();

    stage("projecting to 2-D")?;
    let s = Instant::now();
    let projection = cluster::pca_2d(scaled.matrix.view());
    t.project_ms = s.elapsed().as_millis();

    stage("profiling segments")?;
    let s = Instant::now();
    let mut profiles = profile::build(&shop, &feats, &scaled.matrix, &clustering, &cfg.profile)?;
    if let Some(a) = &text {
        let insight = text::segment_insight(
            a,
            &clustering.labels,
            clustering.k,
            cfg.profile.representatives,
        );
        for p in profiles.segments.iter_mut() {
            if let Some(i) = usize::try_from(p.id).ok().and_then(|i| insight.get(i)) {
                p.text = Some(i.clone());
            }
        }
    }
    t.profile_ms = s.elapsed().as_millis();

    let mut clustering = clustering;
    if cfg.cluster.sub_k != crate::config::SubK::Off
        && clustering.algo != crate::config::Algo::Dbscan
    {
        stage("looking for sub-segments")?;
        let s = Instant::now();
        let found = cluster::sub::sub_segments(
            &scaled.matrix,
            &clustering,
            &cfg.cluster,
            cfg.seed,
            &detail,
        )?;
        add_subsegments(
            &mut profiles,
            &mut clustering,
            &found,
            &shop,
            &feats,
            &scaled,
            text.as_ref(),
            cfg,
        )?;
        t.subsegment_ms = s.elapsed().as_millis();
    }

    stage("writing outputs")?;
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
        k_verdict: clustering.k_verdict.clone(),
        seed_stability: clustering.seed_stability,
        quality: clustering.quality.clone(),
        temperature: clustering.temperature,
        search_sample: clustering.search_sample,
        silhouette_sample: clustering.silhouette_sample,
        projection_explained: projection.explained,
        warnings: shop.warnings.clone(),
        text: text.as_ref().map(|a| a.summary.clone()),
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

/// The customers' clustering matrix and everything it was built from: the stages before
/// clustering. The recovery benchmark clusters it many ways without repeating them.
pub struct Prepared {
    pub shop: data::Shop,
    pub feats: features::Features,
    pub scaled: features::Scaled,
    pub text: Option<TextAnalysis>,
    pub timings: Timings,
    start: Instant,
}

/// Loads, validates and engineers the features (and the text block) of `req`, without
/// clustering or writing anything.
pub fn prepare(
    req: &SegmentRequest,
    progress: &dyn Fn(Progress),
) -> Result<Prepared, PipelineError> {
    prepare_stages(req, progress, &|name| {
        progress(Progress::Stage(name));
        Ok(())
    })
}

fn prepare_stages(
    req: &SegmentRequest,
    progress: &dyn Fn(Progress),
    stage: &dyn Fn(&'static str) -> Result<(), PipelineError>,
) -> Result<Prepared, PipelineError> {
    let cfg = &req.config;
    let start = Instant::now();
    let mut t = Timings::default();

    stage("loading data")?;
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

    stage("engineering features")?;
    let s = Instant::now();
    let mut feats = features::build(&shop, cfg)?;
    t.features_ms = s.elapsed().as_millis();

    let s = Instant::now();
    let mut text = if cfg.text.enabled {
        stage("reading reviews and searches")?;
        let opts = TextOptions {
            embed: cfg.text.embed_options(),
            cache_dir: cfg.text.cache_dir(),
        };
        let analysis = text::analyse(
            &shop,
            &feats.customer_ids,
            &opts,
            &|e| progress(Progress::Embedding(e)),
            &|w| progress(Progress::Warning(w)),
        )?;
        match &analysis {
            Some(a) => progress(Progress::Detail(text::stats_line(&a.summary.embedding))),
            None => progress(Progress::Detail(
                "no review or search text in the data: clustering on behaviour only".into(),
            )),
        }
        analysis
    } else {
        None
    };
    let mut scale_cfg = cfg.clone();
    if let Some(a) = &text {
        feats.features.extend(a.features());
        // mean_sentiment is the mean rating where there are stars and the text's verdict where
        // there are none: it stands in for mean_rating in clustering, unless the user weighted
        // mean_rating themselves. Clustering on both counts the stars twice.
        scale_cfg
            .features
            .weights
            .entry("mean_rating".to_string())
            .or_insert(0.0);
    }
    let mut scaled = features::scale(&feats, &scale_cfg);
    if let Some(a) = text.as_mut() {
        join_text_block(&mut scaled, a, cfg);
    }
    t.text_ms = s.elapsed().as_millis();

    Ok(Prepared {
        shop,
        feats,
        scaled,
        text,
        timings: t,
        start,
    })
}

/// Profiles the sub-segments `found` and hangs them under their parents in `profiles`; records
/// every customer's sub-segment in `clustering.subsegments` and why other segments stayed whole.
#[allow(clippy::too_many_arguments)]
fn add_subsegments(
    profiles: &mut Profiles,
    clustering: &mut Clustering,
    found: &cluster::sub::SubSearch,
    shop: &data::Shop,
    feats: &features::Features,
    scaled: &features::Scaled,
    text: Option<&TextAnalysis>,
    cfg: &Config,
) -> Result<(), PipelineError> {
    let n = clustering.labels.len();
    let mut sub = vec![-1i32; n];
    let mut flat = vec![-2i32; n];
    let mut confidence = vec![0.0f64; n];
    let total: usize = found.splits.iter().map(|s| s.k).sum();
    let p = scaled.matrix.ncols();
    let mut centroids = ndarray::Array2::<f64>::zeros((total, p));
    let mut offset = 0usize;
    let mut offsets = Vec::with_capacity(found.splits.len());
    for split in &found.splits {
        for ((&m, &l), &c) in split
            .members
            .iter()
            .zip(&split.labels)
            .zip(&split.confidence)
        {
            sub[m] = l as i32;
            flat[m] = (offset + l) as i32;
            confidence[m] = c;
        }
        centroids
            .slice_mut(ndarray::s![offset..offset + split.k, ..])
            .assign(&split.centroids);
        offsets.push(offset);
        offset += split.k;
    }
    let conf = |i: usize, _s: usize| confidence[i];
    let mut subs = if total > 0 {
        profile::build_partition(
            shop,
            feats,
            &scaled.matrix,
            &profile::Partition {
                labels: &flat,
                centroids: &centroids,
                confidence: &conf,
            },
            &cfg.profile,
        )?
        .segments
    } else {
        Vec::new()
    };
    if let (Some(a), true) = (text, total > 0) {
        let insight = text::segment_insight(a, &flat, total, cfg.profile.representatives);
        for sp in subs.iter_mut() {
            if let Some(i) = usize::try_from(sp.id).ok().and_then(|i| insight.get(i)) {
                sp.text = Some(i.clone());
            }
        }
    }
    for (split, &off) in found.splits.iter().zip(&offsets) {
        let Some(parent) = profiles.segments.iter_mut().find(|s| s.id == split.parent) else {
            continue;
        };
        let mut children: Vec<profile::SegmentProfile> = subs
            .iter()
            .filter(|c| c.id >= off as i32 && c.id < (off + split.k) as i32)
            .cloned()
            .collect();
        for c in children.iter_mut() {
            c.id -= off as i32;
            c.parent = Some(split.parent);
            c.label = format!("Segment {}.{}", split.parent, c.id);
        }
        parent.split = Some(profile::SplitNote {
            k: split.k,
            stability: split.stability,
            silhouette: split.silhouette,
            note: format!(
                "{} sub-segments{}",
                split.k,
                split
                    .stability
                    .map_or(String::new(), |v| format!(", stability {v:.2}"))
            ),
        });
        parent.children = children;
    }
    for (id, why) in &found.whole {
        if let Some(parent) = profiles.segments.iter_mut().find(|s| s.id == *id) {
            parent.split = Some(profile::SplitNote {
                k: 0,
                stability: None,
                silhouette: None,
                note: why.clone(),
            });
        }
    }
    clustering.subsegments = sub;
    Ok(())
}

/// Writes a persona for every segment of the run in `run_dir` (`personas.json`, `report.md`).
/// With `opts.segments` (keys: `2`, or `3.1` for a sub-segment), only those are written and
/// returned; the files keep the other segments' earlier personas. Without it, only the
/// top-level segments get personas. A sub-segment's persona is written over the run seen from
/// inside its parent ([`crate::llm::tools::RunData::within`]): its tools, grounding and
/// neighbours are the parent's customers and its sibling sub-segments.
/// The model loads only when some persona is not in the cache; without a usable model the
/// personas are written by template and marked so.
pub fn personas(
    run_dir: &std::path::Path,
    opts: &crate::llm::writer::PersonaOptions,
    events: &dyn Fn(crate::llm::writer::PersonaEvent),
) -> Result<crate::llm::writer::PersonaRun, PipelineError> {
    let data = crate::llm::tools::RunData::load(run_dir)?;
    let run = match &opts.segments {
        None => crate::llm::writer::write(&data, opts, events)?,
        Some(keys) => write_keys(&data, keys, opts, events)?,
    };
    let all = match opts.segments {
        Some(_) => std::borrow::Cow::Owned(with_other_personas(run_dir, &data, run.clone())),
        None => std::borrow::Cow::Borrowed(&run),
    };
    report::personas::write(run_dir, &all, &data)?;
    Ok(run)
}

/// Personas for `keys`: the top-level ones in one pass over the whole run, each parent's
/// sub-segments in one pass over the run seen from inside the parent; the records in key order.
fn write_keys(
    data: &crate::llm::tools::RunData,
    keys: &[String],
    opts: &crate::llm::writer::PersonaOptions,
    events: &dyn Fn(crate::llm::writer::PersonaEvent),
) -> Result<crate::llm::writer::PersonaRun, PipelineError> {
    use crate::llm::writer::{write, WriterError};
    let all_keys = || {
        data.profiles
            .segments
            .iter()
            .flat_map(|s| std::iter::once(s).chain(&s.children))
            .filter(|s| s.id >= 0)
            .map(|s| s.key())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut top: Vec<String> = Vec::new();
    let mut subs: std::collections::BTreeMap<i32, Vec<String>> = Default::default();
    for k in keys {
        let k = k.trim().to_string();
        match k.split_once('.') {
            None => top.push(k),
            Some((p, _)) => match p.parse::<i32>() {
                Ok(p) if data.by_key(&k).is_some() => subs.entry(p).or_default().push(k),
                _ => return Err(WriterError::UnknownSegment(k, all_keys()).into()),
            },
        }
    }
    let mut runs = Vec::new();
    if !top.is_empty() || subs.is_empty() {
        let o = crate::llm::writer::PersonaOptions {
            segments: Some(top),
            ..opts.clone()
        };
        runs.push(write(data, &o, events)?);
    }
    for (parent, want) in subs {
        let Some(inside) = data.within(parent) else {
            return Err(WriterError::UnknownSegment(want.join(","), all_keys()).into());
        };
        let o = crate::llm::writer::PersonaOptions {
            segments: Some(want),
            ..opts.clone()
        };
        runs.push(write(&inside, &o, events)?);
    }
    let mut it = runs.into_iter();
    let Some(mut run) = it.next() else {
        return Err(WriterError::UnknownSegment(String::new(), all_keys()).into());
    };
    for r in it {
        let (m, o) = (&mut run.meta, &r.meta);
        m.model_loaded |= o.model_loaded;
        if m.fallback_reason.is_none() {
            m.fallback_reason.clone_from(&o.fallback_reason);
        }
        m.load_ms += o.load_ms;
        m.wall_ms += o.wall_ms;
        m.from_cache += o.from_cache;
        m.generation.add(&o.generation);
        m.tokens_per_s = m.tokens_per_s.max(o.tokens_per_s);
        run.personas.extend(r.personas);
    }
    run.personas.sort_by_key(|p| p.key_order());
    Ok(run)
}

/// A run for some segments only keeps the personas.json records of the others, when they were
/// written for the same run data (the files are rewritten whole).
fn with_other_personas(
    run_dir: &std::path::Path,
    data: &crate::llm::tools::RunData,
    mut run: crate::llm::writer::PersonaRun,
) -> crate::llm::writer::PersonaRun {
    let old = std::fs::read(run_dir.join(report::personas::PERSONAS))
        .ok()
        .and_then(|b| serde_json::from_slice::<crate::llm::writer::PersonaRun>(&b).ok());
    for mut p in old.map(|o| o.personas).unwrap_or_default() {
        p.normalise_key();
        let same = data.by_key(&p.key).is_some_and(|s| s.size == p.size);
        if same && !run.personas.iter().any(|q| q.key == p.key) {
            run.personas.push(p);
        }
    }
    run.personas.sort_by_key(|p| p.key_order());
    run
}

/// Appends the text block to the clustering matrix, scaled so that its total variance among
/// customers with text is `text.weight` times the behaviour columns' total variance.
fn join_text_block(
    scaled: &mut features::Scaled,
    a: &mut TextAnalysis,
    cfg: &crate::config::Config,
) {
    let weight = cfg.text.weight;
    if weight <= 0.0 {
        return;
    }
    let (block, explained) = a.block(
        scaled.matrix.view(),
        cfg.text.components,
        cfg.text.pca_sample,
        cfg.seed,
    );
    if block.ncols() == 0 {
        return;
    }
    let var = |m: ndarray::ArrayView2<f64>| -> f64 {
        m.columns()
            .into_iter()
            .map(|c| {
                let n = c.len().max(2) as f64;
                let mean = c.sum() / n;
                c.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
            })
            .sum()
    };
    let behaviour = var(scaled.matrix.view());
    // The block's spread among customers who have text: counting the zeros of those without
    // would inflate the factor when few customers write, and let their text dominate.
    let with_text: Vec<usize> = (0..a.has_text.len()).filter(|&i| a.has_text[i]).collect();
    let text_var = var(block.select(ndarray::Axis(0), &with_text).view());
    if text_var <= 0.0 || behaviour <= 0.0 {
        return;
    }
    let factor = (weight * behaviour / text_var).sqrt();
    let block = block * factor;
    let (n, p) = scaled.matrix.dim();
    let mut joined = ndarray::Array2::zeros((n, p + block.ncols()));
    joined
        .slice_mut(ndarray::s![.., ..p])
        .assign(&scaled.matrix);
    joined.slice_mut(ndarray::s![.., p..]).assign(&block);
    scaled.matrix = joined;
    for c in 0..block.ncols() {
        scaled.names.push(format!("text_pc{}", c + 1));
        scaled.center.push(0.0);
        scaled.scale.push(1.0 / factor);
        scaled.weights.push(1.0);
    }
    a.summary.block_explained = Some(explained);
    a.summary.block_weight = weight;
}
