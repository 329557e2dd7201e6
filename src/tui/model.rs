//! What the UI shows, loaded from a run directory: the run summary and profiles (read before the
//! first frame: small JSON files), the members table (columnar, loaded in the background), and
//! one member's orders and reviews (looked up in the shop's tables, loaded on first drill-down).
//!
//! Every string from the data is cleaned by [`super::sanitize`] here, once, so drawing code never
//! sees a raw control character.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::config::Config;
use crate::features::filter::{self, Condition};
use crate::llm::persona::PersonaRecord;
use crate::llm::tools::{read_profiles, RunDataError};
use crate::llm::writer::{PersonaMeta, PersonaRun};
use crate::profile::{Profiles, SegmentProfile};
use crate::report::personas::PERSONAS;
use crate::report::{ASSIGNMENTS, FEATURES, RUN};
use crate::sanitize::{in_place, lines_in_place, owned};

/// Problems opening a run for the UI: the run's own files (as the persona writer reports them),
/// or the shop's tables it was made from.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Run(#[from] RunDataError),
    #[error("the run has no data directory to read orders and reviews from ({0}); it was moved or deleted")]
    NoData(String),
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> ModelError {
    RunDataError::read(path, e).into()
}

/// Clustering quality as the run recorded it.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    pub algo: String,
    pub k: usize,
    pub silhouette: Option<f64>,
    pub calinski_harabasz: Option<f64>,
    pub davies_bouldin: Option<f64>,
    pub stability: Option<f64>,
}

/// A finished run: what the first frame needs.
#[derive(Debug, Clone)]
pub struct RunView {
    pub dir: PathBuf,
    pub profiles: Profiles,
    pub quality: Quality,
    /// The run's seed (run.json), the default seed of its personas.
    pub seed: Option<u64>,
    /// The shop's tables (for a member's orders and reviews), when the run recorded them.
    pub data_dir: Option<PathBuf>,
    /// The run's own configuration, to read its data the way it was read.
    pub config: Option<Config>,
    /// Personas by segment key (`3`, or `3.1` for a sub-segment).
    pub personas: BTreeMap<String, PersonaRecord>,
    pub persona_meta: Option<PersonaMeta>,
    /// The segment whose sub-segments this view lists ([`super::level`]); `None` at the top.
    pub parent: Option<Box<SegmentProfile>>,
    /// `seglens eval`'s figures, when eval.json was made from the personas shown.
    pub evaluation: Option<crate::eval::Evaluation>,
}

impl RunView {
    /// Reads `segments.json`, `run.json` and, when present, `personas.json`.
    pub fn open(dir: &Path) -> Result<Self, ModelError> {
        let (mut profiles, _) = read_profiles(dir)?;
        for s in &mut profiles.segments {
            clean_profile(s);
            s.children.iter_mut().for_each(clean_profile);
        }
        let run_path = dir.join(RUN);
        let run: serde_json::Value = match std::fs::read(&run_path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| read_err(&run_path, e))?,
            Err(_) => serde_json::Value::Null,
        };
        let q = &run["quality"];
        let quality = Quality {
            algo: owned(run["algo"].as_str().unwrap_or("")),
            k: run["k"].as_u64().unwrap_or(0) as usize,
            silhouette: q["silhouette"].as_f64(),
            calinski_harabasz: q["calinski_harabasz"].as_f64(),
            davies_bouldin: q["davies_bouldin"].as_f64(),
            stability: q["stability"].as_f64(),
        };
        let data_dir = run["data_dir"].as_str().map(|d| {
            let p = PathBuf::from(d);
            if p.is_absolute() {
                p
            } else {
                dir.join(p)
            }
        });
        let config = serde_json::from_value::<Config>(run["config"].clone()).ok();
        let mut view = Self {
            dir: dir.to_path_buf(),
            profiles,
            quality,
            seed: run["seed"].as_u64(),
            data_dir,
            config,
            personas: BTreeMap::new(),
            persona_meta: None,
            parent: None,
            evaluation: None,
        };
        // personas.json is optional: a run without personas still browses.
        if let Ok(b) = std::fs::read(dir.join(PERSONAS)) {
            if let Ok(run) = serde_json::from_slice::<PersonaRun>(&b) {
                view.set_personas(run);
            }
            // An evaluation of other personas than these would mislead: it is left out.
            let sha = crate::util::sha256_hex(&b);
            view.evaluation = std::fs::read(dir.join(crate::eval::EVAL))
                .ok()
                .and_then(|e| serde_json::from_slice::<crate::eval::Evaluation>(&e).ok())
                .filter(|e| e.personas_sha256 == sha);
        }
        Ok(view)
    }

    /// Replaces the personas of the segments `run` covers.
    pub fn set_personas(&mut self, run: PersonaRun) {
        self.evaluation = None;
        for mut p in run.personas {
            p.normalise_key();
            clean_persona(&mut p);
            self.personas.insert(p.key.clone(), p);
        }
        self.persona_meta = Some(run.meta);
    }

    /// Segments proper (DBSCAN noise, id -1, last).
    pub fn segments(&self) -> &[SegmentProfile] {
        &self.profiles.segments
    }

    /// The name a segment goes by: its persona's, else its label.
    pub fn name(&self, s: &SegmentProfile) -> String {
        match self.personas.get(&s.key()) {
            Some(p) if !p.persona.name.is_empty() => p.persona.name.clone(),
            _ => s.label.clone(),
        }
    }
}

