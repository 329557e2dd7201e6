//! Segment profiles: what each segment is, and what sets it apart from everyone else.
//!
//! For every segment: size and share; each feature's mean and median against the population, with
//! lift (segment mean / population mean) and standardised difference ((segment mean - population
//! mean) / population standard deviation); the categories and products that over-index (by lift);
//! the value-tier and RFM mix; the members closest to the segment centre as representatives; and
//! a membership rule from a shallow decision tree ([`rule`]).

pub mod glossary;
mod rule;

use std::collections::BTreeMap;

use ndarray::Array2;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cluster::{metrics::sq_dist, Clustering};
use crate::config::ProfileConfig;
use crate::data::Shop;
use crate::features::{scale::quantile, Features};

/// A feature compared between a segment and the population.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeatureStat {
    pub name: String,
    pub description: String,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub population_mean: Option<f64>,
    pub population_median: Option<f64>,
    /// Segment mean / population mean (None when the population mean is 0).
    pub lift: Option<f64>,
    /// (segment mean - population mean) / population standard deviation.
    pub std_diff: Option<f64>,
}

/// A category's share of the segment's spend against its share of everyone's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CategoryLift {
    pub category: String,
    pub share: f64,
    pub population_share: f64,
    pub lift: f64,
}

/// A product bought by relatively more of the segment's members than of all customers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProductLift {
    pub product_id: String,
    pub name: Option<String>,
    pub category: Option<String>,
    /// Members of the segment who bought it.
    pub buyers: u64,
    /// Share of the segment's members who bought it.
    pub buyer_share: f64,
    pub population_buyer_share: f64,
    pub lift: f64,
}

/// One segment's profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SegmentProfile {
    /// Segment number (0 = largest; -1 = DBSCAN noise).
    pub id: i32,
    pub label: String,
    pub size: usize,
    pub share: f64,
    /// The features that set the segment apart most, strongest first, in words.
    pub traits: Vec<String>,
    /// Names of the features behind `traits`, in the same order.
    pub trait_features: Vec<String>,
    pub features: Vec<FeatureStat>,
    /// Categories over-represented in the segment's spend (lift), among those with at least 3% of it.
    pub top_categories: Vec<CategoryLift>,
    pub top_products: Vec<ProductLift>,
    pub value_tiers: BTreeMap<String, f64>,
    pub rfm_segments: BTreeMap<String, f64>,
    /// Members closest to the segment centre.
    pub representatives: Vec<String>,
    /// Mean of the members' p(segment | customer).
    pub mean_confidence: f64,
    /// What the segment writes about and searches for (when texts were read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<crate::text::SegmentText>,
    /// A short decision-tree rule over the features that picks out the segment's members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<MembershipRule>,
    /// For a sub-segment: its parent segment's id (its own id numbers it inside the parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i32>,
    /// How the segment was searched for sub-segments: the split's figures, or why it stayed whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitNote>,
    /// Sub-segments, largest first, each profiled like a segment (lifts against all customers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<SegmentProfile>,
}

impl SegmentProfile {
    /// "3" for a segment, "3.1" for a sub-segment: the id a user types and reads.
    pub fn key(&self) -> String {
        match self.parent {
            Some(p) => format!("{p}.{}", self.id),
            None => self.id.to_string(),
        }
    }
}

/// The outcome of looking for sub-segments inside one segment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SplitNote {
    /// Number of sub-segments (0 when the segment stayed whole).
    pub k: usize,
    /// Mean ARI of the split over resampling pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silhouette: Option<f64>,
    /// In words: the split's figures, or why there is none.
    pub note: String,
}

/// A labelling of the customers to profile: one label per customer (`-1` = DBSCAN noise, below
/// `-1` = not profiled), the centres of labels `0..`, and each customer's confidence in its label.
pub struct Partition<'a> {
    pub labels: &'a [i32],
    pub centroids: &'a Array2<f64>,
    pub confidence: &'a (dyn Fn(usize, usize) -> f64 + Sync),
}

