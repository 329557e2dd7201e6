//! The `seglens.toml` configuration: the documented defaults (embedded), merging a user's file over
//! them, and validation of the merged result.
//!
//! The default file is the single source of truth: `seglens config --default` prints it verbatim and
//! [`Config::default`] parses it, so the documentation and the behaviour cannot drift apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The commented default configuration, as printed by `seglens config --default`.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// Tables of the data contract, in load order.
pub const TABLES: [&str; 5] = ["customers", "orders", "products", "events", "reviews"];

/// What went wrong reading or checking a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// The whole configuration after defaults, file and flags are combined.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub seed: u64,
    pub validation: ValidationConfig,
    pub features: FeatureConfig,
    pub cluster: ClusterConfig,
    pub profile: ProfileConfig,
    pub text: TextConfig,
    pub llm: LlmConfig,
    /// Absent from runs written before the TUI existed.
    #[serde(default)]
    pub tui: TuiConfig,
    /// table -> canonical column -> column name in the user's file.
    #[serde(default)]
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ValidationConfig {
    pub max_bad_row_share: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    /// Empty means "the day after the last order".
    pub as_of: String,
    pub top_categories: usize,
    pub top_event_types: usize,
    pub clip: f64,
    pub shrinkage: f64,
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

/// The text stage: embeddings of reviews and searches, sentiment, and the text block.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TextConfig {
    pub enabled: bool,
    pub weight: f64,
    pub components: usize,
    pub pca_sample: usize,
    /// Empty means `$SEGLENS_MODELS/all-MiniLM-L6-v2`.
    pub model: String,
    pub max_tokens: usize,
    pub batch_tokens: usize,
    pub device: String,
    pub cache: bool,
    /// Empty means `$SEGLENS_EMBED_CACHE`, else `~/.cache/seglens/embeddings`.
    pub cache_dir: String,
}

impl TextConfig {
    /// The embedding model folder.
    pub fn model_dir(&self) -> PathBuf {
        if self.model.is_empty() {
            crate::embed::models_dir().join(crate::embed::DEFAULT_MODEL_DIR)
        } else {
            PathBuf::from(&self.model)
        }
    }

    /// The embedding cache folder, `None` when the cache is off.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        if !self.cache {
            None
        } else if self.cache_dir.is_empty() {
            Some(
                std::env::var_os("SEGLENS_EMBED_CACHE")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .unwrap_or_else(|| crate::embed::cache_root().join("embeddings")),
            )
        } else {
            Some(PathBuf::from(&self.cache_dir))
        }
    }

    /// Options for [`crate::embed::Embedder::load`].
    pub fn embed_options(&self) -> crate::embed::EmbedOptions {
        crate::embed::EmbedOptions {
            model_dir: self.model_dir(),
            max_tokens: self.max_tokens,
            batch_tokens: self.batch_tokens,
            device: self.device.clone(),
        }
    }
}

/// Clustering algorithm choice.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    Kmeans,
    Gmm,
    Dbscan,
    /// Agglomerative (Ward) on a sample; the other customers join the nearest merged centre.
    Ward,
}

impl std::str::FromStr for Algo {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "kmeans" | "k-means" => Ok(Self::Kmeans),
            "gmm" => Ok(Self::Gmm),
            "dbscan" => Ok(Self::Dbscan),
            "ward" | "hierarchical" => Ok(Self::Ward),
            other => Err(format!(
                "unknown algorithm '{other}': use kmeans, gmm, dbscan or ward"
            )),
        }
    }
}

impl std::fmt::Display for Algo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Kmeans => "kmeans",
            Self::Gmm => "gmm",
            Self::Dbscan => "dbscan",
            Self::Ward => "ward",
        })
    }
}

/// Sub-segments per segment (`--sub-k`): searched and kept when stable, a fixed number, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubK {
    Off,
    Auto,
    Fixed(usize),
}

impl std::str::FromStr for SubK {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        match s.parse::<usize>() {
            Ok(0) => Ok(Self::Off),
            Ok(k) if k >= 2 => Ok(Self::Fixed(k)),
            _ => Err(format!(
                "invalid sub-k '{s}': use \"auto\", 0 (no sub-segments) or a number >= 2"
            )),
        }
    }
}

