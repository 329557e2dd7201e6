//! The command line: argument parsing, progress on stderr, results on stdout, and exit codes.
//!
//! Exit codes: 0 success (personas written by template when no model could be used count as
//! success: the fallback is announced on stderr and marked in every output); 1 the run failed
//! (I/O, clustering, generation); 2 bad usage or configuration (a missing run directory, an
//! unknown segment, a broken prompt template); 3 the input data failed validation.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Algo, Config, KChoice, DEFAULT_TOML};
use crate::pipeline::{self, PipelineError, Progress, SegmentRequest};

/// `eprintln!` through the sanitiser: nothing from the data reaches the terminal raw.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::sanitize::text(&format!($($arg)*)))
    };
}

/// `println!` through the sanitiser.
macro_rules! out {
    ($($arg:tt)*) => {
        println!("{}", $crate::sanitize::text(&format!($($arg)*)))
    };
}

mod eval;

/// Segment an online shop's customers locally and explain each segment.
#[derive(Debug, Parser)]
#[command(name = "seglens", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// No progress on stderr; warnings about the data and errors are still printed.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Segment customers from a data directory and write the run (assignments, features, profiles).
    Segment(SegmentArgs),
    /// Write a synthetic shop with planted customer archetypes (and their truth) for demos and tests.
    DemoData(DemoArgs),
    /// Print the default configuration (every key, documented) to start a seglens.toml from.
    Config {
        /// Print the embedded defaults (the only mode for now).
        #[arg(long, default_value_t = true)]
        default: bool,
    },
    /// Score a finished run against planted truth: adjusted Rand index.
    Evaluate(EvaluateArgs),
    /// Measure a run's personas: judge recovery (a model matches each segment to its persona),
    /// grounded precision, distinctiveness, stability and, with --truth, ARI and NMI. Writes
    /// eval.json and an Evaluation section in report.md.
    Eval(eval::EvalArgs),
    /// Embed a shop's reviews and searches (or a file of texts) with the local sentence model,
    /// fill the embedding cache and print throughput.
    Embed(EmbedArgs),
    /// Write a persona and campaign ideas for every segment of a finished run with the local LLM,
    /// check every claim against the data, and write personas.json and report.md into the run.
    Personas(PersonasArgs),
    /// Segment a shop and write its personas in one go (`segment` then `personas`).
    Run(RunArgs),
    /// Browse a finished run in the terminal: segments, personas (regenerated live), the 2-D
    /// map, members and their orders and reviews. `?` inside lists the keys.
    Tui(TuiArgs),
}

#[derive(Debug, Args)]
struct TuiArgs {
    /// A run directory written by `seglens segment` or `seglens run`.
    #[arg(value_name = "RUN_DIR")]
    run: PathBuf,
    /// A seglens.toml (sections [tui] and [llm]); ./seglens.toml is used when present.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// LLM for `r` (rewrite a persona): a manifest name or a GGUF file (default llm.model).
    #[arg(long, value_name = "NAME|PATH")]
    model: Option<String>,
    /// CPU threads for the model (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// Output printed on stdout by `personas` and `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// The Markdown report (report.md).
    Md,
    /// Everything, as personas.json.
    Json,
    /// One persona record per line.
    Jsonl,
}