/// A shallow one-vs-rest decision tree read as a rule: "monetary > 850 and recency_days <= 40".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MembershipRule {
    /// The rule in words, branches joined by "or".
    pub text: String,
    /// Share of the customers the rule selects who are members.
    pub precision: f64,
    /// Share of the members the rule selects.
    pub recall: f64,
}

/// Profiles of all segments plus population context.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profiles {
    pub customers: usize,
    pub as_of: String,
    pub segments: Vec<SegmentProfile>,
}

impl Profiles {
    /// Every category any segment's profile names (its categories and its products'), sorted.
    pub fn categories(&self) -> Vec<String> {
        let mut c: Vec<String> = self
            .segments
            .iter()
            .flat_map(|s| {
                s.top_categories
                    .iter()
                    .map(|c| c.category.clone())
                    .chain(s.top_products.iter().filter_map(|p| p.category.clone()))
            })
            .collect();
        c.sort();
        c.dedup();
        c
    }
}

/// Errors building profiles.
#[derive(Debug, thiserror::Error)]
#[error("profiling failed: {0}")]
pub struct ProfileError(#[from] PolarsError);

/// Builds every segment's profile.
pub fn build(
    shop: &Shop,
    features: &Features,
    scaled: &Array2<f64>,
    clustering: &Clustering,
    cfg: &ProfileConfig,
) -> Result<Profiles, ProfileError> {
    let confidence = |i: usize, s: usize| clustering.probabilities[[i, s]];
    build_partition(
        shop,
        features,
        scaled,
        &Partition {
            labels: &clustering.labels,
            centroids: &clustering.centroids,
            confidence: &confidence,
        },
        cfg,
    )
}

/// Profiles every label of `part` from -1 up (labels below -1 are left out).
pub fn build_partition(
    shop: &Shop,
    features: &Features,
    scaled: &Array2<f64>,
    part: &Partition<'_>,
    cfg: &ProfileConfig,
) -> Result<Profiles, ProfileError> {
    let n = features.len();
    let labels = part.labels;
    let mut ids: Vec<i32> = labels.iter().copied().filter(|&l| l >= -1).collect();
    ids.sort_unstable();
    ids.dedup();
    let members_of = |s: i32| -> Vec<usize> { (0..n).filter(|&i| labels[i] == s).collect() };

    let assign = DataFrame::new(vec![
        Column::new("customer_id".into(), features.customer_ids.clone()),
        Column::new("segment".into(), labels.to_vec()),
    ])?;
    let lines = shop
        .orders
        .clone()
        .lazy()
        .select([
            col("customer_id"),
            col("product_id"),
            col("category"),
            col("unit_price"),
            col("quantity"),
            col("discount"),
            col("returned"),
        ])
        .join(
            assign.lazy(),
            [col("customer_id")],
            [col("customer_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column(
            // Net spend as in the monetary feature: returned lines count for nothing.
            when(col("returned"))
                .then(lit(0.0))
                .otherwise(
                    col("unit_price") * col("quantity").cast(DataType::Float64) - col("discount"),
                )
                .alias("net"),
        );
    let cat_spend = category_spend(lines.clone())?;
    let products = product_buyers(lines)?;
    let names = product_names(shop)?;

    // Population figures are the same for every segment: computed once per feature.
    let population: Vec<Population> = features
        .features
        .iter()
        .map(|f| Population::of(&f.values))
        .collect();
    let mut segments = Vec::new();
    for s in ids {
        let members = members_of(s);
        let size = members.len();
        let stats: Vec<FeatureStat> = features
            .features
            .iter()
            .zip(&population)
            .map(|(f, pop)| feature_stat(&f.name, &f.description, &f.values, pop, &members))
            .collect();
        let (traits, trait_features) = describe_traits(&stats);
        let centre = (s >= 0).then(|| part.centroids.row(s as usize));
        let mut representatives: Vec<(f64, usize)> = members
            .iter()
            .map(|&i| {
                let d = centre.map_or(0.0, |c| sq_dist(scaled.row(i), c));
                (d, i)
            })
            .collect();
        representatives.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mean_confidence = if s >= 0 && size > 0 {
            members
                .iter()
                .map(|&i| (part.confidence)(i, s as usize))
                .sum::<f64>()
                / size as f64
        } else {
            0.0
        };
        segments.push(SegmentProfile {
            id: s,
            label: if s >= 0 {
                format!("Segment {s}")
            } else {
                "Noise".to_string()
            },
            size,
            share: size as f64 / n.max(1) as f64,
            traits,
            trait_features,
            features: stats,
            top_categories: top_categories(&cat_spend, s, cfg.top_categories),
            top_products: top_products(&products, &names, s, size, n, cfg),
            value_tiers: mix(&features.value_tier, &members),
            rfm_segments: mix(&features.rfm_segment, &members),
            representatives: representatives
                .into_iter()
                .take(cfg.representatives)
                .map(|(_, i)| features.customer_ids[i].clone())
                .collect(),
            mean_confidence,
            text: None,
            rule: {
                let member: Vec<bool> = labels.iter().map(|&l| l == s).collect();
                rule::membership_rule(&features.features, &member)
            },
            parent: None,
            split: None,
            children: Vec::new(),
        });
    }
    Ok(Profiles {
        customers: n,
        as_of: features.as_of.to_string(),
        segments,
    })
}

fn mean_std(v: &[f64]) -> (Option<f64>, Option<f64>) {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        return (None, None);
    }
    let m = f.iter().sum::<f64>() / f.len() as f64;
    let var = f.iter().map(|x| (x - m).powi(2)).sum::<f64>() / f.len() as f64;
    (Some(m), Some(var.sqrt()))
}

/// A feature's mean, standard deviation and median over all customers (missing values ignored).
struct Population {
    mean: Option<f64>,
    std: Option<f64>,
    median: Option<f64>,
}

impl Population {
    fn of(all: &[f64]) -> Self {
        let (mean, std) = mean_std(all);
        Self {
            mean,
            std,
            median: quantile(&finite(all), 0.5),
        }
    }
}

fn finite(v: &[f64]) -> Vec<f64> {
    v.iter().copied().filter(|x| x.is_finite()).collect()
}

fn feature_stat(
    name: &str,
    description: &str,
    all: &[f64],
    pop: &Population,
    members: &[usize],
) -> FeatureStat {
    let seg: Vec<f64> = members.iter().map(|&i| all[i]).collect();
    let (mean, _) = mean_std(&seg);
    let lift = match (mean, pop.mean) {
        (Some(m), Some(p)) if p.abs() > 1e-12 => Some(m / p),
        _ => None,
    };
    let std_diff = match (mean, pop.mean, pop.std) {
        (Some(m), Some(p), Some(s)) if s > 1e-12 => Some((m - p) / s),
        _ => None,
    };
    FeatureStat {
        name: name.into(),
        description: description.into(),
        mean,
        median: quantile(&finite(&seg), 0.5),
        population_mean: pop.mean,
        population_median: pop.median,
        lift,
        std_diff,
    }
}

/// The up-to-five features with the largest |standardised difference| (at least 0.25), in words.
fn describe_traits(stats: &[FeatureStat]) -> (Vec<String>, Vec<String>) {
    let mut v: Vec<&FeatureStat> = stats
        .iter()
        .filter(|s| s.std_diff.is_some_and(|d| d.abs() >= 0.25))
        .collect();
    v.sort_by(|a, b| {
        let (da, db) = (
            a.std_diff.unwrap_or(0.0).abs(),
            b.std_diff.unwrap_or(0.0).abs(),
        );
        db.total_cmp(&da).then_with(|| a.name.cmp(&b.name))
    });
    v.truncate(5);
    let words = v
        .iter()
        .map(|s| {
            let dir = if s.std_diff.unwrap_or(0.0) > 0.0 {
                "higher"
            } else {
                "lower"
            };
            let m = s.mean.unwrap_or(0.0);
            let p = s.population_mean.unwrap_or(0.0);
            match s.lift {
                Some(l) if l > 0.0 => format!(
                    "{} {dir}: {} vs {} ({l:.2}x)",
                    s.name,
                    fmt_num(m),
                    fmt_num(p)
                ),
                _ => format!("{} {dir}: {} vs {}", s.name, fmt_num(m), fmt_num(p)),
            }
        })
        .collect();
    (words, v.iter().map(|s| s.name.clone()).collect())
}

/// Compact number formatting for trait texts.
pub fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn mix(values: &[&'static str], members: &[usize]) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    for &i in members {
        *m.entry(values[i].to_string()).or_insert(0.0) += 1.0;
    }
    let n = members.len().max(1) as f64;
    m.values_mut().for_each(|v| *v /= n);
    m
}

/// Rows of (segment, key, value) from a per-segment aggregate, sorted for determinism.
fn per_segment(lines: LazyFrame, key: &str, value: Expr) -> PolarsResult<Vec<(i32, String, f64)>> {
    let df = lines
        .group_by([col("segment"), col(key)])
        .agg([value.cast(DataType::Float64).alias("value")])
        .sort(["segment", key], Default::default())
        .collect()?;
    let seg = df
        .column("segment")?
        .as_materialized_series()
        .i32()?
        .clone();
    let keys = df.column(key)?.as_materialized_series().str()?.clone();
    let vals = df.column("value")?.as_materialized_series().f64()?.clone();
    Ok(seg
        .into_iter()
        .zip(&keys)
        .zip(&vals)
        .filter_map(|((s, k), v)| Some((s?, k?.to_string(), v.unwrap_or(0.0))))
        .collect())
}

/// (segment, category) -> net spend.
fn category_spend(lines: LazyFrame) -> PolarsResult<Vec<(i32, String, f64)>> {
    per_segment(lines, "category", col("net").sum())
}

/// Smallest share of a segment's spend for a category to be listed among its top categories.
const MIN_CATEGORY_SHARE: f64 = 0.03;

fn top_categories(spend: &[(i32, String, f64)], s: i32, top: usize) -> Vec<CategoryLift> {
    let mut pop: BTreeMap<&str, f64> = BTreeMap::new();
    let mut seg: BTreeMap<&str, f64> = BTreeMap::new();
    for (sid, c, v) in spend {
        *pop.entry(c.as_str()).or_default() += v.max(0.0);
        if *sid == s {
            *seg.entry(c.as_str()).or_default() += v.max(0.0);
        }
    }
    let pt: f64 = pop.values().sum::<f64>().max(1e-12);
    let st: f64 = seg.values().sum::<f64>().max(1e-12);
    let mut v: Vec<CategoryLift> = seg
        .iter()
        .map(|(c, v)| {
            let share = v / st;
            let population_share = pop.get(c).copied().unwrap_or(0.0) / pt;
            CategoryLift {
                category: c.to_string(),
                share,
                population_share,
                lift: if population_share > 0.0 {
                    share / population_share
                } else {
                    0.0
                },
            }
        })
        .collect();
    // By lift, among categories that carry a real part of the segment's spend (a 0.1% category
    // with lift 9 says nothing about the segment).
    v.retain(|c| c.share >= MIN_CATEGORY_SHARE);
    v.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then_with(|| a.category.cmp(&b.category))
    });
    v.truncate(top);
    v
}