impl Serialize for SubK {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Off => s.serialize_u64(0),
            Self::Auto => s.serialize_str("auto"),
            Self::Fixed(k) => s.serialize_u64(*k as u64),
        }
    }
}

impl<'de> Deserialize<'de> for SubK {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            N(i64),
        }
        match Raw::deserialize(d)? {
            Raw::S(s) => s.parse().map_err(serde::de::Error::custom),
            Raw::N(n) => n.to_string().parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Number of segments: chosen automatically over `k_min..=k_max`, or fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KChoice {
    Auto,
    Fixed(usize),
}

impl std::str::FromStr for KChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        match s.parse::<usize>() {
            Ok(k) if k >= 2 => Ok(Self::Fixed(k)),
            _ => Err(format!(
                "invalid k '{s}': use \"auto\" or a whole number of segments >= 2"
            )),
        }
    }
}

impl Serialize for KChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Auto => s.serialize_str("auto"),
            Self::Fixed(k) => s.serialize_u64(*k as u64),
        }
    }
}

impl<'de> Deserialize<'de> for KChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            N(i64),
        }
        match Raw::deserialize(d)? {
            Raw::S(s) => s.parse().map_err(serde::de::Error::custom),
            Raw::N(n) if n >= 2 => Ok(Self::Fixed(n as usize)),
            Raw::N(n) => Err(serde::de::Error::custom(format!(
                "invalid k {n}: use \"auto\" or a number >= 2"
            ))),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    pub algo: Algo,
    pub k: KChoice,
    pub k_min: usize,
    pub k_max: usize,
    pub n_init: usize,
    pub max_iter: u64,
    pub tolerance: f64,
    pub search_sample: usize,
    pub silhouette_sample: usize,
    pub stability_runs: usize,
    pub seed_runs: usize,
    pub sub_k: SubK,
    pub sub_k_max: usize,
    pub temperature_scale: f64,
    pub gmm_reg: f64,
    pub dbscan_eps: f64,
    pub dbscan_min_points: usize,
}

/// The terminal UI (`seglens tui`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TuiConfig {
    /// Shortest time between two frames; events in between are drained and drawn once.
    pub frame_ms: u64,
    /// Capture the mouse at start (`m` toggles; off lets the terminal select text).
    pub mouse: bool,
    /// Where `e` writes exports; empty = `exports/` inside the run directory.
    pub export_dir: String,
    /// Action name -> keys, replacing that action's default keys.
    pub keys: BTreeMap<String, Vec<String>>,
}

impl Default for TuiConfig {
    fn default() -> Self {
        Self {
            frame_ms: 33,
            mouse: true,
            export_dir: String::new(),
            keys: BTreeMap::new(),
        }
    }
}

/// The persona writer: the local LLM, its sampling, tools, grounding and cache.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// Manifest name or GGUF path; empty = the demo model.
    pub model: String,
    /// 0 = all cores.
    pub threads: usize,
    /// -1 = every layer when built with a GPU feature, else none.
    pub gpu_layers: i64,
    pub parallel: usize,
    pub ctx_per_sequence: u32,
    pub temperature: f32,
    pub top_k: i32,
    pub top_p: f32,
    pub min_p: f32,
    pub repeat_penalty: f32,
    pub tools: bool,
    pub max_tool_calls: usize,
    pub grounding_threshold: f64,
    pub tolerance: f64,
    pub max_traits: usize,
    pub neighbours: usize,
    pub name_vote: bool,
    /// Empty = the built-in templates.
    pub prompts_dir: String,
    pub cache: bool,
    /// Empty = `$SEGLENS_PERSONA_CACHE`, else `~/.cache/seglens/personas`.
    pub cache_dir: String,
}

impl LlmConfig {
    /// The persona cache folder, `None` when the cache is off.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        if !self.cache {
            None
        } else if self.cache_dir.is_empty() {
            Some(crate::llm::cache::default_dir())
        } else {
            Some(PathBuf::from(&self.cache_dir))
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    pub representatives: usize,
    pub top_products: usize,
    pub top_categories: usize,
    pub min_product_buyers: usize,
}

