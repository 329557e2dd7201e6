//! Running an evaluation over a run directory: loads what it needs (profiles, personas, the
//! judge model, the sentence model), measures, and writes eval.json and the report section.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::PersonaGrounding;
use super::{
    duplicate_names, grounding_score, judge, judge_score, markdown, most_similar, read_personas,
    Distinctiveness, EvalError, Evaluation, JudgeScore, Stability, TruthScore, EVAL,
};
use crate::llm::grounding;
use crate::llm::tools::RunData;
use crate::llm::{Llm, LoadOptions};
use crate::profile::glossary;

/// Settings of `seglens eval`.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub truth: Option<PathBuf>,
    /// Judge model (manifest name or GGUF path); empty skips judge recovery.
    pub judge: String,
    pub method: judge::Method,
    pub shuffles: usize,
    pub seed: u64,
    pub threads: usize,
    pub gpu_layers: Option<u32>,
    pub parallel: usize,
    pub ctx_per_sequence: u32,
    pub max_traits: usize,
    pub neighbours: usize,
    pub threshold: f64,
    pub tolerance: crate::llm::grounding::Tolerance,
    /// Also judge the segments' plain descriptions in place of the personas (the judge's
    /// ceiling: twice the judge time).
    pub ceiling: bool,
    /// The sentence model for distinctiveness; `None` skips it.
    pub embed: Option<crate::embed::EmbedOptions>,
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> EvalError {
    EvalError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Measures the run in `dir`; `progress` hears each stage in words.
pub fn evaluate(
    dir: &Path,
    opts: &EvalOptions,
    progress: &dyn Fn(&str),
) -> Result<Evaluation, EvalError> {
    let data = RunData::load(dir).map_err(|e| read_err(dir, e))?;
    let (personas, bytes) = read_personas(dir)?;
    let by_key: Vec<&crate::llm::persona::PersonaRecord> = personas
        .personas
        .iter()
        .filter(|p| !p.key.contains('.'))
        .collect();
    let keys: Vec<String> = by_key.iter().map(|p| p.key.clone()).collect();
    let names: Vec<String> = by_key.iter().map(|p| p.persona.name.clone()).collect();
    let k = by_key.len();

    let mut judge_skipped = None;
    let judge = if opts.judge.is_empty() {
        judge_skipped = Some("no judge model given".to_string());
        None
    } else if k < 2 {
        judge_skipped = Some("fewer than two personas".to_string());
        None
    } else {
        match judge_recovery(&data, &by_key, opts, progress) {
            Ok(j) => Some(j),
            Err(e) => {
                judge_skipped = Some(e);
                None
            }
        }
    };

    let distinctiveness = {
        let mut d = Distinctiveness {
            max_summary_similarity: None,
            most_similar: None,
            duplicate_names: duplicate_names(&names),
        };
        if let (Some(eo), true) = (&opts.embed, k >= 2) {
            progress("embedding persona summaries");
            let emb = crate::embed::Embedder::load(eo).map_err(|e| read_err(&eo.model_dir, e))?;
            let texts: Vec<&str> = by_key.iter().map(|p| p.persona.summary.as_str()).collect();
            let (v, _) = emb
                .embed(&texts, &|_| {})
                .map_err(|e| read_err(&eo.model_dir, e))?;
            if let Some((c, i, j)) = most_similar(&v, emb.dim()) {
                d.max_summary_similarity = Some(c);
                d.most_similar = Some((keys[i].clone(), keys[j].clone()));
            }
        }
        d
    };

    progress("checking every claim");
    let categories = data.categories();
    let mut regrounded = Vec::with_capacity(personas.personas.len());
    for p in &personas.personas {
        let Some(s) = data.by_key(&p.key) else {
            continue;
        };
        let extra: String = p
            .tools
            .iter()
            .map(|t| format!("{}\n", crate::llm::tools::evidence(&data, &t.call)))
            .collect();
        let facts = grounding::facts_for(
            s,
            &data.profiles,
            data.segment_count(),
            opts.neighbours,
            &extra,
        );
        // Facts that are the card's own statements were not written by the model.
        let mut persona = p.persona.clone();
        if persona.facts == crate::llm::prompt::card_facts(s, opts.max_traits) {
            persona.facts.clear();
        }
        let g = grounding::check(&persona, s, &facts, &categories, opts.tolerance);
        let top = grounding::strongest_feature(s)
            .map(|f| glossary::term(&f.name, &f.description).plain)
            .unwrap_or_default();
        regrounded.push(PersonaGrounding {
            key: p.key.clone(),
            name: p.persona.name.clone(),
            checked: g.checked,
            supported: g.supported,
            contradicted: g.contradicted,
            flagged: g.flagged(opts.threshold),
            names_strongest_trait: grounding::names_strongest_trait(&g, s),
            strongest_trait: top,
        });
    }

    let run_json = dir.join(crate::report::RUN);
    let seed_stability = std::fs::read(&run_json)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("seed_stability").and_then(serde_json::Value::as_f64));

    let truth = match &opts.truth {
        Some(t) => {
            progress("scoring against the truth");
            let a = super::agreement(dir, t, &[])?;
            Some(TruthScore {
                truth: t.clone(),
                ari: a.ari,
                nmi: super::truth::nmi(&a.counts),
            })
        }
        None => None,
    };

    Ok(Evaluation {
        personas_sha256: crate::util::sha256_hex(&bytes),
        seed: opts.seed,
        segments: k,
        judge,
        judge_skipped,
        grounding: grounding_score(regrounded),
        distinctiveness,
        stability: Stability {
            segments_across_seeds: seed_stability,
        },
        truth,
    })
}