/// (segment, product) -> distinct buyers.
fn product_buyers(lines: LazyFrame) -> PolarsResult<Vec<(i32, String, f64)>> {
    per_segment(lines, "product_id", col("customer_id").n_unique())
}

type ProductNames = BTreeMap<String, (Option<String>, Option<String>)>;

fn product_names(shop: &Shop) -> PolarsResult<ProductNames> {
    let Some(p) = &shop.products else {
        return Ok(BTreeMap::new());
    };
    let id = p
        .column("product_id")?
        .as_materialized_series()
        .str()?
        .clone();
    let name = p.column("name")?.as_materialized_series().str()?.clone();
    let cat = p
        .column("category")?
        .as_materialized_series()
        .str()?
        .clone();
    Ok(id
        .into_iter()
        .zip(&name)
        .zip(&cat)
        .filter_map(|((i, n), c)| {
            Some((i?.to_string(), (n.map(String::from), c.map(String::from))))
        })
        .collect())
}

fn top_products(
    buyers: &[(i32, String, f64)],
    names: &ProductNames,
    s: i32,
    size: usize,
    n: usize,
    cfg: &ProfileConfig,
) -> Vec<ProductLift> {
    let mut pop: BTreeMap<&str, f64> = BTreeMap::new();
    for (_, p, b) in buyers {
        *pop.entry(p.as_str()).or_default() += b;
    }
    let mut v: Vec<ProductLift> = buyers
        .iter()
        .filter(|(sid, _, b)| *sid == s && *b as usize >= cfg.min_product_buyers)
        .map(|(_, p, b)| {
            let buyer_share = *b / size.max(1) as f64;
            let population_buyer_share =
                pop.get(p.as_str()).copied().unwrap_or(0.0) / n.max(1) as f64;
            let (name, category) = names.get(p).cloned().unwrap_or((None, None));
            ProductLift {
                product_id: p.clone(),
                name,
                category,
                buyers: *b as u64,
                buyer_share,
                population_buyer_share,
                lift: if population_buyer_share > 0.0 {
                    buyer_share / population_buyer_share
                } else {
                    0.0
                },
            }
        })
        .collect();
    v.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then(b.buyers.cmp(&a.buyers))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    v.truncate(cfg.top_products);
    v
}

