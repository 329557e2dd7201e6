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

#[test]
fn the_checker_finds_contradictions_in_labelled_claims() {
    let v = verdicts();
    let n = v.len();
    let labelled = v.iter().filter(|x| x.1 == "contradicted").count();
    let flagged = v.iter().filter(|x| x.2 == Verdict::Contradicted).count();
    let hits = v
        .iter()
        .filter(|x| x.1 == "contradicted" && x.2 == Verdict::Contradicted)
        .count();
    let precision = hits as f64 / flagged.max(1) as f64;
    let recall = hits as f64 / labelled.max(1) as f64;
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
        "{n} clauses, {labelled} labelled contradicted, {flagged} flagged: precision {precision:.3}, \
         recall {recall:.3}\nmissed:\n  {}\nwrongly flagged:\n  {}",
        missed.join("\n  "),
        wrong.join("\n  ")
    );
    assert!(
        labelled >= 10,
        "too few contradictions to measure: {labelled}"
    );
    assert!(recall >= 0.9, "recall {recall:.3}");
    assert!(precision >= 0.9, "precision {precision:.3}");
}
