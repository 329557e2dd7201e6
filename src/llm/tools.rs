//! The tools the model may call over a run's data before it writes (at most a few calls per
//! segment, each one reply constrained by grammar): compare two segments, top products, sample
//! reviews, one feature, and counting members that match a filter.
//!
//! Results are short plain-text lines; the writer quotes them back inside a data block.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Deserialize;

use super::prompt::{contrast, looks_like_injection, pct, quote_review};
use crate::profile::{fmt_num, Profiles, SegmentProfile};
use crate::report::{ASSIGNMENTS, FEATURES, SEGMENTS};

/// A run directory's data as the persona writer needs it.
#[derive(Debug, Clone)]
pub struct RunData {
    pub dir: PathBuf,
    pub profiles: Profiles,
    /// Per-customer numeric features and value tier, for `members`; `None` when the run's
    /// parquet files are missing (the tool then says so).
    members: Option<Members>,
    /// sha256 over segments.json, assignments.parquet and features.parquet: the data part of
    /// every persona's cache key.
    pub fingerprint: String,
}

#[derive(Debug, Clone)]
struct Members {
    segment: Vec<i32>,
    /// Sub-segment inside the segment, -1 where it was not split (or the run predates them).
    subsegment: Vec<i32>,
    numeric: HashMap<String, Vec<f64>>,
    value_tier: Vec<String>,
}

/// Problems reading a run directory.
#[derive(Debug, thiserror::Error)]
pub enum RunDataError {
    #[error(
        "{path} is missing: pass a run directory written by `seglens segment` or `seglens run`"
    )]
    Missing { path: PathBuf },
    #[error("cannot read {path}: {message}; re-run `seglens segment` to rewrite it")]
    Read { path: PathBuf, message: String },
}

impl RunDataError {
    /// A failed read of `path`: missing, or unreadable with the reason.
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => Self::Missing {
                path: path.to_path_buf(),
            },
            _ => Self::read(path, e),
        }
    }

    /// `path` is there but its content is unusable.
    pub fn read(path: &Path, e: impl std::fmt::Display) -> Self {
        Self::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// A run's `segments.json`, parsed, with its bytes (for fingerprints).
pub fn read_profiles(dir: &Path) -> Result<(Profiles, Vec<u8>), RunDataError> {
    let path = dir.join(SEGMENTS);
    let bytes = std::fs::read(&path).map_err(|e| RunDataError::io(&path, e))?;
    let profiles = serde_json::from_slice(&bytes).map_err(|e| RunDataError::read(&path, e))?;
    Ok((profiles, bytes))
}

impl RunData {
    /// Reads `segments.json` and, when present, the per-customer tables of a run.
    pub fn load(dir: &Path) -> Result<Self, RunDataError> {
        let (profiles, bytes) = read_profiles(dir)?;
        // Each parquet file is read once: hashed for the fingerprint, then parsed.
        let mut all = bytes;
        let [assignments, features] = [ASSIGNMENTS, FEATURES].map(|f| {
            let b = std::fs::read(dir.join(f)).ok();
            if let Some(b) = &b {
                all.extend(crate::util::sha256_hex(b).as_bytes());
            }
            b
        });
        let fingerprint = crate::util::sha256_hex(&all);
        let members = match (assignments, features) {
            (Some(a), Some(f)) => read_members(a, f).ok(),
            _ => None,
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            profiles,
            members,
            fingerprint,
        })
    }

    pub fn segment(&self, id: i32) -> Option<&SegmentProfile> {
        self.profiles.segments.iter().find(|s| s.id == id)
    }

    /// The profile with key `key` (`3`, or `3.1` for a sub-segment), at any level.
    pub fn by_key(&self, key: &str) -> Option<&SegmentProfile> {
        self.profiles
            .segments
            .iter()
            .flat_map(|s| std::iter::once(s).chain(&s.children))
            .find(|s| s.key() == key)
    }

    /// The run seen from inside segment `parent`: its sub-segments are the segments (ids
    /// inside the parent, keys `parent.i`), and the members are the parent's customers with
    /// their sub-segment as segment, so the tools, the grounding and the contrast with
    /// neighbours work on sub-segments against their siblings. `None` when `parent` has no
    /// sub-segments.
    pub fn within(&self, parent: i32) -> Option<RunData> {
        let p = self.segment(parent).filter(|p| !p.children.is_empty())?;
        let mut profiles = self.profiles.clone();
        profiles.segments = p.children.clone();
        let members = self.members.as_ref().map(|m| {
            let rows: Vec<usize> = (0..m.segment.len())
                .filter(|&i| m.segment[i] == parent)
                .collect();
            Members {
                segment: rows.iter().map(|&i| m.subsegment[i]).collect(),
                subsegment: vec![-1; rows.len()],
                numeric: m
                    .numeric
                    .iter()
                    .map(|(k, v)| (k.clone(), rows.iter().map(|&i| v[i]).collect()))
                    .collect(),
                value_tier: rows.iter().map(|&i| m.value_tier[i].clone()).collect(),
            }
        });
        Some(RunData {
            dir: self.dir.clone(),
            profiles,
            members,
            fingerprint: crate::util::sha256_hex(
                format!("{} within {parent}", self.fingerprint).as_bytes(),
            ),
        })
    }

    /// Segments proper (DBSCAN noise, id -1, left out).
    pub fn segment_count(&self) -> usize {
        self.profiles.segments.iter().filter(|s| s.id >= 0).count()
    }

    /// Every category any segment's profile names (for the grounding check).
    pub fn categories(&self) -> Vec<String> {
        self.profiles.categories()
    }

    /// Feature names profiled (the `feature` tool's choices).
    pub fn feature_names(&self) -> Vec<String> {
        self.profiles
            .segments
            .first()
            .map(|s| s.features.iter().map(|f| f.name.clone()).collect())
            .unwrap_or_default()
    }
}