/// Sizes of each segment (by id order as in `clustering.labels`), for summaries.
pub fn segment_sizes(labels: &[i32]) -> BTreeMap<i32, usize> {
    let mut m = BTreeMap::new();
    for &l in labels {
        *m.entry(l).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_stat_lift_and_std_diff() {
        let all = [1.0, 2.0, 3.0, 6.0];
        let s = feature_stat("x", "", &all, &Population::of(&all), &[2, 3]);
        assert_eq!(s.mean, Some(4.5));
        assert_eq!(s.population_mean, Some(3.0));
        assert!((s.lift.unwrap() - 1.5).abs() < 1e-12);
        // population sd = sqrt(((4+1+0+9)/4)) = sqrt(3.5)
        assert!((s.std_diff.unwrap() - 1.5 / 3.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.median, Some(4.5));
    }

    #[test]
    fn missing_values_are_ignored() {
        let all = [f64::NAN, 2.0, 4.0];
        let s = feature_stat("r", "", &all, &Population::of(&all), &[0, 1]);
        assert_eq!(s.mean, Some(2.0));
        assert_eq!(s.population_mean, Some(3.0));
    }

    #[test]
    fn category_lift() {
        let spend = vec![
            (0, "a".to_string(), 80.0),
            (0, "b".to_string(), 20.0),
            (0, "tiny".to_string(), 0.05),
            (1, "b".to_string(), 100.0),
        ];
        let c = top_categories(&spend, 0, 5);
        // "tiny" has the largest lift but almost none of the spend, so it is not listed.
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].category, "a");
        assert!((c[0].share - 80.0 / 100.05).abs() < 1e-12);
        assert!((c[0].population_share - 80.0 / 200.05).abs() < 1e-12);
        assert!((c[0].lift - 200.05 / 100.05).abs() < 1e-12);
    }
}
