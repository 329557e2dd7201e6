//! `seglens eval`: the command line of [`crate::eval::run`].

use std::path::PathBuf;

use clap::Args;

use super::{load_config, Progress, Reporter};
use crate::eval::run::{evaluate, write, EvalOptions};

#[derive(Debug, Args)]
pub(super) struct EvalArgs {
    /// A run directory with personas (written by `seglens personas` or `seglens run`).
    #[arg(long, value_name = "DIR")]
    run: PathBuf,
    /// truth.csv with customer_id, archetype (from `seglens demo-data`): adds ARI and NMI.
    #[arg(long, value_name = "PATH")]
    truth: Option<PathBuf>,
    /// Judge model: a name from models/manifest.toml or a GGUF file (default: the persona
    /// model of [llm]); "none" skips judge recovery.
    #[arg(long, value_name = "NAME|PATH")]
    judge: Option<String>,
    /// How the judge is asked: "pairs" (each card against each persona, yes or no; no order to
    /// favour) or "list" (every persona in a shuffled list, pick one number).
    #[arg(long, default_value = "pairs", value_parser = ["pairs", "list"])]
    method: String,
    /// Shuffles of the persona list per segment (with --method list).
    #[arg(long, value_name = "N", default_value_t = 3)]
    shuffles: usize,
    /// Seed of the shuffles (default: the run's seed).
    #[arg(long)]
    seed: Option<u64>,
    /// CPU threads for the judge (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Skip the summaries' similarity (it loads the sentence model).
    #[arg(long)]
    no_similarity: bool,
    /// Skip the judge's ceiling (the same trials with plain segment descriptions in place of the
    /// personas; it doubles the judge's time).
    #[arg(long)]
    no_ceiling: bool,
    /// Print eval.json instead of the summary.
    #[arg(long)]
    json: bool,
    /// A seglens.toml ([llm] and [text]); ./seglens.toml is used when present.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub(super) fn eval(args: EvalArgs, quiet: bool) -> anyhow::Result<()> {
    let config = load_config(args.config.as_deref(), quiet)?;
    let l = &config.llm;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let judge = match args.judge.as_deref() {
        Some("none") => String::new(),
        Some(m) => m.to_string(),
        None => l.model.clone(),
    };
    let opts = EvalOptions {
        truth: args.truth.clone(),
        judge,
        shuffles: args.shuffles.max(1),
        seed: args
            .seed
            .or_else(|| super::read_run_seed(&args.run))
            .unwrap_or(config.seed),
        threads: match args.threads.unwrap_or(l.threads) {
            0 => cores,
            n => n,
        },
        gpu_layers: u32::try_from(l.gpu_layers).ok(),
        parallel: l.parallel,
        ctx_per_sequence: l.ctx_per_sequence,
        max_traits: l.max_traits,
        neighbours: l.neighbours,
        threshold: l.grounding_threshold,
        tolerance: crate::llm::grounding::Tolerance { rel: l.tolerance },
        ceiling: !args.no_ceiling,
        method: crate::eval::judge::Method::parse(&args.method)
            .unwrap_or(crate::eval::judge::Method::Pairs),
        embed: (!args.no_similarity).then(|| config.text.embed_options()),
    };
    let reporter = Reporter::new(quiet);
    let e = evaluate(&args.run, &opts, &|s| {
        reporter.report(Progress::Detail(s.to_string()))
    })?;
    write(&args.run, &e)?;
    reporter.finish();
    if args.json {
        println!(
            "{}",
            crate::sanitize::json(serde_json::to_string_pretty(&e)?)
        );
    } else {
        print!(
            "{}",
            crate::sanitize::text(crate::eval::markdown(&e).trim_start())
        );
        if !quiet {
            say!("wrote {}", args.run.join(crate::eval::EVAL).display());
        }
    }
    Ok(())
}