fn judge_recovery(
    data: &RunData,
    personas: &[&crate::llm::persona::PersonaRecord],
    opts: &EvalOptions,
    progress: &dyn Fn(&str),
) -> Result<JudgeScore, String> {
    let start = Instant::now();
    let file = crate::llm::resolve_model(&opts.judge).map_err(|e| e.to_string())?;
    progress(&format!("loading the judge {}", file.name));
    let llm = Llm::load(
        &file,
        &LoadOptions {
            threads: opts.threads,
            gpu_layers: opts.gpu_layers,
        },
    )
    .map_err(|e| e.to_string())?;
    let mut cards = Vec::with_capacity(personas.len());
    let mut plain = Vec::with_capacity(personas.len());
    for p in personas {
        let s = data
            .by_key(&p.key)
            .ok_or_else(|| format!("segment {} of personas.json is not in segments.json", p.key))?;
        let card = crate::llm::prompt::card(s, opts.max_traits);
        cards.push(judge::card_text(&card));
        plain.push((String::new(), crate::llm::naming::description(&card)));
    }
    let options: Vec<(String, String)> = personas
        .iter()
        .map(|p| (p.persona.name.clone(), p.persona.summary.clone()))
        .collect();
    let k = personas.len();
    // Pairs: one trial per segment (no order to shuffle). List: `shuffles` orders per segment.
    let (trials, shuffles) = match opts.method {
        judge::Method::Pairs => (
            (0..k)
                .map(|segment| judge::Trial {
                    segment,
                    order: (0..k).collect(),
                })
                .collect::<Vec<_>>(),
            1,
        ),
        judge::Method::List => (
            judge::trials(k, opts.shuffles.max(1), opts.seed),
            opts.shuffles.max(1),
        ),
    };
    let ask = |options: &[(String, String)], what: &str| -> Result<Vec<Option<usize>>, String> {
        match opts.method {
            judge::Method::Pairs => {
                let m = judge::run_pairs(
                    &llm,
                    &cards,
                    options,
                    opts.parallel,
                    opts.ctx_per_sequence,
                    &|done, all| {
                        if done < all {
                            progress(&format!(
                                "judging {what}: segment {} of {all} against {k} personas",
                                done + 1
                            ));
                        }
                    },
                )
                .map_err(|e| e.to_string())?;
                Ok(judge::pair_picks(&m))
            }
            judge::Method::List => {
                progress(&format!("judging {what}: {} trials", trials.len()));
                judge::run(
                    &llm,
                    &cards,
                    options,
                    &trials,
                    opts.parallel,
                    opts.ctx_per_sequence,
                )
                .map_err(|e| e.to_string())
            }
        }
    };
    let picks = ask(&options, "the personas")?;
    let ceiling = if opts.ceiling {
        let picks = ask(
            &plain,
            "plain descriptions instead of personas (the judge's ceiling)",
        )?;
        let hits = trials
            .iter()
            .zip(&picks)
            .filter(|(t, p)| **p == Some(t.segment))
            .count();
        Some(hits as f64 / trials.len().max(1) as f64)
    } else {
        None
    };
    let keys: Vec<String> = personas.iter().map(|p| p.key.clone()).collect();
    let names: Vec<String> = personas.iter().map(|p| p.persona.name.clone()).collect();
    let (accuracy, unusable, segments, confusions) = judge_score(&trials, &picks, &keys, &names);
    Ok(JudgeScore {
        model: file.name,
        method: opts.method,
        shuffles,
        accuracy,
        chance: 1.0 / personas.len() as f64,
        unusable,
        segments,
        confusions,
        positions: match opts.method {
            judge::Method::List => super::positions(&trials, &picks),
            judge::Method::Pairs => Vec::new(),
        },
        ceiling,
        wall_s: start.elapsed().as_secs_f64(),
    })
}

/// Writes eval.json and replaces the Evaluation section of report.md (each file atomically).
pub fn write(dir: &Path, e: &Evaluation) -> Result<(), EvalError> {
    let json = serde_json::to_string_pretty(e).map_err(|x| read_err(&dir.join(EVAL), x))?;
    let json = crate::sanitize::json(json) + "\n";
    let path = dir.join(EVAL);
    crate::util::write_atomic(&path, json.as_bytes()).map_err(|x| read_err(&path, x))?;
    let report = dir.join(crate::report::personas::REPORT);
    if let Ok(md) = std::fs::read_to_string(&report) {
        let kept = md
            .split("\n## Evaluation\n")
            .next()
            .unwrap_or(&md)
            .trim_end();
        let out = crate::sanitize::text(&format!("{kept}\n{}", markdown(e))).into_owned();
        crate::util::write_atomic(&report, out.as_bytes()).map_err(|x| read_err(&report, x))?;
    }
    Ok(())
}