fn read_members(assignments: Vec<u8>, features: Vec<u8>) -> Result<Members, PolarsError> {
    let assign = ParquetReader::new(std::io::Cursor::new(assignments)).finish()?;
    let feats = ParquetReader::new(std::io::Cursor::new(features)).finish()?;
    let cols: &[&str] = if assign.column("subsegment").is_ok() {
        &["customer_id", "segment", "subsegment"]
    } else {
        &["customer_id", "segment"]
    };
    let joined = feats.join(
        &assign.select(cols.iter().copied())?,
        ["customer_id"],
        ["customer_id"],
        JoinArgs::new(JoinType::Inner),
        None,
    )?;
    let segment: Vec<i32> = joined
        .column("segment")?
        .cast(&DataType::Int32)?
        .i32()?
        .into_iter()
        .map(|v| v.unwrap_or(-1))
        .collect();
    let subsegment: Vec<i32> = match joined.column("subsegment") {
        Ok(c) => c
            .cast(&DataType::Int32)?
            .i32()?
            .into_iter()
            .map(|v| v.unwrap_or(-1))
            .collect(),
        Err(_) => vec![-1; segment.len()],
    };
    let mut numeric = HashMap::new();
    for c in joined.get_columns() {
        if c.name() == "segment" || c.name() == "subsegment" || !c.dtype().is_primitive_numeric() {
            continue;
        }
        let v: Vec<f64> = c
            .cast(&DataType::Float64)?
            .f64()?
            .into_iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect();
        numeric.insert(c.name().to_string(), v);
    }
    let value_tier = match joined.column("value_tier") {
        Ok(c) => c
            .cast(&DataType::String)?
            .str()?
            .into_iter()
            .map(|s| s.unwrap_or("").to_string())
            .collect(),
        Err(_) => vec![String::new(); segment.len()],
    };
    Ok(Members {
        segment,
        subsegment,
        numeric,
        value_tier,
    })
}

