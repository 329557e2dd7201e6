//! `seglens eval`: how well a run measures up, written to `eval.json` and a report section.
//!
//! - *Judge recovery*: for each segment a judge model picks, among all personas' names and
//!   summaries shuffled, the one that describes the segment's card ([`judge`]); top-1 accuracy
//!   against chance (1/K) and the pairs it confuses.
//! - *Grounding*: the checker's verdicts per persona and overall (supported, contradicted).
//! - *Distinctiveness*: the most similar two persona summaries (the run's sentence model) and
//!   duplicate names.
//! - *Stability*: of the segments across seeds, from run.json.
//! - With `truth.csv`: ARI and NMI against the planted archetypes ([`truth`]).

pub mod judge;
pub mod run;
pub mod truth;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use truth::{agreement, ari_against_truth, Agreement, EvalError};

use crate::llm::writer::PersonaRun;

/// The evaluation file in a run directory.
pub const EVAL: &str = "eval.json";

/// Judge recovery of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeSegment {
    pub key: String,
    pub name: String,
    pub correct: usize,
    pub trials: usize,
    /// Times each other persona (by segment key) was picked instead.
    pub mistaken_for: BTreeMap<String, usize>,
}

/// Judge recovery over all segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeScore {
    pub model: String,
    /// How the judge was asked ([`judge::Method`]).
    #[serde(default = "list_method")]
    pub method: judge::Method,
    pub shuffles: usize,
    /// Correct picks / trials.
    pub accuracy: f64,
    /// 1 / K: what picking at random scores.
    pub chance: f64,
    /// Trials whose reply was not a usable number (counted as wrong).
    pub unusable: usize,
    pub segments: Vec<JudgeSegment>,
    /// The most frequent confusions: (segment, persona picked instead, times).
    pub confusions: Vec<Confusion>,
    /// Picks per shown position (1st, 2nd, ...) over all trials: a judge that reads the list
    /// picks every position about equally often; one that favours a position is guessing.
    #[serde(default)]
    pub positions: Vec<usize>,
    /// The judge's own ceiling: its accuracy on the same trials when each persona is replaced
    /// by its segment's plain description (what a perfect persona would say). Recovery is only
    /// as informative as this is high.
    #[serde(default)]
    pub ceiling: Option<f64>,
    pub wall_s: f64,
}

/// Picks per shown position: `picks[t]` is a persona index, found in `trials[t].order`.
pub fn positions(trials: &[judge::Trial], picks: &[Option<usize>]) -> Vec<usize> {
    let k = trials.first().map_or(0, |t| t.order.len());
    let mut out = vec![0; k];
    for (t, p) in trials.iter().zip(picks) {
        if let Some(at) = p.and_then(|p| t.order.iter().position(|&o| o == p)) {
            out[at] += 1;
        }
    }
    out
}

fn list_method() -> judge::Method {
    judge::Method::List
}

/// A confusion of the judge: (segment, persona picked instead, times).
pub type Confusion = (String, String, usize);

/// Scores judge picks: `picks[t]` is the persona index chosen in trial `t` (`None`: unusable).
/// Returns the accuracy, the unusable replies, per-segment figures and the top confusions.
pub fn judge_score(
    trials: &[judge::Trial],
    picks: &[Option<usize>],
    keys: &[String],
    names: &[String],
) -> (f64, usize, Vec<JudgeSegment>, Vec<Confusion>) {
    let k = keys.len();
    let mut segs: Vec<JudgeSegment> = (0..k)
        .map(|i| JudgeSegment {
            key: keys[i].clone(),
            name: names[i].clone(),
            correct: 0,
            trials: 0,
            mistaken_for: BTreeMap::new(),
        })
        .collect();
    let mut unusable = 0;
    for (t, p) in trials.iter().zip(picks) {
        let s = &mut segs[t.segment];
        s.trials += 1;
        match p {
            Some(p) if *p == t.segment => s.correct += 1,
            Some(p) => *s.mistaken_for.entry(keys[*p].clone()).or_default() += 1,
            None => unusable += 1,
        }
    }
    let total: usize = segs.iter().map(|s| s.trials).sum();
    let correct: usize = segs.iter().map(|s| s.correct).sum();
    let mut confusions: Vec<Confusion> = segs
        .iter()
        .flat_map(|s| {
            s.mistaken_for
                .iter()
                .map(|(o, n)| (s.key.clone(), o.clone(), *n))
        })
        .collect();
    confusions.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    confusions.truncate(8);
    let acc = if total == 0 {
        0.0
    } else {
        correct as f64 / total as f64
    };
    (acc, unusable, segs, confusions)
}