/// Persona options shared by `personas` and `run`.
#[derive(Debug, Args)]
struct PersonaArgs {
    /// LLM: a name from models/manifest.toml (default qwen2.5-coder-1.5b) or a GGUF file.
    #[arg(long, value_name = "NAME|PATH")]
    model: Option<String>,
    /// Only these segments, e.g. 1,3; sub-segments by key, e.g. 3.1,3.2 (`seglens segment`
    /// prints the keys). Default: every top-level segment; sub-segments get personas only when
    /// named here (or with `r` in `seglens tui`).
    #[arg(long, value_name = "KEYS", value_delimiter = ',')]
    segments: Option<Vec<String>>,
    /// What to print on stdout (the files are always written).
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
    /// Sampling temperature (0 = greedy; default llm.temperature, 0.7).
    #[arg(long, value_name = "T")]
    temperature: Option<f32>,
    /// Segments generated at once as parallel sequences of one context (default llm.parallel, 4).
    #[arg(long, value_name = "N")]
    parallel: Option<usize>,
    /// Layers offloaded to the GPU (builds with --features cuda, metal or vulkan; default all).
    #[arg(long, value_name = "N")]
    gpu_layers: Option<u32>,
    /// Write without looking anything up first (no tool calls).
    #[arg(long)]
    no_tools: bool,
    /// Regenerate every persona instead of reading it from the persona cache.
    #[arg(long)]
    fresh: bool,
    /// A folder with prompt templates (system.md, persona.md, tool_result.md, write.md,
    /// retry.md) that replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    prompts: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PersonasArgs {
    /// A run directory written by `seglens segment`.
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// Seed of the sampler (default: the run's seed).
    #[arg(long)]
    seed: Option<u64>,
    /// CPU threads for the model (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// A seglens.toml (section [llm]); ./seglens.toml is used when present.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    persona: PersonaArgs,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Show the run in the terminal UI while it segments and writes personas (needs a terminal;
    /// without one the run goes on headless).
    #[arg(long)]
    tui: bool,
    #[command(flatten)]
    segment: SegmentArgs,
    #[command(flatten)]
    persona: PersonaArgs,
}

/// Options of the text stage shared by `segment` and `embed`.
#[derive(Debug, Args)]
struct TextArgs {
    /// Sentence-embedding model folder (config.json, tokenizer.json, model.safetensors).
    /// Default: all-MiniLM-L6-v2 in $SEGLENS_MODELS (~/.cache/seglens/models).
    #[arg(long, value_name = "DIR")]
    embed_model: Option<PathBuf>,
    /// Where the model runs: auto picks a GPU when built with --features cuda or metal.
    #[arg(long, value_name = "auto|cpu|cuda|metal")]
    device: Option<String>,
    /// Do not read or write the embedding cache (~/.cache/seglens/embeddings).
    #[arg(long)]
    no_embed_cache: bool,
    /// Threads for the run's parallel steps, embedding included (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

impl TextArgs {
    fn apply(&self, config: &mut Config) {
        if let Some(m) = &self.embed_model {
            config.text.model = m.display().to_string();
        }
        if let Some(d) = &self.device {
            config.text.device = d.clone();
        }
        if self.no_embed_cache {
            config.text.cache = false;
        }
    }
}

#[derive(Debug, Args)]
struct EmbedArgs {
    /// A shop's data directory: embeds its reviews and search queries.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "texts",
        required_unless_present = "texts"
    )]
    data: Option<PathBuf>,
    /// A UTF-8 file with one text per line instead of a shop.
    #[arg(long, value_name = "FILE")]
    texts: Option<PathBuf>,
    /// A seglens.toml (see `seglens config --default`, section [text]).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    text: TextArgs,
    /// Print the figures as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct SegmentArgs {
    /// Directory with orders.csv|parquet and optionally customers, products, events, reviews.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Directory for the run's outputs (created if missing; earlier outputs are replaced atomically).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of segments, or "auto" to choose it over cluster.k_min..k_max.
    #[arg(long, value_name = "auto|N")]
    k: Option<KChoice>,
    /// Clustering algorithm (ward: agglomerative on a sample, the rest join the nearest centre).
    #[arg(long, value_name = "kmeans|gmm|dbscan|ward")]
    algo: Option<Algo>,
    /// Sub-segments inside each segment: "auto" splits a segment when a split of it is
    /// reproducible, N splits every segment of 200+ customers into N, 0 = none (default
    /// cluster.sub_k, auto).
    #[arg(long, value_name = "auto|N|0")]
    sub_k: Option<crate::config::SubK>,
    /// Seed for every random step; the same data and seed give identical segments.
    #[arg(long)]
    seed: Option<u64>,
    /// A seglens.toml; its keys override the defaults (see `seglens config --default`). Without it,
    /// ./seglens.toml is used when present.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Measure recency and tenure as of this date (YYYY-MM-DD) instead of the day after the last order.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Weight of review and search text in clustering, relative to behaviour (0 = behaviour only;
    /// default text.weight, 0.65).
    #[arg(long, value_name = "W")]
    text_weight: Option<f64>,
    /// Skip the sentence-embedding model entirely: no text block, sentiment or text insight.
    #[arg(long)]
    no_text: bool,
    #[command(flatten)]
    text: TextArgs,
    /// Print a JSON summary on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 20_000)]
    customers: usize,
    /// Seed; the same seed writes byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory for the shop's tables.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Where to write the planted truth (default: truth.csv beside the data directory, never inside).
    #[arg(long, value_name = "PATH")]
    truth: Option<PathBuf>,
    /// Leave out the events table.
    #[arg(long)]
    no_events: bool,
    /// Leave out the reviews table.
    #[arg(long)]
    no_reviews: bool,
    /// Write a family shop instead of the demo shop: the seed draws 4 to 14 archetypes from a
    /// catalogue of 25 (shares of 2-35%, an overlap level, hybrid customers and, with
    /// probability 0.7, one text-only pair) and the draw is written as family.json beside
    /// truth.csv. Same files and truth format as the demo.
    #[arg(long)]
    family: bool,
}