/// The JSON schema of one tool call, with segment ids and feature names as closed lists.
pub fn call_schema(segments: &[i32], features: &[String]) -> String {
    let ids = serde_json::to_string(segments).unwrap_or_else(|_| "[]".into());
    let names = serde_json::to_string(features).unwrap_or_else(|_| "[]".into());
    let obj = |tool: &str, props: &str, req: &str| {
        format!(
            r#"{{"type":"object","properties":{{"tool":{{"const":"{tool}"}}{props}}},"required":["tool"{req}],"additionalProperties":false}}"#
        )
    };
    let seg = format!(r#","segment":{{"enum":{ids}}}"#);
    let n = r#","n":{"type":"integer","minimum":1,"maximum":8}"#;
    let alts = [
        obj(
            "compare",
            &format!(r#"{seg},"other":{{"enum":{ids}}}"#),
            r#","segment","other""#,
        ),
        obj("top_products", &format!("{seg}{n}"), r#","segment","n""#),
        obj("sample_reviews", &format!("{seg}{n}"), r#","segment","n""#),
        obj(
            "feature",
            &format!(r#"{seg},"name":{{"enum":{names}}}"#),
            r#","segment","name""#,
        ),
        obj(
            "members",
            &format!(r#"{seg},"filter":{{"type":"string","minLength":3,"maxLength":48}}"#),
            r#","segment","filter""#,
        ),
        obj("done", "", ""),
    ];
    format!(r#"{{"oneOf":[{}]}}"#, alts.join(","))
}

/// A parsed tool call.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "tool", rename_all = "snake_case")]
pub enum Call {
    Compare { segment: i32, other: i32 },
    TopProducts { segment: i32, n: usize },
    SampleReviews { segment: i32, n: usize },
    Feature { segment: i32, name: String },
    Members { segment: i32, filter: String },
    Done,
}

impl Call {
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text.trim()).map_err(|e| format!("not a tool call: {e}"))
    }
}

/// Who reads a result: the model, or the grounding check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    Model,
    /// Only what the tool computed: no review text, no filter or name the model wrote, no
    /// digits of shop names (a product called "Speaker 3000" states no figure).
    Evidence,
}

/// Runs a call; a bad argument gives an explanatory result, never an error.
pub fn run(data: &RunData, call: &Call) -> String {
    answer(data, call, Reader::Model).unwrap_or_else(|e| format!("error: {e}"))
}

/// The figures a call computed, as lines for [`crate::llm::grounding::facts_in_text`]: what a
/// persona may cite from its tool calls. Text the model supplied (a filter, its thresholds, a
/// name) and review text never count, so a call cannot make its own numbers supported.
pub fn evidence(data: &RunData, call_text: &str) -> String {
    Call::parse(call_text)
        .ok()
        .and_then(|c| answer(data, &c, Reader::Evidence).ok())
        .unwrap_or_default()
}

/// `s` without digits, for shop names in evidence.
fn no_digits(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_digit()).collect()
}

fn answer(data: &RunData, call: &Call, reader: Reader) -> Result<String, String> {
    let shown = |s: &str| match reader {
        Reader::Model => s.to_string(),
        Reader::Evidence => no_digits(s),
    };
    let seg = |id: i32| {
        data.segment(id)
            .ok_or_else(|| format!("there is no segment {id}"))
    };
    let out = match call {
        Call::Done => Ok(String::new()),
        Call::Compare { segment, other } => seg(*segment).and_then(|a| {
            let b = seg(*other)?;
            let mut lines = vec![format!(
                "segment {} has {} customers ({}%), segment {} has {} ({}%)",
                a.id,
                a.size,
                pct(a.share),
                b.id,
                b.size,
                pct(b.share)
            )];
            lines.extend(
                contrast(a, b, 6)
                    .into_iter()
                    .map(|d| d.replace(" here", &format!(" in segment {}", a.id)))
                    .map(|d| format!("segment {}: {d}", b.id)),
            );
            Ok(lines.join("\n"))
        }),
        Call::TopProducts { segment, n } => seg(*segment).map(|s| {
            if s.top_products.is_empty() {
                return format!("segment {} has no product bought by enough members", s.id);
            }
            s.top_products
                .iter()
                .take((*n).clamp(1, 10))
                .map(|p| {
                    format!(
                        "{} ({}): {}% of members bought it vs {}% of all customers ({:.2}x)",
                        shown(p.name.as_deref().unwrap_or(&p.product_id)),
                        shown(p.category.as_deref().unwrap_or("uncategorised")),
                        pct(p.buyer_share),
                        pct(p.population_buyer_share),
                        p.lift
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }),
        Call::SampleReviews { .. } if reader == Reader::Evidence => Ok(String::new()),
        Call::SampleReviews { segment, n } => seg(*segment).map(|s| {
            let reviews: Vec<String> = s
                .text
                .as_ref()
                .map(|t| {
                    t.representative_reviews
                        .iter()
                        .filter(|r| !looks_like_injection(r))
                        .take((*n).clamp(1, 8))
                        .map(|r| quote_review(r))
                        .collect()
                })
                .unwrap_or_default();
            if reviews.is_empty() {
                format!("segment {} has no reviews to show", s.id)
            } else {
                reviews.join("\n")
            }
        }),
        Call::Feature { segment, name } => seg(*segment).and_then(|s| {
            let f = s
                .features
                .iter()
                .find(|f| &f.name == name)
                .ok_or_else(|| format!("there is no feature {name}"))?;
            let v = |x: Option<f64>| x.map(fmt_num).unwrap_or_else(|| "n/a".into());
            Ok(format!(
                "{} ({}): segment mean {}, median {}; population mean {}, median {}{}",
                f.name,
                shown(&f.description),
                v(f.mean),
                v(f.median),
                v(f.population_mean),
                v(f.population_median),
                f.lift
                    .map(|l| format!("; ratio {l:.2}x"))
                    .unwrap_or_default()
            ))
        }),
        Call::Members { segment, filter } => {
            seg(*segment).and_then(|s| members(data, s, filter, reader))
        }
    };
    out
}

fn members(
    data: &RunData,
    s: &SegmentProfile,
    filter: &str,
    reader: Reader,
) -> Result<String, String> {
    let m = data
        .members
        .as_ref()
        .ok_or("this run has no per-customer tables to filter")?;
    let mut tests: Vec<Box<dyn Fn(usize) -> bool + '_>> = Vec::new();
    let conditions = crate::features::filter::parse(filter)?;
    let what = match reader {
        Reader::Model => filter.to_string(),
        Reader::Evidence => {
            let columns: Vec<&str> = conditions.iter().map(|c| c.column.as_str()).collect();
            format!("a filter on {}", columns.join(" and "))
        }
    };
    for c in conditions {
        if c.column == "value_tier" {
            tests.push(Box::new(move |i| c.holds_text(&m.value_tier[i])));
            continue;
        }
        let col = m
            .numeric
            .get(&c.column)
            .ok_or_else(|| format!("there is no numeric feature {}", c.column))?;
        let x = c
            .number()
            .ok_or_else(|| format!("'{}' is not a number", c.value))?;
        tests.push(Box::new(move |i| c.holds_num(col[i], x)));
    }
    let (mut hit, mut size, mut all_hit) = (0usize, 0usize, 0usize);
    for i in 0..m.segment.len() {
        let t = tests.iter().all(|t| t(i));
        all_hit += usize::from(t);
        if m.segment[i] == s.id {
            size += 1;
            hit += usize::from(t);
        }
    }
    let n = m.segment.len().max(1);
    Ok(format!(
        "{hit} of {size} members of segment {} ({}%) match {what}, vs {}% of all customers",
        s.id,
        pct(hit as f64 / size.max(1) as f64),
        pct(all_hit as f64 / n as f64)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_parse_by_tag() {
        assert_eq!(Call::parse(r#"{"tool":"done"}"#).unwrap(), Call::Done);
        assert_eq!(
            Call::parse(r#"{"tool":"compare","segment":1,"other":2}"#).unwrap(),
            Call::Compare {
                segment: 1,
                other: 2
            }
        );
        assert!(Call::parse(r#"{"tool":"rm -rf"}"#).is_err());
    }

    /// Two segments of two members each, with a `monetary` column.
    fn tiny() -> RunData {
        let seg = |id: i32| {
            serde_json::from_value::<SegmentProfile>(serde_json::json!({
                "id": id, "label": format!("Segment {id}"), "size": 2, "share": 0.5,
                "traits": [], "trait_features": [], "features": [],
                "top_categories": [], "top_products": [], "value_tiers": {}, "rfm_segments": {},
                "representatives": [], "mean_confidence": 1.0
            }))
            .unwrap()
        };
        RunData {
            dir: PathBuf::new(),
            profiles: Profiles {
                customers: 4,
                as_of: "2025-01-01".into(),
                segments: vec![seg(0), seg(1)],
            },
            members: Some(Members {
                segment: vec![0, 0, 1, 1],
                subsegment: vec![-1; 4],
                numeric: HashMap::from([("monetary".to_string(), vec![100.0, 9000.0, 50.0, 60.0])]),
                value_tier: vec!["low".into(); 4],
            }),
            fingerprint: String::new(),
        }
    }

    #[test]
    fn evidence_holds_only_what_the_tool_computed() {
        let data = tiny();
        let call = r#"{"tool":"members","segment":0,"filter":"monetary>5437"}"#;
        let shown = run(&data, &Call::parse(call).unwrap());
        assert!(
            shown.contains("5437"),
            "the model sees its own filter: {shown}"
        );
        let ev = evidence(&data, call);
        assert!(
            ev.starts_with("1 of 2 members of segment 0 (50.0%)"),
            "{ev}"
        );
        assert!(
            !ev.contains("5437"),
            "the threshold it wrote is no evidence: {ev}"
        );
        let facts = crate::llm::grounding::facts_in_text(&ev);
        assert!(facts.iter().all(|f| (f.value() - 5437.0).abs() > 1.0));
        assert!(facts.iter().any(|f| (f.value() - 0.5).abs() < 1e-9));
        // Reviews are text, not figures; a call that is no call gives nothing.
        assert_eq!(
            evidence(&data, r#"{"tool":"sample_reviews","segment":0,"n":3}"#),
            ""
        );
        assert_eq!(evidence(&data, "monetary > 5437"), "");
    }

    #[test]
    fn schema_is_json() {
        let s = call_schema(&[0, 1], &["monetary".into()]);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["oneOf"].as_array().unwrap().len(), 6);
    }
}