/// The checker's verdict on one persona.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonaGrounding {
    pub key: String,
    pub name: String,
    pub checked: usize,
    pub supported: usize,
    pub contradicted: usize,
    pub flagged: bool,
    /// Whether its name, tagline or summary says what sets the segment apart most.
    pub names_strongest_trait: bool,
    /// That feature, in plain words.
    pub strongest_trait: String,
}

/// Grounding over all personas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundingScore {
    pub checked: usize,
    pub supported: usize,
    pub contradicted: usize,
    /// supported / checked.
    pub precision: f64,
    pub flagged: usize,
    /// Personas whose name, tagline or summary names the segment's strongest trait.
    pub strongest_trait_named: usize,
    pub personas: Vec<PersonaGrounding>,
}

/// How far apart the personas are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distinctiveness {
    /// The largest cosine similarity between two personas' summaries.
    pub max_summary_similarity: Option<f64>,
    /// The two segments behind it.
    pub most_similar: Option<(String, String)>,
    /// Names used by more than one persona (compared without case and segment suffixes).
    pub duplicate_names: Vec<String>,
}

/// Stability figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Mean ARI of the segmentation against refits with other seeds (run.json).
    pub segments_across_seeds: Option<f64>,
}

/// Agreement with planted truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthScore {
    pub truth: PathBuf,
    pub ari: f64,
    pub nmi: f64,
}

/// Everything `seglens eval` measured. Grounding is re-checked with this build's checker, so
/// personas written by an older build are judged by the same rules as new ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// sha256 of the personas.json evaluated: a later persona run makes this file stale.
    pub personas_sha256: String,
    pub seed: u64,
    pub segments: usize,
    pub judge: Option<JudgeScore>,
    /// Why there is no judge score, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_skipped: Option<String>,
    pub grounding: GroundingScore,
    pub distinctiveness: Distinctiveness,
    pub stability: Stability,
    pub truth: Option<TruthScore>,
}

/// Grounding figures over the personas' verdicts.
pub fn grounding_score(personas: Vec<PersonaGrounding>) -> GroundingScore {
    let checked = personas.iter().map(|p| p.checked).sum();
    let supported = personas.iter().map(|p| p.supported).sum();
    GroundingScore {
        checked,
        supported,
        contradicted: personas.iter().map(|p| p.contradicted).sum(),
        precision: if checked == 0 {
            1.0
        } else {
            supported as f64 / checked as f64
        },
        flagged: personas.iter().filter(|p| p.flagged).count(),
        strongest_trait_named: personas.iter().filter(|p| p.names_strongest_trait).count(),
        personas,
    }
}

/// A name without case, punctuation or a "(Segment N)" suffix, for spotting duplicates.
fn name_key(name: &str) -> String {
    let base = name.split(" (Segment").next().unwrap_or(name);
    base.chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Names shared by two or more personas.
pub fn duplicate_names(names: &[String]) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for n in names {
        *seen.entry(name_key(n)).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(k, n)| *n > 1 && !k.is_empty())
        .map(|(k, _)| k)
        .collect()
}