#[derive(Debug, Args)]
struct EvaluateArgs {
    /// A run directory written by `seglens segment`.
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// truth.csv with customer_id, archetype.
    #[arg(long, value_name = "PATH")]
    truth: PathBuf,
    /// Archetypes to treat as one, joined by '+', e.g. fashion_beauty_browser+new_arrival_follower.
    #[arg(long, value_name = "A+B")]
    merge: Vec<String>,
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    // A panic is a bug, never the user's fault: say so plainly instead of dumping a backtrace.
    std::panic::set_hook(Box::new(|info| {
        say!(
            "error: internal error: {info}\nThis is a bug in seglens, not a problem with your data; \
             please report it with the command you ran."
        );
    }));
    let cli = Cli::parse();
    let quiet = cli.quiet;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            say!("error: {err:#}");
            let _ = quiet;
            ExitCode::from(exit_code(&err))
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// 3 for data problems, 2 for configuration problems, 1 otherwise.
fn exit_code(err: &anyhow::Error) -> u8 {
    for e in err.chain() {
        if let Some(p) = e.downcast_ref::<PipelineError>() {
            use crate::llm::writer::WriterError;
            return match p {
                PipelineError::Data(_) => 3,
                PipelineError::RunData(crate::llm::tools::RunDataError::Missing { .. })
                | PipelineError::Personas(WriterError::UnknownSegment(..))
                | PipelineError::Personas(WriterError::Prompt(_)) => 2,
                _ => 1,
            };
        }
        if e.downcast_ref::<crate::data::DataError>().is_some() {
            return 3;
        }
        if e.downcast_ref::<crate::config::ConfigError>().is_some() {
            return 2;
        }
        if let Some(t) = e.downcast_ref::<crate::tui::TuiError>() {
            return match t {
                crate::tui::TuiError::Terminal(_) => 1,
                _ => 2,
            };
        }
        if e.downcast_ref::<crate::tui::model::ModelError>().is_some() {
            return 2;
        }
    }
    1
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Segment(args) => segment(args, cli.quiet, true),
        Command::DemoData(args) => demo(args, cli.quiet),
        Command::Config { .. } => {
            std::io::stdout().write_all(DEFAULT_TOML.as_bytes())?;
            Ok(())
        }
        Command::Embed(args) => embed(args, cli.quiet),
        Command::Eval(args) => eval::eval(args, cli.quiet),
        Command::Personas(args) => {
            let config = load_config(args.config.as_deref(), cli.quiet)?;
            let run_seed = read_run_seed(&args.run);
            let opts = persona_options(
                &config,
                &args.persona,
                args.seed.or(run_seed).unwrap_or(config.seed),
                args.threads,
            )?;
            personas(&args.run, &opts, args.persona.format, cli.quiet)
        }
        Command::Run(args) => {
            let out = args.segment.out.clone();
            let threads = args.segment.text.threads;
            let mut format = args.persona.format;
            if args.segment.json {
                format = Format::Json;
            }
            let config = load_config(args.segment.config.as_deref(), true)?;
            let seed = args.segment.seed.unwrap_or(config.seed);
            let opts = persona_options(&config, &args.persona, seed, threads)?;
            if args.tui {
                if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
                    let req = segment_request(&args.segment, true)?;
                    let tui = crate::tui::TuiOptions {
                        run: None,
                        config: req.config.tui.clone(),
                        context: crate::tui::jobs::JobContext {
                            persona: Some(opts),
                            segment: Some(req),
                        },
                        personas_after_pipeline: true,
                    };
                    return Ok(crate::tui::run(tui)?);
                }
                say!("warning: --tui needs a terminal on stdin and stdout; running headless");
            }
            segment(args.segment, cli.quiet, false)?;
            personas(&out, &opts, format, cli.quiet)
        }
        Command::Tui(args) => {
            // A wrong directory or config is reported before the terminal is touched.
            let view = crate::tui::model::RunView::open(&args.run)?;
            let config = load_config(args.config.as_deref(), true)?;
            if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
                return Err(crate::config::ConfigError::Invalid {
                    origin: "command line".into(),
                    message: "seglens tui needs an interactive terminal; in scripts use `seglens personas --run DIR --format md|json`".into(),
                }
                .into());
            }
            let persona = PersonaArgs {
                model: args.model.clone(),
                segments: None,
                format: Format::Md,
                temperature: None,
                parallel: None,
                gpu_layers: None,
                no_tools: false,
                fresh: false,
                prompts: None,
            };
            let opts = persona_options(
                &config,
                &persona,
                view.seed.unwrap_or(config.seed),
                args.threads,
            )?;
            let tui = crate::tui::TuiOptions {
                run: Some(view),
                config: config.tui.clone(),
                context: crate::tui::jobs::JobContext {
                    persona: Some(opts),
                    segment: None,
                },
                personas_after_pipeline: false,
            };
            Ok(crate::tui::run(tui)?)
        }
        Command::Evaluate(args) => {
            let merge: Vec<Vec<String>> = args
                .merge
                .iter()
                .map(|m| m.split('+').map(|s| s.trim().to_string()).collect())
                .collect();
            let agreement = crate::eval::agreement(&args.run, &args.truth, &merge)?;
            if !cli.quiet {
                eprint!("{}", crate::sanitize::text(&agreement.table()));
            }
            out!("{:.4}", agreement.ari);
            Ok(())
        }
    }
}

