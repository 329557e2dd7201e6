//! Scoring a run against planted ground truth (`truth.csv` from `seglens demo-data`): the adjusted
//! Rand index, optionally with archetypes merged (for example those that differ only in text).

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::cluster::adjusted_rand_index;
use crate::report::ASSIGNMENTS;

/// Errors reading a run or a truth file.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("archetype '{0}' in --merge is not in the truth file (it has: {1})")]
    UnknownArchetype(String, String),
    #[error(
        "{0} customers of the run are missing from the truth file; is it the truth of this data?"
    )]
    Mismatch(usize),
}

/// How a run's segments line up with the planted archetypes.
#[derive(Debug, Clone)]
pub struct Agreement {
    /// Adjusted Rand index (1 = same partition, about 0 = chance).
    pub ari: f64,
    /// Archetype names (after merging), row order of `counts`.
    pub archetypes: Vec<String>,
    /// Segment ids, column order of `counts`.
    pub segments: Vec<String>,
    /// counts[archetype][segment] = customers.
    pub counts: Vec<Vec<usize>>,
}

impl Agreement {
    /// The contingency table as aligned text.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let w = self
            .archetypes
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(9)
            .max(9);
        let mut s = format!("{:w$}", "archetype");
        for seg in &self.segments {
            let _ = write!(s, " {:>6}", format!("s{seg}"));
        }
        s.push('\n');
        for (a, row) in self.archetypes.iter().zip(&self.counts) {
            let _ = write!(s, "{a:w$}");
            for c in row {
                let _ = write!(s, " {c:>6}");
            }
            s.push('\n');
        }
        s
    }
}

/// ARI of a run's segments against the truth; each group in `merge` is treated as one archetype.
pub fn ari_against_truth(
    run: &Path,
    truth: &Path,
    merge: &[Vec<String>],
) -> Result<f64, EvalError> {
    agreement(run, truth, merge).map(|a| a.ari)
}

/// The ARI and contingency table of a run against the truth.
pub fn agreement(run: &Path, truth: &Path, merge: &[Vec<String>]) -> Result<Agreement, EvalError> {
    let (seg_ids, segs) = read_pairs(&run.join(ASSIGNMENTS), "segment")?;
    let (truth_ids, archetypes) = read_pairs(truth, "archetype")?;
    let mut known: Vec<&str> = archetypes.iter().map(String::as_str).collect();
    known.sort_unstable();
    known.dedup();
    for a in merge.iter().flatten() {
        if known.binary_search(&a.as_str()).is_err() {
            return Err(EvalError::UnknownArchetype(a.clone(), known.join(", ")));
        }
    }
    let mut canon: HashMap<&str, &str> = HashMap::new();
    for group in merge {
        if let Some(first) = group.first() {
            for a in group {
                canon.insert(a.as_str(), first.as_str());
            }
        }
    }
    let truth: HashMap<&str, &str> = truth_ids
        .iter()
        .zip(&archetypes)
        .map(|(c, a)| (c.as_str(), *canon.get(a.as_str()).unwrap_or(&a.as_str())))
        .collect();
    let mut codes: HashMap<&str, usize> = HashMap::new();
    let mut seg_codes: HashMap<&str, usize> = HashMap::new();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut missing = 0;
    for (c, s) in seg_ids.iter().zip(&segs) {
        let Some(t) = truth.get(c.as_str()) else {
            missing += 1;
            continue;
        };
        let n = codes.len();
        a.push(*codes.entry(t).or_insert(n));
        let m = seg_codes.len();
        b.push(*seg_codes.entry(s.as_str()).or_insert(m));
    }
    if missing > 0 {
        return Err(EvalError::Mismatch(missing));
    }
    let mut archetypes: Vec<(String, usize)> =
        codes.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    archetypes.sort();
    let mut segments: Vec<(String, usize)> =
        seg_codes.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    segments.sort_by_key(|(k, _)| k.parse::<i64>().unwrap_or(i64::MAX));
    let mut counts = vec![vec![0; segments.len()]; archetypes.len()];
    let row_of: HashMap<usize, usize> = archetypes
        .iter()
        .enumerate()
        .map(|(r, (_, c))| (*c, r))
        .collect();
    let col_of: HashMap<usize, usize> = segments
        .iter()
        .enumerate()
        .map(|(r, (_, c))| (*c, r))
        .collect();
    for (x, y) in a.iter().zip(&b) {
        counts[row_of[x]][col_of[y]] += 1;
    }
    Ok(Agreement {
        ari: adjusted_rand_index(&a, &b),
        archetypes: archetypes.into_iter().map(|(k, _)| k).collect(),
        segments: segments.into_iter().map(|(k, _)| k).collect(),
        counts,
    })
}

/// Normalised mutual information (arithmetic-mean normalisation) of a contingency table:
/// 1 when the partitions agree, 0 when independent.
pub fn nmi(counts: &[Vec<usize>]) -> f64 {
    let n: f64 = counts.iter().flatten().sum::<usize>() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let rows: Vec<f64> = counts
        .iter()
        .map(|r| r.iter().sum::<usize>() as f64)
        .collect();
    let cols: Vec<f64> = (0..counts.first().map_or(0, Vec::len))
        .map(|j| counts.iter().map(|r| r[j]).sum::<usize>() as f64)
        .collect();
    let h = |v: &[f64]| -> f64 {
        v.iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| -(x / n) * (x / n).ln())
            .sum()
    };
    let mut mi = 0.0;
    for (i, r) in counts.iter().enumerate() {
        for (j, &c) in r.iter().enumerate() {
            if c > 0 {
                let p = c as f64 / n;
                mi += p * (p / ((rows[i] / n) * (cols[j] / n))).ln();
            }
        }
    }
    let denom = (h(&rows) + h(&cols)) / 2.0;
    if denom <= 0.0 {
        1.0
    } else {
        (mi / denom).clamp(0.0, 1.0)
    }
}

fn read_pairs(path: &Path, value: &str) -> Result<(Vec<String>, Vec<String>), EvalError> {
    let err = |e: PolarsError| EvalError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let df = if path.extension().is_some_and(|e| e == "parquet") {
        let f = std::fs::File::open(path).map_err(|e| EvalError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        ParquetReader::new(f).finish().map_err(err)?
    } else {
        CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(err)?
    };
    let col = |name: &str| -> Result<Vec<String>, EvalError> {
        let s = df
            .column(name)
            .and_then(|c| c.as_materialized_series().cast(&DataType::String))
            .map_err(err)?;
        Ok(s.str()
            .map_err(err)?
            .into_iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    };
    Ok((col("customer_id")?, col(value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmi_is_one_for_the_same_partition_and_zero_for_independent_ones() {
        assert!((nmi(&[vec![5, 0], vec![0, 7]]) - 1.0).abs() < 1e-12);
        assert!(nmi(&[vec![5, 5], vec![5, 5]]).abs() < 1e-12);
        let partial = nmi(&[vec![8, 2], vec![1, 9]]);
        assert!(partial > 0.2 && partial < 0.8, "{partial}");
    }
}