/// The most similar pair among unit vectors `v` (row-major, `dim` wide): (cosine, i, j).
pub fn most_similar(v: &[f32], dim: usize) -> Option<(f64, usize, usize)> {
    let n = v.len().checked_div(dim).unwrap_or(0);
    let mut best: Option<(f64, usize, usize)> = None;
    for i in 0..n {
        for j in i + 1..n {
            let c: f32 = v[i * dim..(i + 1) * dim]
                .iter()
                .zip(&v[j * dim..(j + 1) * dim])
                .map(|(a, b)| a * b)
                .sum();
            let c = f64::from(c);
            if best.is_none_or(|b| c > b.0) {
                best = Some((c, i, j));
            }
        }
    }
    best
}

/// The Markdown "Evaluation" section of report.md.
pub fn markdown(e: &Evaluation) -> String {
    let mut out = String::from("\n## Evaluation\n\n");
    let _ = writeln!(
        out,
        "`seglens eval`, seed {}, {} segments.\n",
        e.seed, e.segments
    );
    match (&e.judge, &e.judge_skipped) {
        (Some(j), _) => {
            let _ = writeln!(
                out,
                "- **Judge recovery**: {:.0}% of {} trials ({}, judge {}); chance is {:.0}%.{}",
                j.accuracy * 100.0,
                j.segments.iter().map(|s| s.trials).sum::<usize>(),
                match j.method {
                    judge::Method::Pairs => {
                        "each card against each persona, yes or no, margins centred per persona"
                            .to_string()
                    }
                    judge::Method::List =>
                        format!("a shuffled list, {} orders per segment", j.shuffles),
                },
                j.model,
                j.chance * 100.0,
                if j.unusable > 0 {
                    format!(" {} replies were unusable and count as wrong.", j.unusable)
                } else {
                    String::new()
                }
            );
            if let Some(c) = j.ceiling {
                let _ = writeln!(
                    out,
                    "  - the judge's ceiling (plain descriptions of the segments in place of the \
                     personas): {:.0}%{}",
                    c * 100.0,
                    if c < 2.0 * j.chance {
                        "; this judge barely reads the list, so recovery says little here"
                    } else {
                        ""
                    }
                );
            }
            if !j.positions.is_empty() {
                let _ = writeln!(
                    out,
                    "  - picks by shown position: {}",
                    j.positions
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" / ")
                );
            }
            for s in &j.segments {
                let _ = writeln!(
                    out,
                    "  - segment {} ({}): {} of {}{}",
                    s.key,
                    s.name,
                    s.correct,
                    s.trials,
                    if s.mistaken_for.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; taken for {}",
                            s.mistaken_for
                                .iter()
                                .map(|(k, n)| format!("{k} ({n}x)"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                );
            }
        }
        (None, Some(why)) => {
            let _ = writeln!(out, "- **Judge recovery**: not measured ({why}).");
        }
        (None, None) => {}
    }
    let g = &e.grounding;
    let _ = writeln!(
        out,
        "- **Grounding**: {} of {} checked claims supported ({:.0}%), {} contradicted; {} of {} \
         personas flagged.",
        g.supported,
        g.checked,
        g.precision * 100.0,
        g.contradicted,
        g.flagged,
        g.personas.len()
    );
    let _ = writeln!(
        out,
        "- **Strongest trait named** (name, tagline or summary): {} of {} personas{}.",
        g.strongest_trait_named,
        g.personas.len(),
        {
            let missed: Vec<String> = g
                .personas
                .iter()
                .filter(|p| !p.names_strongest_trait)
                .map(|p| format!("{} ({})", p.key, p.strongest_trait))
                .collect();
            if missed.is_empty() {
                String::new()
            } else {
                format!("; missed: {}", missed.join(", "))
            }
        }
    );
    let d = &e.distinctiveness;
    if let (Some(s), Some((a, b))) = (d.max_summary_similarity, &d.most_similar) {
        let _ = writeln!(
            out,
            "- **Distinctiveness**: the most similar summaries are segments {a} and {b} \
             (cosine {s:.2}); duplicate names: {}.",
            if d.duplicate_names.is_empty() {
                "none".to_string()
            } else {
                d.duplicate_names.join(", ")
            }
        );
    }
    if let Some(s) = e.stability.segments_across_seeds {
        let _ = writeln!(
            out,
            "- **Stability**: segments across seeds, mean ARI {s:.3}."
        );
    }
    if let Some(t) = &e.truth {
        let _ = writeln!(
            out,
            "- **Against the truth** ({}): ARI {:.3}, NMI {:.3}.",
            t.truth.display(),
            t.ari,
            t.nmi
        );
    }
    out
}

/// Reads a run's personas.json.
pub fn read_personas(run: &Path) -> Result<(PersonaRun, Vec<u8>), EvalError> {
    let path = run.join(crate::report::personas::PERSONAS);
    let bytes = std::fs::read(&path).map_err(|e| EvalError::Read {
        path: path.display().to_string(),
        message: format!(
            "{e}; write personas first with `seglens personas --run {}`",
            run.display()
        ),
    })?;
    let parsed = serde_json::from_slice(&bytes).map_err(|e| EvalError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok((parsed, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: usize) -> Vec<String> {
        (0..k).map(|i| i.to_string()).collect()
    }

    #[test]
    fn judge_accuracy_counts_right_picks_and_confusions() {
        let t = judge::trials(3, 2, 1);
        let right: Vec<Option<usize>> = t.iter().map(|t| Some(t.segment)).collect();
        let (acc, unusable, segs, conf) = judge_score(&t, &right, &keys(3), &keys(3));
        assert_eq!((acc, unusable), (1.0, 0));
        assert!(conf.is_empty() && segs.iter().all(|s| s.correct == 2));
        // Every segment's persona swapped with the next one's: nothing is recovered.
        let swapped: Vec<Option<usize>> = t.iter().map(|t| Some((t.segment + 1) % 3)).collect();
        let (acc, _, _, conf) = judge_score(&t, &swapped, &keys(3), &keys(3));
        assert_eq!(acc, 0.0);
        assert_eq!(conf[0].2, 2);
        let none = vec![None; t.len()];
        let (acc, unusable, _, _) = judge_score(&t, &none, &keys(3), &keys(3));
        assert_eq!((acc, unusable), (0.0, 6));
    }

    #[test]
    fn positions_count_where_the_pick_was_shown() {
        let t = vec![
            judge::Trial {
                segment: 0,
                order: vec![2, 0, 1],
            },
            judge::Trial {
                segment: 1,
                order: vec![1, 2, 0],
            },
        ];
        // Persona 2 was shown first in trial 0; persona 0 shown third in trial 1.
        assert_eq!(positions(&t, &[Some(2), Some(0)]), vec![1, 0, 1]);
        assert_eq!(positions(&t, &[None, Some(1)]), vec![1, 0, 0]);
    }

    #[test]
    fn random_picks_score_about_chance() {
        use rand::{Rng, SeedableRng};
        let k = 8;
        let t = judge::trials(k, 200, 3);
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let picks: Vec<Option<usize>> = t.iter().map(|_| Some(rng.gen_range(0..k))).collect();
        let (acc, ..) = judge_score(&t, &picks, &keys(k), &keys(k));
        assert!((acc - 1.0 / k as f64).abs() < 0.03, "{acc}");
    }

    #[test]
    fn duplicate_names_ignore_case_and_segment_suffix() {
        let names = vec![
            "Zebra Monarchs".to_string(),
            "zebra monarchs (Segment 4)".to_string(),
            "Night Owls".to_string(),
        ];
        assert_eq!(duplicate_names(&names), vec!["zebra monarchs".to_string()]);
    }

    #[test]
    fn the_most_similar_pair_is_found() {
        let v = [1.0f32, 0.0, 0.0, 1.0, 0.6, 0.8];
        let (c, i, j) = most_similar(&v, 2).unwrap();
        assert_eq!((i, j), (1, 2));
        assert!((c - 0.8).abs() < 1e-6);
        assert!(most_similar(&[1.0, 0.0], 2).is_none());
    }
}