fn clean_profile(s: &mut SegmentProfile) {
    in_place(&mut s.label);
    s.traits.iter_mut().for_each(in_place);
    s.trait_features.iter_mut().for_each(in_place);
    for f in &mut s.features {
        in_place(&mut f.name);
        in_place(&mut f.description);
    }
    s.top_categories
        .iter_mut()
        .for_each(|c| in_place(&mut c.category));
    for p in &mut s.top_products {
        in_place(&mut p.product_id);
        p.name.iter_mut().for_each(in_place);
        p.category.iter_mut().for_each(in_place);
    }
    s.representatives.iter_mut().for_each(in_place);
    s.value_tiers = std::mem::take(&mut s.value_tiers)
        .into_iter()
        .map(|(k, v)| (owned(&k), v))
        .collect();
    s.rfm_segments = std::mem::take(&mut s.rfm_segments)
        .into_iter()
        .map(|(k, v)| (owned(&k), v))
        .collect();
    if let Some(r) = &mut s.rule {
        in_place(&mut r.text);
    }
    if let Some(n) = &mut s.split {
        in_place(&mut n.note);
    }
    if let Some(t) = &mut s.text {
        t.representative_reviews.iter_mut().for_each(in_place);
        t.terms.iter_mut().for_each(|t| in_place(&mut t.term));
    }
}

fn clean_persona(r: &mut PersonaRecord) {
    let p = &mut r.persona;
    for s in [&mut p.name, &mut p.tagline, &mut p.summary] {
        in_place(s);
    }
    for v in [
        &mut p.facts,
        &mut p.motivations,
        &mut p.pain_points,
        &mut p.preferred_channels,
    ] {
        v.iter_mut().for_each(in_place);
    }
    for c in &mut p.campaigns {
        for s in [
            &mut c.title,
            &mut c.channel,
            &mut c.offer,
            &mut c.message,
            &mut c.target_kpi,
        ] {
            in_place(s);
        }
    }
    r.grounding.unsupported.iter_mut().for_each(in_place);
    for c in &mut r.grounding.claims {
        for s in [&mut c.claim, &mut c.context, &mut c.evidence, &mut c.field] {
            in_place(s);
        }
    }
    r.notes.iter_mut().for_each(in_place);
    in_place(&mut r.written_by);
    for t in &mut r.tools {
        in_place(&mut t.call);
        lines_in_place(&mut t.result);
    }
    for m in &mut r.transcript {
        in_place(&mut m.role);
        lines_in_place(&mut m.content);
    }
}

/// One column of the members table.
#[derive(Debug, Clone)]
pub enum ColumnData {
    Num(Vec<f64>),
    Text(Vec<String>),
}

/// A named column.
#[derive(Debug, Clone)]
pub struct MemberColumn {
    pub name: String,
    pub data: ColumnData,
}

impl MemberColumn {
    /// The cell of row `i`, formatted for the table.
    pub fn cell(&self, i: usize) -> String {
        match &self.data {
            ColumnData::Num(v) => fmt_cell(v[i]),
            ColumnData::Text(v) => v[i].clone(),
        }
    }
}