impl Default for Config {
    fn default() -> Self {
        // The embedded file is checked by a unit test; failing here would be a build defect.
        match Self::from_toml_str(DEFAULT_TOML, "defaults") {
            Ok(c) => c,
            Err(e) => panic!("embedded default config is invalid: {e}"),
        }
    }
}

impl Config {
    /// Loads the defaults with `path` (if any) merged over them.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses a (partial) TOML document and merges it over the embedded defaults.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let mut base: toml::Value =
            toml::from_str(DEFAULT_TOML).map_err(|e| invalid(format!("embedded defaults: {e}")))?;
        let user: toml::Value = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from(origin),
            message: e.to_string(),
        })?;
        merge(&mut base, user);
        let cfg: Config = base
            .try_into()
            .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
        cfg.validate().map_err(invalid)?;
        Ok(cfg)
    }

    /// Checks ranges and names that serde cannot express.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=1000).contains(&self.tui.frame_ms) {
            return Err(format!(
                "tui.frame_ms ({}) must be between 1 and 1000",
                self.tui.frame_ms
            ));
        }
        crate::tui::keys::Keymap::with_overrides(&self.tui.keys)?;
        let l = &self.llm;
        if l.parallel == 0 || l.parallel > 64 {
            return Err(format!(
                "llm.parallel ({}) must be between 1 and 64",
                l.parallel
            ));
        }
        if l.ctx_per_sequence < 1024 {
            return Err("llm.ctx_per_sequence must be >= 1024".into());
        }
        if !(0.0..=2.0).contains(&l.temperature) {
            return Err(format!(
                "llm.temperature ({}) must be between 0 and 2",
                l.temperature
            ));
        }
        if !(0.0..=1.0).contains(&l.grounding_threshold) || !(0.0..=1.0).contains(&l.tolerance) {
            return Err("llm.grounding_threshold and llm.tolerance must be between 0 and 1".into());
        }
        if l.max_tool_calls > 8 {
            return Err("llm.max_tool_calls must be at most 8".into());
        }
        let c = &self.cluster;
        if c.k_min < 2 || c.k_max < c.k_min {
            return Err(format!(
                "cluster.k_min ({}) must be >= 2 and <= cluster.k_max ({})",
                c.k_min, c.k_max
            ));
        }
        if c.n_init == 0 {
            return Err("cluster.n_init must be >= 1".into());
        }
        if c.sub_k_max < 2 {
            return Err("cluster.sub_k_max must be >= 2".into());
        }
        if c.silhouette_sample < 100 || c.search_sample < 100 {
            return Err(
                "cluster.silhouette_sample and cluster.search_sample must be >= 100".into(),
            );
        }
        if c.temperature_scale.is_nan() || c.temperature_scale <= 0.0 {
            return Err("cluster.temperature_scale must be > 0".into());
        }
        if !(0.0..=1.0).contains(&self.validation.max_bad_row_share) {
            return Err("validation.max_bad_row_share must be between 0 and 1".into());
        }
        if self.features.clip.is_nan() || self.features.clip <= 0.0 {
            return Err("features.clip must be > 0".into());
        }
        if self.features.shrinkage.is_nan() || self.features.shrinkage < 0.0 {
            return Err("features.shrinkage must be >= 0".into());
        }
        if !self.features.as_of.is_empty()
            && chrono::NaiveDate::parse_from_str(&self.features.as_of, "%Y-%m-%d").is_err()
        {
            return Err(format!(
                "features.as_of '{}' is not a date: use YYYY-MM-DD or leave it empty",
                self.features.as_of
            ));
        }
        let t = &self.text;
        if !(t.weight.is_finite() && t.weight >= 0.0) {
            return Err(format!(
                "text.weight = {}: must be >= 0 (0 = behaviour only)",
                t.weight
            ));
        }
        if !(1..=64).contains(&t.components) {
            return Err("text.components must be between 1 and 64".into());
        }
        if t.max_tokens < 8 {
            return Err("text.max_tokens must be >= 8".into());
        }
        if t.pca_sample < 100 {
            return Err("text.pca_sample must be >= 100".into());
        }
        if !["auto", "cpu", "cuda", "metal"].contains(&t.device.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "text.device '{}': use auto, cpu, cuda or metal",
                t.device
            ));
        }
        for (name, w) in &self.features.weights {
            if !(w.is_finite() && *w >= 0.0) {
                return Err(format!(
                    "features.weights.{name} = {w}: weights must be >= 0"
                ));
            }
        }
        for (table, map) in &self.columns {
            let Some(known) = crate::data::canonical_columns(table) else {
                return Err(format!(
                    "[columns.{table}]: unknown table; tables are {}",
                    TABLES.join(", ")
                ));
            };
            let mut targets = std::collections::BTreeMap::new();
            for (canonical, theirs) in map {
                if let Some(other) = targets.insert(theirs.as_str(), canonical.as_str()) {
                    return Err(format!(
                        "[columns.{table}] maps both {other} and {canonical} to '{theirs}'; each column can be mapped once"
                    ));
                }
            }
            for canonical in map.keys() {
                if !known.contains(&canonical.as_str()) {
                    return Err(format!(
                        "[columns.{table}] {canonical}: unknown column; {table} columns are {}",
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    /// Weight of a feature: exact key first, then the longest matching `prefix*` key, else 1.
    pub fn feature_weight(&self, name: &str) -> f64 {
        if let Some(w) = self.features.weights.get(name) {
            return *w;
        }
        self.features
            .weights
            .iter()
            .filter_map(|(k, w)| {
                let prefix = k.strip_suffix('*')?;
                name.starts_with(prefix).then_some((prefix.len(), *w))
            })
            .max_by_key(|(len, _)| *len)
            .map_or(1.0, |(_, w)| w)
    }

    /// The configuration as TOML, for `run.json` and `seglens config --show`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// Recursively overlays `over` onto `base`: tables merge key by key, other values replace.
fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let c = Config::default();
        assert_eq!(c.cluster.k, KChoice::Auto);
        assert_eq!(c.cluster.algo, Algo::Kmeans);
        assert_eq!(c.cluster.k_min, 3);
        assert_eq!(c.cluster.k_max, 15);
        assert_eq!(c.cluster.sub_k, SubK::Auto);
        assert_eq!("0".parse::<SubK>(), Ok(SubK::Off));
        assert_eq!("4".parse::<SubK>(), Ok(SubK::Fixed(4)));
        assert!("1".parse::<SubK>().is_err());
    }

    #[test]
    fn user_file_overrides_and_keeps_rest() {
        let c = Config::from_toml_str(
            "seed = 7\n[cluster]\nk = 5\n[columns.orders]\ncustomer_id = \"household_id\"\n",
            "test",
        )
        .unwrap();
        assert_eq!(c.seed, 7);
        assert_eq!(c.cluster.k, KChoice::Fixed(5));
        assert_eq!(c.cluster.k_max, 15);
        assert_eq!(c.columns["orders"]["customer_id"], "household_id");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        assert!(Config::from_toml_str("[cluster]\nkk = 3\n", "t").is_err());
        assert!(Config::from_toml_str("[cluster]\nk = 1\n", "t").is_err());
        assert!(Config::from_toml_str("[columns.orderz]\na = \"b\"\n", "t").is_err());
        assert!(Config::from_toml_str("[columns.orders]\nfoo = \"b\"\n", "t").is_err());
        assert!(Config::from_toml_str("[features]\nas_of = \"yesterday\"\n", "t").is_err());
    }

    #[test]
    fn weight_prefix_matching() {
        let c = Config::from_toml_str(
            "[features.weights]\n\"cat_share_*\" = 0.5\ncat_share_books = 2.0\n",
            "t",
        )
        .unwrap();
        assert_eq!(c.feature_weight("cat_share_books"), 2.0);
        assert_eq!(c.feature_weight("cat_share_toys"), 0.5);
        assert_eq!(c.feature_weight("frequency"), 1.0);
    }

    #[test]
    fn round_trips_through_toml() {
        let c = Config::default();
        let again = Config::from_toml_str(&c.to_toml(), "t").unwrap();
        assert_eq!(c, again);
    }
}