/// A `seglens.toml` in the working directory is used when `--config` is not given.
const LOCAL_CONFIG: &str = "seglens.toml";

/// `--config FILE`, else ./seglens.toml when present, else the defaults.
fn load_config(path: Option<&std::path::Path>, quiet: bool) -> anyhow::Result<Config> {
    let config_path = path.map(PathBuf::from).or_else(|| {
        let local = PathBuf::from(LOCAL_CONFIG);
        local.is_file().then_some(local)
    });
    if path.is_none() && config_path.is_some() && !quiet {
        say!("using config ./{LOCAL_CONFIG}");
    }
    Ok(Config::load(config_path.as_deref())?)
}

/// The seed recorded in a run's run.json, so personas follow the run's seed by default.
fn read_run_seed(dir: &std::path::Path) -> Option<u64> {
    let bytes = std::fs::read(dir.join(crate::report::RUN)).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("seed")?.as_u64()
}

fn persona_options(
    config: &Config,
    args: &PersonaArgs,
    seed: u64,
    threads: Option<usize>,
) -> anyhow::Result<crate::llm::writer::PersonaOptions> {
    let l = &config.llm;
    let mut prompts_dir = (!l.prompts_dir.is_empty()).then(|| PathBuf::from(&l.prompts_dir));
    if let Some(p) = &args.prompts {
        prompts_dir = Some(p.clone());
    }
    if let Some(p) = &prompts_dir {
        if !p.is_dir() {
            return Err(crate::config::ConfigError::Invalid {
                origin: "command line".into(),
                message: format!("--prompts {} is not a folder", p.display()),
            }
            .into());
        }
    }
    let parallel = args.parallel.unwrap_or(l.parallel);
    let temperature = args.temperature.unwrap_or(l.temperature);
    let mut check = config.clone();
    check.llm.parallel = parallel;
    check.llm.temperature = temperature;
    check_flags(&check)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match threads.unwrap_or(l.threads) {
        0 => cores,
        n => n,
    };
    Ok(crate::llm::writer::PersonaOptions {
        model: args.model.clone().unwrap_or_else(|| l.model.clone()),
        threads,
        gpu_layers: args.gpu_layers.or(u32::try_from(l.gpu_layers).ok()),
        parallel,
        ctx_per_sequence: l.ctx_per_sequence,
        sampling: crate::llm::engine::Sampling {
            temperature,
            top_k: l.top_k,
            top_p: l.top_p,
            min_p: l.min_p,
            repeat_penalty: l.repeat_penalty,
        },
        seed,
        tools: l.tools && !args.no_tools,
        max_tool_calls: l.max_tool_calls,
        threshold: l.grounding_threshold,
        tolerance: crate::llm::grounding::Tolerance { rel: l.tolerance },
        prompts_dir,
        cache_dir: l.cache_dir(),
        fresh: args.fresh,
        segments: args.segments.clone(),
        max_traits: l.max_traits,
        neighbours: l.neighbours,
        name_vote: l.name_vote,
        cancel: None,
    })
}