/// A number for a table cell: integers plain, others with two decimals, missing as "-".
pub fn fmt_cell(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Every customer of the run, column by column (one allocation per column, whatever the size).
#[derive(Debug, Clone)]
pub struct Members {
    pub ids: Vec<String>,
    /// The grouping of this table: the segment, or inside a segment ([`Members::within`]) the
    /// sub-segment.
    pub segment: Vec<i32>,
    /// Sub-segment inside the segment (-1: not split, or a run from before sub-segments).
    pub subsegment: Vec<i32>,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// customer_id first, then segment, subsegment (when the run has it), confidence, then every
    /// feature of features.parquet.
    pub columns: Vec<MemberColumn>,
    /// Row indices of each segment's members, in file order.
    pub by_segment: BTreeMap<i32, Arc<Vec<u32>>>,
    /// A deterministic sample of at most [`MAP_POINTS`] rows for the map.
    pub map_sample: Vec<u32>,
    /// x min, x max, y min, y max of the sample (the whole map).
    pub map_bounds: [f64; 4],
    pub(super) index: HashMap<String, u32>,
}

/// Columns of the members table that describe the assignment rather than the customer.
pub const ASSIGNMENT_COLUMNS: [&str; 4] = ["customer_id", "segment", "subsegment", "confidence"];

/// Points drawn on the map (a braille canvas cannot show more distinct dots at any size).
pub const MAP_POINTS: usize = 40_000;

impl Members {
    /// Reads `assignments.parquet` and `features.parquet` of the run in `dir`.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let read = |name: &str| -> Result<DataFrame, ModelError> {
            let path = dir.join(name);
            let file = std::fs::File::open(&path).map_err(|e| RunDataError::io(&path, e))?;
            ParquetReader::new(file)
                .finish()
                .map_err(|e| read_err(&path, e))
        };
        let assign = read(ASSIGNMENTS)?;
        let feats = read(FEATURES)?;
        let apath = dir.join(ASSIGNMENTS);
        let fpath = dir.join(FEATURES);
        let strings = |df: &DataFrame, c: &str, p: &Path| -> Result<Vec<String>, ModelError> {
            let col = df
                .column(c)
                .and_then(|c| c.cast(&DataType::String))
                .map_err(|e| read_err(p, e))?;
            let ca = col.str().map_err(|e| read_err(p, e))?;
            Ok(ca
                .into_iter()
                .map(|v| v.map(owned).unwrap_or_default())
                .collect())
        };
        let floats = |df: &DataFrame, c: &str, p: &Path| -> Result<Vec<f64>, ModelError> {
            let col = df
                .column(c)
                .and_then(|c| c.cast(&DataType::Float64))
                .map_err(|e| read_err(p, e))?;
            let ca = col.f64().map_err(|e| read_err(p, e))?;
            Ok(ca.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        };
        let ids = strings(&assign, "customer_id", &apath)?;
        let segment: Vec<i32> = floats(&assign, "segment", &apath)?
            .into_iter()
            .map(|v| if v.is_nan() { -1 } else { v as i32 })
            .collect();
        let confidence =
            floats(&assign, "confidence", &apath).unwrap_or_else(|_| vec![f64::NAN; ids.len()]);
        // Absent in runs from before sub-segments.
        let subsegment: Option<Vec<i32>> = floats(&assign, "subsegment", &apath).ok().map(|v| {
            v.into_iter()
                .map(|v| if v.is_nan() { -1 } else { v as i32 })
                .collect()
        });
        let to_f32 = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
        let x = to_f32(floats(&assign, "x", &apath).unwrap_or_else(|_| vec![0.0; ids.len()]));
        let y = to_f32(floats(&assign, "y", &apath).unwrap_or_else(|_| vec![0.0; ids.len()]));

        // features.parquet rows in assignment order (they are written in the same order; a
        // hand-edited file is re-ordered by id).
        let fids = strings(&feats, "customer_id", &fpath)?;
        let order: Option<Vec<Option<usize>>> = (fids != ids).then(|| {
            let pos: HashMap<&str, usize> = fids
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i))
                .collect();
            ids.iter().map(|id| pos.get(id.as_str()).copied()).collect()
        });
        let mut columns = vec![
            MemberColumn {
                name: "customer_id".into(),
                data: ColumnData::Text(ids.clone()),
            },
            MemberColumn {
                name: "segment".into(),
                data: ColumnData::Num(segment.iter().map(|&s| f64::from(s)).collect()),
            },
        ];
        if let Some(sub) = &subsegment {
            columns.push(MemberColumn {
                name: "subsegment".into(),
                data: ColumnData::Num(sub.iter().map(|&s| f64::from(s)).collect()),
            });
        }
        columns.push(MemberColumn {
            name: "confidence".into(),
            data: ColumnData::Num(confidence),
        });
        for c in feats.get_columns() {
            let name = c.name().to_string();
            if name == "customer_id" {
                continue;
            }
            let data = if c.dtype().is_primitive_numeric() || c.dtype() == &DataType::Boolean {
                let v = floats(&feats, &name, &fpath)?;
                ColumnData::Num(match &order {
                    None => v,
                    Some(o) => o.iter().map(|i| i.map_or(f64::NAN, |i| v[i])).collect(),
                })
            } else {
                let v = strings(&feats, &name, &fpath)?;
                ColumnData::Text(match &order {
                    None => v,
                    Some(o) => o
                        .iter()
                        .map(|i| i.map(|i| v[i].clone()).unwrap_or_default())
                        .collect(),
                })
            };
            columns.push(MemberColumn {
                name: owned(&name),
                data,
            });
        }
        let subsegment = subsegment.unwrap_or_else(|| vec![-1; ids.len()]);
        Ok(Self::assemble(ids, segment, subsegment, x, y, columns))
    }

    /// A table from its columns, with what is derived from them: the rows of each group, the
    /// map's sample and bounds, and the id index.
    pub(super) fn assemble(
        ids: Vec<String>,
        segment: Vec<i32>,
        subsegment: Vec<i32>,
        x: Vec<f32>,
        y: Vec<f32>,
        columns: Vec<MemberColumn>,
    ) -> Members {
        let mut by: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        for (i, s) in segment.iter().enumerate() {
            by.entry(*s).or_default().push(i as u32);
        }
        let n = ids.len();
        let step = n.div_ceil(MAP_POINTS).max(1);
        let map_sample: Vec<u32> = (0..n).step_by(step).map(|i| i as u32).collect();
        let map_bounds = bounds(&map_sample, &x, &y);
        let index = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        Members {
            ids,
            segment,
            subsegment,
            x,
            y,
            columns,
            by_segment: by.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            map_sample,
            map_bounds,
            index,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Row of a customer id.
    pub fn row_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).map(|&i| i as usize)
    }

    pub fn column(&self, name: &str) -> Option<&MemberColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The members of `segment`, filtered by `filter` (`monetary>500`, `value_tier=high`,
    /// conditions joined by `,` or ` and `) and sorted by column `sort` (stable, missing last).
    pub fn query(
        &self,
        segment: i32,
        filter: Option<&str>,
        sort: Option<(usize, bool)>,
    ) -> Result<Vec<u32>, String> {
        let base = self
            .by_segment
            .get(&segment)
            .map_or(&[][..], |v| v.as_slice());
        let mut rows: Vec<u32> = match filter.map(str::trim).filter(|f| !f.is_empty()) {
            None => base.to_vec(),
            Some(f) => {
                let conds = self.conditions(f)?;
                base.iter()
                    .copied()
                    .filter(|&r| {
                        conds
                            .iter()
                            .all(|(col, c, n)| self.holds(*col, c, *n, r as usize))
                    })
                    .collect()
            }
        };
        if let Some((col, desc)) = sort {
            let Some(c) = self.columns.get(col) else {
                return Ok(rows);
            };
            match &c.data {
                ColumnData::Num(v) => rows.sort_by(|&a, &b| {
                    let (x, y) = (v[a as usize], v[b as usize]);
                    match (x.is_nan(), y.is_nan()) {
                        (true, true) => std::cmp::Ordering::Equal,
                        (true, false) => std::cmp::Ordering::Greater,
                        (false, true) => std::cmp::Ordering::Less,
                        _ if desc => y.total_cmp(&x),
                        _ => x.total_cmp(&y),
                    }
                }),
                ColumnData::Text(v) => rows.sort_by(|&a, &b| {
                    let o = v[a as usize].cmp(&v[b as usize]);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                }),
            }
        }
        Ok(rows)
    }

    /// A filter's conditions with their column index and, for numeric columns, the number.
    fn conditions(&self, f: &str) -> Result<Vec<(usize, Condition, Option<f64>)>, String> {
        filter::parse(f)?
            .into_iter()
            .map(|c| {
                let col = self
                    .columns
                    .iter()
                    .position(|m| m.name == c.column)
                    .ok_or_else(|| format!("no column '{}' in the members table", c.column))?;
                let n = c.number();
                if matches!(self.columns[col].data, ColumnData::Num(_)) && n.is_none() {
                    return Err(format!(
                        "'{}' is numeric: compare it with a number, not '{}'",
                        c.column, c.value
                    ));
                }
                Ok((col, c, n))
            })
            .collect()
    }

    fn holds(&self, col: usize, c: &Condition, n: Option<f64>, row: usize) -> bool {
        match (&self.columns[col].data, n) {
            (ColumnData::Num(v), Some(n)) => c.holds_num(v[row], n),
            (ColumnData::Text(v), _) => c.holds_text(&v[row]),
            (ColumnData::Num(_), None) => false,
        }
    }

    /// Positions in `rows` whose customer id or any text cell contains `needle` (case-insensitive).
    pub fn search(&self, rows: &[u32], needle: &str) -> Vec<usize> {
        let needle = needle.to_lowercase();
        let texts: Vec<&Vec<String>> = self
            .columns
            .iter()
            .filter_map(|c| match &c.data {
                ColumnData::Text(v) => Some(v),
                ColumnData::Num(_) => None,
            })
            .collect();
        rows.iter()
            .enumerate()
            .filter(|(_, &r)| {
                texts
                    .iter()
                    .any(|t| t[r as usize].to_lowercase().contains(&needle))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// Extent of the points `rows`; the unit square around 0 when there are none.
pub(super) fn bounds(rows: &[u32], x: &[f32], y: &[f32]) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MIN, f64::MAX, f64::MIN];
    for &r in rows {
        let (px, py) = (f64::from(x[r as usize]), f64::from(y[r as usize]));
        b = [b[0].min(px), b[1].max(px), b[2].min(py), b[3].max(py)];
    }
    if b[0] > b[1] {
        [-1.0, 1.0, -1.0, 1.0]
    } else {
        b
    }
}

/// One order line of a member.
#[derive(Debug, Clone)]
pub struct OrderLine {
    pub ts: i64,
    pub order_id: String,
    pub product: String,
    pub category: String,
    pub amount: f64,
    pub returned: bool,
}

/// One review of a member.
#[derive(Debug, Clone)]
pub struct Review {
    pub ts: Option<i64>,
    pub product: String,
    pub rating: Option<f64>,
    pub text: String,
}

/// Everything shown for one member.
#[derive(Debug, Clone)]
pub struct MemberDetail {
    pub id: String,
    pub segment: i32,
    /// feature, value, segment mean, population mean.
    pub features: Vec<(String, f64, Option<f64>, Option<f64>)>,
    pub orders: Vec<OrderLine>,
    /// Spend per month from the first order to the last.
    pub monthly: Vec<(String, f64)>,
    pub reviews: Vec<Review>,
}

/// The shop's orders and reviews indexed by customer, for member drill-down.
#[derive(Debug)]
pub struct ShopIndex {
    orders: DataFrame,
    reviews: Option<DataFrame>,
    products: HashMap<String, String>,
    order_rows: HashMap<String, Vec<u32>>,
    review_rows: HashMap<String, Vec<u32>>,
}

fn row_index(df: &DataFrame) -> PolarsResult<HashMap<String, Vec<u32>>> {
    let ids = df.column("customer_id")?.str()?.clone();
    let mut out: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, id) in ids.into_iter().enumerate() {
        if let Some(id) = id {
            out.entry(id.to_string()).or_default().push(i as u32);
        }
    }
    Ok(out)
}

impl ShopIndex {
    /// Loads the shop the run was made from, the way the run read it (its own column mapping).
    pub fn load(run: &RunView) -> Result<Self, ModelError> {
        let Some(dir) = &run.data_dir else {
            return Err(ModelError::NoData("run.json names none".into()));
        };
        if !dir.is_dir() {
            return Err(ModelError::NoData(dir.display().to_string()));
        }
        let cfg = run.config.clone().unwrap_or_default();
        let shop = crate::data::load(dir, &cfg).map_err(|e| read_err(dir, e))?;
        let products = match &shop.products {
            Some(p) => {
                let ids = p.column("product_id").and_then(|c| c.str().cloned());
                let names = p.column("name").and_then(|c| c.cast(&DataType::String));
                match (ids, names) {
                    (Ok(ids), Ok(names)) => match names.str() {
                        Ok(n) => ids
                            .into_iter()
                            .zip(n)
                            .filter_map(|(i, n)| Some((i?.to_string(), owned(n?))))
                            .collect(),
                        Err(_) => HashMap::new(),
                    },
                    _ => HashMap::new(),
                }
            }
            None => HashMap::new(),
        };
        let order_rows = row_index(&shop.orders).map_err(|e| read_err(dir, e))?;
        let review_rows = match &shop.reviews {
            Some(r) => row_index(r).map_err(|e| read_err(dir, e))?,
            None => HashMap::new(),
        };
        Ok(Self {
            orders: shop.orders,
            reviews: shop.reviews,
            products,
            order_rows,
            review_rows,
        })
    }

    /// One member's detail; `members` gives the features and segment means.
    pub fn detail(&self, run: &RunView, members: &Members, row: usize) -> MemberDetail {
        let id = members.ids[row].clone();
        let segment = members.segment[row];
        let profile = run.profiles.segments.iter().find(|s| s.id == segment);
        let features = members
            .columns
            .iter()
            .filter(|c| !ASSIGNMENT_COLUMNS.contains(&c.name.as_str()))
            .filter_map(|c| match &c.data {
                ColumnData::Num(v) => {
                    let stat = profile.and_then(|p| p.features.iter().find(|f| f.name == c.name));
                    Some((
                        c.name.clone(),
                        v[row],
                        stat.and_then(|f| f.mean),
                        stat.and_then(|f| f.population_mean),
                    ))
                }
                ColumnData::Text(_) => None,
            })
            .collect();
        let orders = self.orders_of(&id).unwrap_or_default();
        let monthly = monthly(&orders);
        let reviews = self.reviews_of(&id).unwrap_or_default();
        MemberDetail {
            id,
            segment,
            features,
            orders,
            monthly,
            reviews,
        }
    }

    fn orders_of(&self, id: &str) -> PolarsResult<Vec<OrderLine>> {
        let Some(rows) = self.order_rows.get(id) else {
            return Ok(Vec::new());
        };
        let idx = IdxCa::from_vec("i".into(), rows.clone());
        let df = self.orders.take(&idx)?;
        let ts = df.column("ts")?.i64()?;
        let oid = df.column("order_id")?.str()?;
        let pid = df.column("product_id")?.str()?;
        let cat = df.column("category")?.str()?;
        let price = df.column("unit_price")?.f64()?;
        let qty = df.column("quantity")?.cast(&DataType::Float64)?;
        let qty = qty.f64()?;
        let disc = df.column("discount")?.f64()?;
        let ret = df.column("returned")?.bool()?;
        let mut out: Vec<OrderLine> = (0..df.height())
            .map(|i| {
                let p = pid.get(i).unwrap_or_default();
                OrderLine {
                    ts: ts.get(i).unwrap_or(0),
                    order_id: owned(oid.get(i).unwrap_or_default()),
                    product: self.products.get(p).cloned().unwrap_or_else(|| owned(p)),
                    category: owned(cat.get(i).unwrap_or_default()),
                    amount: price.get(i).unwrap_or(0.0) * qty.get(i).unwrap_or(0.0)
                        - disc.get(i).unwrap_or(0.0),
                    returned: ret.get(i).unwrap_or(false),
                }
            })
            .collect();
        out.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.order_id.cmp(&b.order_id)));
        Ok(out)
    }

    fn reviews_of(&self, id: &str) -> PolarsResult<Vec<Review>> {
        let (Some(df), Some(rows)) = (&self.reviews, self.review_rows.get(id)) else {
            return Ok(Vec::new());
        };
        let idx = IdxCa::from_vec("i".into(), rows.clone());
        let df = df.take(&idx)?;
        let text = df.column("text")?.str()?;
        let pid = df.column("product_id")?.cast(&DataType::String)?;
        let pid = pid.str()?;
        let ts = df.column("ts")?.cast(&DataType::Int64)?;
        let ts = ts.i64()?;
        let rating = df.column("rating")?.cast(&DataType::Float64)?;
        let rating = rating.f64()?;
        let mut out: Vec<Review> = (0..df.height())
            .map(|i| {
                let p = pid.get(i).unwrap_or_default();
                Review {
                    ts: ts.get(i),
                    product: self.products.get(p).cloned().unwrap_or_else(|| owned(p)),
                    rating: rating.get(i),
                    text: owned(text.get(i).unwrap_or_default()),
                }
            })
            .collect();
        out.sort_by_key(|r| r.ts);
        Ok(out)
    }
}

