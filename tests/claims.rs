//! The grounding checker against claims labelled by reading the profile: personas written by
//! both shipped models on the demo shop and on a generated family shop, cut into clauses the way
//! the checker cuts them, each labelled supported / contradicted / unverifiable
//! (tests/fixtures/claims/README.md says how they were made and labelled).
//!
//! A clause counts as flagged when the checker finds any contradicted claim in it. The bars are
//! the goal, 0.9 on both (README, "Grounding", gives today's figures and says which
//! clauses were used to design the rules and which were held out).

use std::collections::BTreeMap;
use std::path::PathBuf;

use seglens::llm::grounding::{self, Tolerance, Verdict};
use seglens::llm::persona::Persona;
use seglens::profile::Profiles;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claims")
}

/// A persona holding only `text` in `field` ("summary", "facts[2]", ...).
fn persona_with(field: &str, text: &str) -> Persona {
    let mut p = Persona::default();
    let t = text.to_string();
    match field.split('[').next().unwrap_or(field) {
        "name" => p.name = t,
        "tagline" => p.tagline = t,
        "summary" => p.summary = t,
        "facts" => p.facts = vec![t],
        "motivations" => p.motivations = vec![t],
        "pain_points" => p.pain_points = vec![t],
        other => panic!("unknown field {other}"),
    }
    p
}

/// (label, checker's verdict) for every labelled clause of every source.
fn verdicts() -> Vec<(String, String, Verdict, String)> {
    let mut out = Vec::new();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".labels.jsonl"))
        .collect();
    sources.sort();
    assert!(
        !sources.is_empty(),
        "no labelled claims in {}",
        fixtures().display()
    );
    for path in sources {
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".labels.jsonl", "");
        let profiles: Profiles = serde_json::from_slice(
            &std::fs::read(fixtures().join(format!("{name}.segments.json"))).unwrap(),
        )
        .unwrap();
        let tools: BTreeMap<String, String> = serde_json::from_slice(
            &std::fs::read(fixtures().join(format!("{name}.tools.json"))).unwrap(),
        )
        .unwrap();
        // The checker grounds on `tools::evidence`, the figures a tool computed. These recorded
        // results are compare, feature and top_products answers with the sampled reviews taken
        // out, as `tools::evidence` does; a recorded line that echoes the model (a members
        // filter) or quotes a review would let a clause support itself, so it is refused here.
        for (key, text) in &tools {
            for l in text.lines() {
                assert!(
                    l.starts_with("segment ")
                        || l.contains(" of members bought it vs ")
                        || l.contains(": segment mean "),
                    "{name}.tools.json {key}: not a tool-computed line: {l}"
                );
            }
        }
        let mut by_key = BTreeMap::new();
        for s in &profiles.segments {
            by_key.insert(s.key(), s.clone());
            for c in &s.children {
                by_key.insert(c.key(), c.clone());
            }
        }
        let categories = profiles.categories();
        let k = profiles.segments.iter().filter(|s| s.id >= 0).count();
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let label = v["label"].as_str().unwrap().to_string();
            let key = v["segment"].as_str().unwrap();
            let s = &by_key[key];
            let extra = tools.get(key).map(String::as_str).unwrap_or("");
            let facts = grounding::facts_for(s, &profiles, k, 2, extra);
            let field = v["field"].as_str().unwrap();
            let clause = v["clause"].as_str().unwrap();
            let g = grounding::check(
                &persona_with(field, v["text"].as_str().unwrap()),
                s,
                &facts,
                &categories,
                Tolerance::default(),
            );
            let mine: Vec<&grounding::Claim> =
                g.claims.iter().filter(|c| c.context == clause).collect();
            let verdict = if mine.iter().any(|c| c.verdict == Verdict::Contradicted) {
                Verdict::Contradicted
            } else if mine.iter().any(|c| c.verdict == Verdict::Supported) {
                Verdict::Supported
            } else {
                Verdict::Unverifiable
            };
            let contradicted = label == "contradicted";
            if std::env::var_os("SEGLENS_CLAIMS_DEBUG").is_some()
                && contradicted != (verdict == Verdict::Contradicted)
            {
                eprintln!("{} [{label}] {clause}", v["id"].as_str().unwrap());
                for c in &mine {
                    eprintln!(
                        "    {} {:?} {:?} -> {}",
                        c.verdict.word(),
                        c.claim,
                        c.feature,
                        c.evidence
                    );
                }
            }
            out.push((
                v["id"].as_str().unwrap().to_string(),
                label,
                verdict,
                clause.to_string(),
            ));
        }
    }
    out
}

/// Sources whose clauses were read while the checker's rules were designed; every other source
/// was labelled after the rules were fixed and is held out.
const DEVELOPMENT: [&str; 2] = ["demo-qwen-", "fam-qwen-"];

/// (clauses, labelled contradicted, flagged, flagged and labelled contradicted).
fn score<'a>(v: impl Iterator<Item = &'a (String, String, Verdict, String)>) -> [usize; 4] {
    v.fold([0; 4], |[n, l, f, h], x| {
        let (lab, flag) = (x.1 == "contradicted", x.2 == Verdict::Contradicted);
        [
            n + 1,
            l + lab as usize,
            f + flag as usize,
            h + (lab && flag) as usize,
        ]
    })
}

/// (precision, recall), printed with the counts.
fn figures(what: &str, [n, labelled, flagged, hits]: [usize; 4]) -> (f64, f64) {
    let precision = hits as f64 / flagged.max(1) as f64;
    let recall = hits as f64 / labelled.max(1) as f64;
    eprintln!(
        "{what}: {n} clauses, {labelled} labelled contradicted, {flagged} flagged: \
         precision {precision:.3}, recall {recall:.3}"
    );
    (precision, recall)
}

#[test]
fn the_checker_finds_contradictions_in_labelled_claims() {
    let v = verdicts();
    let dev =
        |x: &&(String, String, Verdict, String)| DEVELOPMENT.iter().any(|d| x.0.starts_with(d));
    let missed: Vec<String> = v
        .iter()
        .filter(|x| x.1 == "contradicted" && x.2 != Verdict::Contradicted)
        .map(|x| format!("{}: {}", x.0, x.3))
        .collect();
    let wrong: Vec<String> = v
        .iter()
        .filter(|x| x.1 != "contradicted" && x.2 == Verdict::Contradicted)
        .map(|x| format!("{} ({}): {}", x.0, x.1, x.3))
        .collect();
    eprintln!(
        "missed:\n  {}\nwrongly flagged:\n  {}",
        missed.join("\n  "),
        wrong.join("\n  ")
    );
    let d = score(v.iter().filter(dev));
    let h = score(v.iter().filter(|x| !dev(x)));
    let (dp, dr) = figures("development", d);
    let (hp, hr) = figures("held out", h);
    figures("all", score(v.iter()));
    assert!(
        d[1] >= 10 && h[1] >= 10,
        "too few contradictions to measure"
    );
    // The goal, met on the clauses the rules were designed on.
    assert!(
        dr >= 0.9 && dp >= 0.9,
        "development: precision {dp:.3}, recall {dr:.3}"
    );
    // Held out: today's measured floor (README, "Grounding"), far from the goal.
    assert!(
        hr >= HELD_OUT_FLOOR && hp >= HELD_OUT_FLOOR,
        "held out: precision {hp:.3}, recall {hr:.3}"
    );
}

/// Today's held-out figures, rounded down: a regression fails; the goal is 0.9.
const HELD_OUT_FLOOR: f64 = 0.3;