fn personas(
    run: &std::path::Path,
    opts: &crate::llm::writer::PersonaOptions,
    format: Format,
    quiet: bool,
) -> anyhow::Result<()> {
    use crate::llm::writer::PersonaEvent;
    let reporter = Reporter::new(quiet);
    reporter.report(Progress::Stage("reading the run"));
    let tokens = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let last = std::sync::Mutex::new(std::time::Instant::now());
    let events = |e: PersonaEvent| match e {
        PersonaEvent::Stage(s) => reporter.report(Progress::Detail(s)),
        PersonaEvent::Warning(w) => reporter.report(Progress::Warning(w)),
        PersonaEvent::Text { .. } => {
            let n = tokens.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
            let every = if reporter.bar.is_some() { 200 } else { 5000 };
            if l.elapsed() >= Duration::from_millis(every) {
                *l = std::time::Instant::now();
                reporter.report(Progress::Detail(format!(
                    "generating: {n} pieces, {} replies done, {:.1} pieces/s",
                    done.load(std::sync::atomic::Ordering::Relaxed),
                    n as f64 / started.elapsed().as_secs_f64().max(1e-9)
                )));
            }
        }
        PersonaEvent::Replied { .. } => {
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let result = pipeline::personas(run, opts, &events);
    reporter.finish();
    let result = result?;
    let m = &result.meta;
    if !quiet {
        if let Some(r) = &m.fallback_reason {
            say!(
                "warning: no model could be used ({r}); the personas were written from the profiles \
                 by template and are marked \"not model-written\""
            );
        }
        let flagged = result.personas.iter().filter(|p| p.flagged).count();
        say!(
            "{} persona(s) in {:.1} s: {} from the cache, model {}; {} generated tokens at {:.1} tokens/s; {} flagged",
            result.personas.len(),
            m.wall_ms / 1000.0,
            m.from_cache,
            if m.model_loaded { "loaded" } else { "not loaded" },
            m.generation.generated_tokens,
            m.tokens_per_s,
            flagged
        );
        say!(
            "wrote {} and {}",
            run.join(crate::report::personas::PERSONAS).display(),
            run.join(crate::report::personas::REPORT).display()
        );
    }
    let mut stdout = std::io::stdout().lock();
    let text = match format {
        Format::Md => crate::sanitize::text(&std::fs::read_to_string(
            run.join(crate::report::personas::REPORT),
        )?)
        .into_owned(),
        Format::Json => crate::sanitize::json(crate::report::personas::json(&result)?),
        Format::Jsonl => crate::sanitize::json(crate::report::personas::jsonl(&result)?),
    };
    stdout.write_all(text.as_bytes())?;
    Ok(())
}

/// The request `segment` runs.
fn segment_request(args: &SegmentArgs, quiet: bool) -> anyhow::Result<SegmentRequest> {
    let mut config = load_config(args.config.as_deref(), quiet)?;
    if let Some(k) = args.k {
        config.cluster.k = k;
    }
    if let Some(a) = args.algo {
        config.cluster.algo = a;
    }
    if let Some(sk) = args.sub_k {
        config.cluster.sub_k = sk;
    }
    if let Some(s) = args.seed {
        config.seed = s;
    }
    if let Some(d) = &args.as_of {
        config.features.as_of = d.clone();
    }
    if let Some(w) = args.text_weight {
        config.text.weight = w;
    }
    if args.no_text {
        config.text.enabled = false;
    }
    args.text.apply(&mut config);
    check_flags(&config)?;
    let req = SegmentRequest {
        data: args.data.clone(),
        out: args.out.clone(),
        config,
    };
    Ok(req)
}

fn segment(args: SegmentArgs, quiet: bool, print: bool) -> anyhow::Result<()> {
    let req = segment_request(&args, quiet)?;
    let reporter = Reporter::new(quiet);
    let result = with_threads(args.text.threads, || {
        pipeline::segment(&req, &|p| reporter.report(p))
    })?;
    reporter.finish();
    let result = result?;
    if !print {
        if !quiet {
            say!(
                "segmented {} customers into {} segments; wrote {}",
                result.info.customers,
                result.clustering.k,
                args.out.display()
            );
        }
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let summary = serde_json::json!({
            "out": args.out,
            "customers": result.info.customers,
            "k": result.clustering.k,
            "algo": result.info.algo,
            "quality": result.clustering.quality,
            "k_verdict": result.clustering.k_verdict,
            "seed_stability": result.clustering.seed_stability,
            "k_table": result.clustering.k_table,
            "segments": result.profiles.segments.iter().map(|s| serde_json::json!({
                "id": s.id,
                "size": s.size,
                "share": s.share,
                "traits": s.traits,
                "split": s.split,
                "subsegments": s.children.iter().map(|c| serde_json::json!({
                    "id": c.key(),
                    "size": c.size,
                    "share": c.share,
                    "traits": c.traits,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "warnings": result.info.warnings,
            "text": result.info.text,
            "timings": result.info.timings,
        });
        let json = crate::sanitize::json(serde_json::to_string_pretty(&summary)?);
        writeln!(stdout, "{json}")?;
    } else {
        let mut text = crate::report::summary_table(&result.profiles, &result.clustering);
        if let Some(t) = &result.info.text {
            text.push_str(&crate::text::summary_line(t));
            text.push('\n');
        }
        text.push_str(&format!("\nwrote {}\n", args.out.display()));
        write!(stdout, "{}", crate::sanitize::text(&text))?;
    }
    Ok(())
}

/// Validates a configuration after command-line flags changed it.
fn check_flags(config: &Config) -> Result<(), crate::config::ConfigError> {
    config
        .validate()
        .map_err(|message| crate::config::ConfigError::Invalid {
            origin: "command line".into(),
            message,
        })
}

/// Runs `f` on a rayon pool of `threads` threads (the global pool when `None`).
fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> anyhow::Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => anyhow::bail!("--threads must be at least 1"),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .context("starting the embedding threads")?;
            Ok(pool.install(f))
        }
    }
}

fn embed(args: EmbedArgs, quiet: bool) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref())?;
    args.text.apply(&mut config);
    check_flags(&config)?;
    let reporter = Reporter::new(quiet);
    let texts: Vec<String> = match (&args.texts, &args.data) {
        (Some(file), _) => std::fs::read_to_string(file)
            .with_context(|| format!("reading texts from {}", file.display()))?
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        (None, Some(dir)) => {
            reporter.report(Progress::Stage("loading data"));
            let shop = crate::data::load(dir, &config).map_err(PipelineError::from)?;
            let ids = shop.customer_ids()?;
            let texts = crate::text::collect(&shop, &ids)?;
            texts
                .reviews
                .into_iter()
                .map(|r| r.1)
                .chain(texts.queries.into_iter().map(|q| q.1))
                .collect()
        }
        (None, None) => anyhow::bail!("pass --data DIR or --texts FILE"),
    };
    reporter.report(Progress::Stage("loading the embedding model"));
    let embedder = crate::embed::Embedder::load(&config.text.embed_options())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut cache = match config.text.cache_dir() {
        Some(dir) => match crate::embed::Cache::open(&embedder.cache_path(&dir), embedder.dim()) {
            Ok(c) => Some(c),
            Err(e) => {
                reporter.report(Progress::Warning(format!(
                    "embedding without the cache: {e}"
                )));
                None
            }
        },
        None => None,
    };
    reporter.report(Progress::Stage("embedding"));
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (_, stats) = with_threads(args.text.threads, || {
        embedder.embed_cached(&refs, cache.as_mut(), &|e| {
            reporter.report(Progress::Embedding(e))
        })
    })??;
    if let Some(w) = &stats.cache_warning {
        reporter.report(Progress::Warning(w.clone()));
    }
    reporter.finish();
    if args.json {
        let out = serde_json::json!({
            "model": config.text.model_dir(),
            "device": embedder.device_name(),
            "threads": args.text.threads.unwrap_or_else(rayon::current_num_threads),
            "stats": stats,
        });
        println!(
            "{}",
            crate::sanitize::json(serde_json::to_string_pretty(&out)?)
        );
    } else {
        out!("{}", crate::text::stats_line(&stats));
    }
    Ok(())
}

fn demo(args: DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let opts = crate::demo::DemoOptions {
        customers: args.customers,
        seed: args.seed,
        out: args.out.clone(),
        truth: args.truth,
        events: !args.no_events,
        reviews: !args.no_reviews,
    };
    let reporter = Reporter::new(quiet);
    reporter.report(Progress::Stage("writing demo shop"));
    let (summary, family) = if args.family {
        let (summary, spec) = crate::demo::generate_family(&opts)
            .with_context(|| format!("writing the family shop to {}", args.out.display()))?;
        (summary, Some(spec))
    } else {
        let summary = crate::demo::generate(&opts)
            .with_context(|| format!("writing the demo shop to {}", args.out.display()))?;
        (summary, None)
    };
    reporter.finish();
    if let Some(spec) = family {
        out!(
            "family shop {}: {} archetypes ({}), noise level {:.2}, text-only pairs {:?}; spec in {}",
            spec.seed,
            spec.archetypes.len(),
            spec.names().join(", "),
            spec.noise_level,
            spec.text_only_pairs,
            crate::demo::family_json_path(&summary.truth_path).display()
        );
    }
    out!(
        "wrote {} customers, {} order lines, {} events, {} reviews to {}; truth in {}",
        summary.customers,
        summary.order_lines,
        summary.events,
        summary.reviews,
        args.out.display(),
        summary.truth_path.display()
    );
    Ok(())
}

/// Progress on stderr: a spinner on a terminal, plain lines otherwise (logs, CI), nothing if quiet.
struct Reporter {
    bar: Option<ProgressBar>,
    plain: bool,
    start: std::time::Instant,
    last_line: std::sync::Mutex<std::time::Instant>,
}

impl Reporter {
    fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let bar = (!quiet && tty).then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        Self {
            bar,
            plain: !quiet && !tty,
            start: std::time::Instant::now(),
            last_line: std::sync::Mutex::new(std::time::Instant::now()),
        }
    }

    fn report(&self, p: Progress) {
        let line: String = match &p {
            Progress::Stage(s) => s.to_string(),
            Progress::Detail(d) => format!("  {d}"),
            Progress::Warning(w) => format!("warning: {w}"),
            Progress::Embedding(e) => {
                let line = format!(
                    "  embedding texts {}/{} ({:.0} texts/s, {:.0} tokens/s)",
                    e.done,
                    e.total,
                    e.done as f64 / e.seconds.max(1e-9),
                    e.tokens as f64 / e.seconds.max(1e-9)
                );
                // Plain logs get a line every few seconds, not one per batch.
                let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
                if self.bar.is_none() && e.done < e.total && last.elapsed() < Duration::from_secs(5)
                {
                    return;
                }
                *last = std::time::Instant::now();
                line
            }
        };
        let line = crate::sanitize::text(&line).into_owned();
        if let Some(b) = &self.bar {
            match p {
                Progress::Warning(_) => b.println(line),
                _ => b.set_message(line.trim().to_string()),
            }
        } else if self.plain || matches!(p, Progress::Warning(_)) {
            say!("[{:>6.1}s] {line}", self.start.elapsed().as_secs_f64());
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