/// `YYYY-MM` of a unix timestamp in seconds.
pub fn month_of(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m").to_string())
        .unwrap_or_default()
}

/// `YYYY-MM-DD` of a unix timestamp in seconds.
pub fn day_of(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn monthly(orders: &[OrderLine]) -> Vec<(String, f64)> {
    let (Some(first), Some(last)) = (orders.first(), orders.last()) else {
        return Vec::new();
    };
    let key = |ts: i64| {
        chrono::DateTime::from_timestamp(ts, 0).map_or(0, |d| {
            use chrono::Datelike;
            d.year() * 12 + d.month0() as i32
        })
    };
    let (a, b) = (key(first.ts), key(last.ts));
    let mut out: Vec<(String, f64)> = (a..=b)
        .map(|m| (format!("{}-{:02}", m / 12, m % 12 + 1), 0.0))
        .collect();
    for o in orders {
        let i = (key(o.ts) - a) as usize;
        if let Some(slot) = out.get_mut(i) {
            slot.1 += o.amount.max(0.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members() -> Members {
        let ids: Vec<String> = (0..6).map(|i| format!("C{i}")).collect();
        let segment = vec![0, 1, 0, 1, 0, 0];
        let mut by: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        for (i, s) in segment.iter().enumerate() {
            by.entry(*s).or_default().push(i as u32);
        }
        Members {
            index: ids
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i as u32))
                .collect(),
            columns: vec![
                MemberColumn {
                    name: "customer_id".into(),
                    data: ColumnData::Text(ids.clone()),
                },
                MemberColumn {
                    name: "monetary".into(),
                    data: ColumnData::Num(vec![10.0, 20.0, f64::NAN, 5.0, 700.0, 300.0]),
                },
                MemberColumn {
                    name: "value_tier".into(),
                    data: ColumnData::Text(
                        ["low", "low", "mid", "mid", "high", "high"]
                            .map(String::from)
                            .to_vec(),
                    ),
                },
            ],
            subsegment: vec![-1; 6],
            ids,
            segment,
            x: vec![0.0; 6],
            y: vec![0.0; 6],
            by_segment: by.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            map_sample: (0..6).collect(),
            map_bounds: [0.0; 4],
        }
    }

    #[test]
    fn query_filters_sorts_and_puts_missing_last() {
        let m = members();
        assert_eq!(m.query(0, None, None).unwrap(), vec![0, 2, 4, 5]);
        assert_eq!(m.query(0, None, Some((1, true))).unwrap(), vec![4, 5, 0, 2]);
        assert_eq!(
            m.query(0, None, Some((1, false))).unwrap(),
            vec![0, 5, 4, 2]
        );
        assert_eq!(m.query(0, Some("monetary>100"), None).unwrap(), vec![4, 5]);
        assert_eq!(
            m.query(0, Some("monetary>=10 and value_tier=HIGH"), None)
                .unwrap(),
            vec![4, 5]
        );
        assert!(m
            .query(0, Some("nope>1"), None)
            .unwrap_err()
            .contains("'nope'"));
        assert!(m
            .query(0, Some("monetary=abc"), None)
            .unwrap_err()
            .contains("numeric"));
        assert!(m
            .query(0, Some("monetary"), None)
            .unwrap_err()
            .contains("condition"));
    }

    #[test]
    fn search_matches_text_cells_case_insensitively() {
        let m = members();
        let rows = m.query(0, None, None).unwrap();
        assert_eq!(m.search(&rows, "c4"), vec![2]);
        assert_eq!(m.search(&rows, "HIGH"), vec![2, 3]);
        assert!(m.search(&rows, "zzz").is_empty());
    }

    #[test]
    fn monthly_spend_covers_every_month_between_first_and_last_order() {
        let o = |ts: i64, amount: f64| OrderLine {
            ts,
            order_id: String::new(),
            product: String::new(),
            category: String::new(),
            amount,
            returned: false,
        };
        // 2024-01-15, 2024-01-20, 2024-04-02
        let m = monthly(&[
            o(1_705_276_800, 10.0),
            o(1_705_708_800, 5.0),
            o(1_712_016_000, 7.0),
        ]);
        assert_eq!(
            m,
            vec![
                ("2024-01".to_string(), 15.0),
                ("2024-02".to_string(), 0.0),
                ("2024-03".to_string(), 0.0),
                ("2024-04".to_string(), 7.0)
            ]
        );
    }
}
