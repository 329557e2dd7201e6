//! Persona outputs: `personas.json` (everything, for scripts), `report.md` (for people) and the
//! JSON-lines form printed by `--format jsonl`. Both files are written atomically.

use std::fmt::Write as _;
use std::path::Path;

use crate::llm::persona::{Origin, PersonaRecord};
use crate::llm::tools::RunData;
use crate::llm::writer::PersonaRun;
use crate::profile::{fmt_num, SegmentProfile};

use super::ReportError;

pub const PERSONAS: &str = "personas.json";
pub const REPORT: &str = "report.md";

/// Writes `personas.json` and `report.md` into the run directory.
pub fn write(dir: &Path, run: &PersonaRun, data: &RunData) -> Result<(), ReportError> {
    let json = json(run).map_err(|e| ReportError::Encode {
        path: dir.join(PERSONAS),
        message: e.to_string(),
    })?;
    let md = crate::sanitize::text(&markdown(run, data)).into_owned();
    for (name, bytes) in [(PERSONAS, json.as_bytes()), (REPORT, md.as_bytes())] {
        let path = dir.join(name);
        crate::util::write_atomic(&path, bytes).map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// personas.json's text: no raw control character from the data (see [`crate::sanitize::json`]).
pub fn json(run: &PersonaRun) -> serde_json::Result<String> {
    Ok(crate::sanitize::json(serde_json::to_string_pretty(run)?) + "\n")
}

/// One persona record per line, each with the run's model, seed and prompt hash.
pub fn jsonl(run: &PersonaRun) -> serde_json::Result<String> {
    let mut out = String::new();
    for p in &run.personas {
        let line = serde_json::json!({
            "model": run.meta.model,
            "seed": run.meta.seed,
            "prompt_hash": run.meta.prompt_hash,
            "record": p,
        });
        out.push_str(&serde_json::to_string(&line)?);
        out.push('\n');
    }
    Ok(crate::sanitize::json(out))
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The grounding badge shown next to each persona.
pub fn badge(p: &PersonaRecord) -> String {
    let g = &p.grounding;
    let origin = match p.origin {
        Origin::Model => "",
        Origin::Template => " · not model-written",
    };
    let verdict = if p.flagged {
        "⚠ flagged"
    } else if g.vouched() {
        "✔ grounded"
    } else {
        "? too few claims to check"
    };
    let contradicted = if g.contradicted > 0 {
        format!(", {} contradicted", g.contradicted)
    } else {
        String::new()
    };
    format!(
        "{verdict}: {:.0}% of claims supported ({} of {}{contradicted}){origin}",
        g.fraction * 100.0,
        g.supported,
        g.checked
    )
}

fn profile_table(out: &mut String, s: &SegmentProfile) {
    let mut feats: Vec<_> = s
        .features
        .iter()
        .filter(|f| f.std_diff.is_some() && f.mean.is_some())
        .collect();
    feats.sort_by(|a, b| {
        b.std_diff
            .unwrap_or(0.0)
            .abs()
            .total_cmp(&a.std_diff.unwrap_or(0.0).abs())
            .then(a.name.cmp(&b.name))
    });
    out.push_str("| feature | segment mean | population mean | lift | std. diff |\n");
    out.push_str("|---|---:|---:|---:|---:|\n");
    for f in feats.iter().take(10) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:+.2} |",
            cell(&f.name),
            fmt_num(f.mean.unwrap_or(0.0)),
            fmt_num(f.population_mean.unwrap_or(0.0)),
            f.lift
                .map(|l| format!("{l:.2}x"))
                .unwrap_or_else(|| "–".into()),
            f.std_diff.unwrap_or(0.0)
        );
    }
    if !s.top_categories.is_empty() {
        let cats: Vec<String> = s
            .top_categories
            .iter()
            .map(|c| {
                format!(
                    "{} {:.1}% vs {:.1}% ({:.2}x)",
                    c.category,
                    c.share * 100.0,
                    c.population_share * 100.0,
                    c.lift
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "\nTop categories (share of spend): {}",
            cats.join("; ")
        );
    }
    if !s.top_products.is_empty() {
        let prods: Vec<String> = s
            .top_products
            .iter()
            .take(5)
            .map(|p| {
                format!(
                    "{} ({:.2}x)",
                    p.name.as_deref().unwrap_or(&p.product_id),
                    p.lift
                )
            })
            .collect();
        let _ = writeln!(out, "\nTop products (by lift): {}", prods.join("; "));
    }
}

/// A key for the persona table: sub-segments indented under their parent.
fn key_cell(key: &str) -> String {
    if key.contains('.') {
        format!("↳ {key}")
    } else {
        key.to_string()
    }
}

/// The Markdown report.
pub fn markdown(run: &PersonaRun, data: &RunData) -> String {
    let m = &run.meta;
    let mut out = String::new();
    let _ = writeln!(out, "# Customer segment personas\n");
    let _ = writeln!(
        out,
        "{} customers as of {}, {} segment(s) described. Run: `{}`.\n",
        data.profiles.customers,
        data.profiles.as_of,
        run.personas.len(),
        m.run_dir.display()
    );
    if let Some(r) = &m.fallback_reason {
        let _ = writeln!(
            out,
            "> **Not model-written.** No model could be used ({}); every persona below was written \
             from the profile by template.\n",
            cell(r)
        );
    }
    let flagged = run.personas.iter().filter(|p| p.flagged).count();
    if flagged > 0 {
        let _ = writeln!(
            out,
            "> **{flagged} persona(s) flagged**: their grounding stayed below {:.0}% after a retry. \
             Check the unsupported claims before using them.\n",
            m.grounding_threshold * 100.0
        );
    }
    out.push_str(
        "| segment | persona | customers | share | grounding |\n|---|---|---:|---:|---|\n",
    );
    let row = |out: &mut String, p: &PersonaRecord| {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1}% | {} |",
            key_cell(&p.key),
            cell(&p.persona.name),
            p.size,
            p.share * 100.0,
            cell(&badge(p))
        );
    };
    let by_key = |k: &str| run.personas.iter().find(|p| p.key == k);
    // Segments in order, each followed by its sub-segments (with their personas when written,
    // else how to write them); records the run no longer has come last.
    let mut listed: Vec<&str> = Vec::new();
    for s in &data.profiles.segments {
        let key = s.key();
        if let Some(p) = by_key(&key) {
            row(&mut out, p);
            listed.push(&p.key);
        }
        for c in &s.children {
            let ck = c.key();
            match by_key(&ck) {
                Some(p) => {
                    row(&mut out, p);
                    listed.push(&p.key);
                }
                None => {
                    let _ = writeln!(
                        out,
                        "| {} | no persona yet (`seglens personas --segments {ck}`) | {} | {:.1}% | - |",
                        key_cell(&ck),
                        c.size,
                        c.share * 100.0
                    );
                }
            }
        }
    }
    for p in run
        .personas
        .iter()
        .filter(|p| !listed.contains(&p.key.as_str()))
    {
        row(&mut out, p);
    }
    let mut ordered: Vec<&PersonaRecord> = run.personas.iter().collect();
    ordered.sort_by_key(|p| p.key_order());
    for p in ordered {
        let Some(s) = data.by_key(&p.key) else {
            continue;
        };
        let per = &p.persona;
        let _ = writeln!(
            out,
            "\n## {} {}: {}\n\n*{}*\n\n{} customers, {:.1}% of all. **{}**\n",
            if s.parent.is_some() {
                "Sub-segment"
            } else {
                "Segment"
            },
            p.key,
            per.name,
            per.tagline,
            p.size,
            p.share * 100.0,
            badge(p)
        );
        for n in &p.notes {
            let _ = writeln!(out, "- note: {n}");
        }
        if !p.notes.is_empty() {
            out.push('\n');
        }
        if !s.children.is_empty() {
            let subs: Vec<String> = s
                .children
                .iter()
                .map(|c| {
                    let name = by_key(&c.key()).map_or(c.label.clone(), |p| p.persona.name.clone());
                    format!("{} {} ({} customers)", c.key(), name, c.size)
                })
                .collect();
            let _ = writeln!(out, "Sub-segments: {}\n", subs.join("; "));
        }
        out.push_str("### Profile against the population\n\n");
        profile_table(&mut out, s);
        let _ = writeln!(out, "\n### Persona\n\n{}\n", per.summary);
        let list = |out: &mut String, title: &str, items: &[String]| {
            let _ = writeln!(out, "**{title}**\n");
            for i in items {
                let _ = writeln!(out, "- {i}");
            }
            out.push('\n');
        };
        list(&mut out, "Facts it relies on", &per.facts);
        list(&mut out, "Motivations", &per.motivations);
        list(&mut out, "Pain points", &per.pain_points);
        let _ = writeln!(
            out,
            "**Preferred channels:** {}\n",
            per.preferred_channels.join(", ")
        );
        out.push_str("### Campaigns\n\n| title | channel | offer | message | target KPI |\n|---|---|---|---|---|\n");
        for c in &per.campaigns {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&c.title),
                cell(&c.channel),
                cell(&c.offer),
                cell(&c.message),
                cell(&c.target_kpi)
            );
        }
        if !p.grounding.unsupported.is_empty() {
            out.push_str("\n### Unsupported claims\n\n");
            for u in &p.grounding.unsupported {
                let _ = writeln!(out, "- {u}");
            }
        }
        if !p.tools.is_empty() {
            let _ = writeln!(
                out,
                "\n<details><summary>Tool transcript ({} call(s))</summary>\n",
                p.tools.len()
            );
            for t in &p.tools {
                let _ = writeln!(
                    out,
                    "- `{}`\n\n  ```\n  {}\n  ```",
                    t.call,
                    t.result.replace('\n', "\n  ")
                );
            }
            out.push_str("\n</details>\n");
        }
    }
    let g = &m.generation;
    let _ = writeln!(out, "\n## Run metadata\n");
    let _ = writeln!(
        out,
        "| key | value |\n|---|---|\n| model | {} |\n| model sha256 | {} |\n| model loaded | {} |\n| seed | {} |\n| prompt hash | {} |\n| sampling | temperature {}, top-k {}, top-p {}, min-p {} |\n| tools | {} |\n| parallel sequences | {} |\n| threads | {} |\n| personas from cache | {} |\n| generated tokens | {} |\n| prompt tokens evaluated | {} (shared prefix reused for {} more) |\n| tokens/s (all sequences) | {:.1} |\n| model load | {:.1} s |\n| wall time | {:.1} s |\n| seglens | {} |",
        cell(&m.model),
        m.model_sha256.as_deref().unwrap_or("unknown"),
        m.model_loaded,
        m.seed,
        m.prompt_hash,
        m.sampling.temperature,
        m.sampling.top_k,
        m.sampling.top_p,
        m.sampling.min_p,
        if m.tools { "on" } else { "off" },
        m.parallel,
        m.threads,
        m.from_cache,
        g.generated_tokens,
        g.prompt_tokens,
        g.prefix_tokens_reused,
        m.tokens_per_s,
        m.load_ms / 1000.0,
        m.wall_ms / 1000.0,
        m.seglens_version
    );
    out
}
