//! Local sentence embeddings with candle: loading a BERT-family model folder (config.json,
//! tokenizer.json, model.safetensors), tokenising, batching by length, the on-disk cache and the
//! throughput figures.
//!
//! Throughput comes from three things: every distinct text is embedded once; texts are sorted by
//! token count and cut into batches by a token budget; on CPU the batch is packed without padding
//! (see [`bert::PackedBert`]).

pub mod bert;
pub mod cache;
pub mod kernels;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Device;
use candle_transformers::models::bert::Config as BertConfig;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

use bert::{PackedBert, PaddedBert};
pub use cache::{Cache, CacheError};

/// Where the default model lives inside the models cache.
pub const DEFAULT_MODEL_DIR: &str = "all-MiniLM-L6-v2";

/// Everything that can go wrong loading or running the embedding model.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "embedding model folder {dir} lacks {file}: run `models/fetch` or point --embed-model at a \
         BERT sentence-embedding folder (config.json, tokenizer.json, model.safetensors)"
    )]
    Missing { dir: PathBuf, file: &'static str },
    #[error("embedding model {path}: {message}")]
    Model { path: PathBuf, message: String },
    #[error(
        "device '{0}' is not available in this build: rebuild with `--features {0}` or use --device cpu"
    )]
    DeviceNotBuilt(String),
    #[error("unknown device '{0}': use auto, cpu, cuda or metal")]
    UnknownDevice(String),
    #[error("embedding failed: {0}")]
    Run(#[from] candle_core::Error),
    #[error("tokenising failed: {0}")]
    Tokenize(String),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// How to run the model.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// The model folder.
    pub model_dir: PathBuf,
    /// Texts are truncated to this many tokens, [CLS] and [SEP] included.
    pub max_tokens: usize,
    /// Upper bound on the tokens in one batch.
    pub batch_tokens: usize,
    /// "auto", "cpu", "cuda" or "metal".
    pub device: String,
}

/// The models cache: `$SEGLENS_MODELS`, else `~/.cache/seglens/models`.
pub fn models_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("SEGLENS_MODELS").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    cache_root().join("models")
}

/// `~/.cache/seglens` (or `$XDG_CACHE_HOME/seglens`).
pub fn cache_root() -> PathBuf {
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("seglens");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache").join("seglens"),
        None => PathBuf::from(".seglens-cache"),
    }
}

/// Chooses the device: the GPU when built for one and present, else the CPU.
pub fn device(choice: &str) -> Result<Device, EmbedError> {
    match choice.to_ascii_lowercase().as_str() {
        "cpu" => Ok(Device::Cpu),
        "cuda" => {
            #[cfg(feature = "cuda")]
            {
                Ok(Device::new_cuda(0)?)
            }
            #[cfg(not(feature = "cuda"))]
            Err(EmbedError::DeviceNotBuilt("cuda".into()))
        }
        "metal" => {
            #[cfg(feature = "metal")]
            {
                Ok(Device::new_metal(0)?)
            }
            #[cfg(not(feature = "metal"))]
            Err(EmbedError::DeviceNotBuilt("metal".into()))
        }
        "auto" => {
            #[cfg(feature = "cuda")]
            if let Ok(d) = Device::new_cuda(0) {
                return Ok(d);
            }
            #[cfg(feature = "metal")]
            if let Ok(d) = Device::new_metal(0) {
                return Ok(d);
            }
            Ok(Device::Cpu)
        }
        other => Err(EmbedError::UnknownDevice(other.to_string())),
    }
}

enum Engine {
    Packed(PackedBert),
    Padded(PaddedBert),
}

/// A loaded sentence-embedding model.
pub struct Embedder {
    tokenizer: Tokenizer,
    engine: Engine,
    dim: usize,
    /// sha256 of the weights, config and tokenizer, and the truncation length: the cache key space.
    fingerprint: String,
    batch_tokens: usize,
    /// Texts are cut to this many characters before tokenizing: a token spans at least one
    /// character, so [`CHARS_PER_TOKEN`] per kept token never changes the result, while one
    /// huge review no longer costs memory far beyond its truncated tokens.
    max_chars: usize,
    device_name: String,
}

/// Characters kept per token of the truncation length (WordPiece tokens are rarely over 16).
const CHARS_PER_TOKEN: usize = 16;

/// Distinct texts embedded per cache append: an interrupted run loses at most this many.
const CACHE_CHUNK: usize = 16_384;

/// Vectors of a list of texts, stored once per distinct text.
pub struct Embedded {
    pub dim: usize,
    /// `[distinct, dim]` row-major, unit length.
    pub vectors: Vec<f32>,
    /// Row in `vectors` of each input text.
    pub index: Vec<u32>,
}

impl Embedded {
    /// The vector of input text `i`.
    pub fn of(&self, i: usize) -> &[f32] {
        let r = self.index[i] as usize;
        &self.vectors[r * self.dim..(r + 1) * self.dim]
    }
}

/// Throughput of one embedding call.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct EmbedStats {
    /// Texts asked for (with repeats).
    pub texts: usize,
    /// Distinct texts among them.
    pub distinct: usize,
    /// Distinct texts found in the cache.
    pub cached: usize,
    /// Distinct texts run through the model.
    pub embedded: usize,
    /// Real (unpadded) tokens run through the model.
    pub tokens: usize,
    /// Seconds spent hashing, tokenising and running the model.
    pub seconds: f64,
    /// Distinct texts run through the model per second (0 when nothing ran).
    pub texts_per_s: f64,
    /// Real tokens per second.
    pub tokens_per_s: f64,
    /// Why the cache stopped being written, when it did (the run carries on without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_warning: Option<String>,
}

/// Progress of an embedding call: texts done, texts to do, tokens done.
#[derive(Debug, Clone, Copy)]
pub struct EmbedProgress {
    pub done: usize,
    pub total: usize,
    pub tokens: usize,
    pub seconds: f64,
}

fn required(dir: &Path, file: &'static str) -> Result<PathBuf, EmbedError> {
    let p = dir.join(file);
    if p.is_file() {
        Ok(p)
    } else {
        Err(EmbedError::Missing {
            dir: dir.to_path_buf(),
            file,
        })
    }
}

fn hash_file(h: &mut Sha256, path: &Path) -> Result<(), EmbedError> {
    let mut f = std::fs::File::open(path).map_err(|e| EmbedError::Model {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::io::copy(&mut f, h).map_err(|e| EmbedError::Model {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(())
}

impl Embedder {
    /// Loads the model folder named in `opts`.
    pub fn load(opts: &EmbedOptions) -> Result<Self, EmbedError> {
        let dir = &opts.model_dir;
        let config_path = required(dir, "config.json")?;
        let tok_path = required(dir, "tokenizer.json")?;
        let weights = required(dir, "model.safetensors")?;
        let model_err = |path: &Path, message: String| EmbedError::Model {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| model_err(&config_path, e.to_string()))?;
        let config: BertConfig = serde_json::from_str(&text).map_err(|e| {
            model_err(
                &config_path,
                format!("not a BERT config ({e}); seglens runs BERT-family encoders"),
            )
        })?;
        let h = config.hidden_size;
        if config.num_attention_heads == 0
            || !h.is_multiple_of(config.num_attention_heads)
            || config.max_position_embeddings < 2
            || config.num_hidden_layers == 0
        {
            return Err(model_err(
                &config_path,
                format!(
                    "inconsistent BERT config: hidden_size {h}, num_attention_heads {}, \
                     max_position_embeddings {}, num_hidden_layers {}",
                    config.num_attention_heads,
                    config.max_position_embeddings,
                    config.num_hidden_layers
                ),
            ));
        }
        let max_tokens = opts.max_tokens.clamp(2, config.max_position_embeddings);
        let mut tokenizer =
            Tokenizer::from_file(&tok_path).map_err(|e| model_err(&tok_path, e.to_string()))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| model_err(&tok_path, e.to_string()))?;

        let mut h = Sha256::new();
        for p in [&config_path, &tok_path, &weights] {
            hash_file(&mut h, p)?;
        }
        h.update(format!("max_tokens={max_tokens}"));
        let fingerprint = crate::util::hex(&h.finalize()[..12]);

        let dev = device(&opts.device)?;
        let load_err = |e: candle_core::Error| model_err(&weights, e.to_string());
        let (engine, device_name) = if dev.is_cpu() {
            (
                Engine::Packed(PackedBert::load(&weights, &config).map_err(load_err)?),
                "cpu".to_string(),
            )
        } else {
            let name = if dev.is_cuda() { "cuda" } else { "metal" };
            (
                Engine::Padded(PaddedBert::load(&weights, &config, &dev).map_err(load_err)?),
                name.to_string(),
            )
        };
        Ok(Self {
            tokenizer,
            engine,
            dim: config.hidden_size,
            fingerprint,
            batch_tokens: opts.batch_tokens.max(max_tokens),
            max_chars: max_tokens * CHARS_PER_TOKEN,
            device_name,
        })
    }

    /// Vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Identifies model + truncation; names the cache file.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// "cpu", "cuda" or "metal".
    pub fn device_name(&self) -> &str {
        &self.device_name
    }

    /// Token ids of each text, truncated.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        texts
            .par_chunks(256)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|t| {
                        let cut = match t.char_indices().nth(self.max_chars) {
                            Some((at, _)) => &t[..at],
                            None => t,
                        };
                        self.tokenizer
                            .encode_fast(cut, true)
                            .map(|e| e.get_ids().to_vec())
                            .map_err(|e| EmbedError::Tokenize(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.into_iter().flatten().collect())
    }

    /// Embeds token sequences as given (one batch): `[n, dim]` row-major.
    pub fn embed_ids(&self, seqs: &[&[u32]]) -> Result<Vec<f32>, EmbedError> {
        Ok(match &self.engine {
            Engine::Packed(m) => m.embed(seqs)?,
            Engine::Padded(m) => m.embed(seqs)?,
        })
    }

    /// Embeds `texts` (no cache, no de-duplication): `[n, dim]` row-major, unit length.
    /// Texts are sorted by token count and batched by the token budget.
    pub fn embed(
        &self,
        texts: &[&str],
        progress: &dyn Fn(EmbedProgress),
    ) -> Result<(Vec<f32>, usize), EmbedError> {
        let start = Instant::now();
        let ids = self.tokenize(texts)?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| (ids[i].len(), i));
        let mut out = vec![0f32; texts.len() * self.dim];
        // Cut the sorted list into batches; sorted ascending, so a batch's last sequence is its
        // longest and `len * count` bounds its padded size.
        let mut batches = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let mut j = i + 1;
            while j < order.len() && ids[order[j]].len() * (j - i + 1) <= self.batch_tokens {
                j += 1;
            }
            batches.push(i..j);
            i = j;
        }
        // On CPU, as many batches run side by side as there are threads: the matrix products
        // alone do not keep every core busy between the row-wise steps.
        // At most four: beyond that the matrix products parallelise well on their own, and each
        // batch in flight holds about 140 MB at the default token budget.
        let side_by_side = match self.engine {
            Engine::Packed(_) => rayon::current_num_threads().clamp(1, 4),
            Engine::Padded(_) => 1,
        };
        let (mut done, mut tokens) = (0usize, 0usize);
        for group in batches.chunks(side_by_side) {
            let results: Vec<Result<Vec<f32>, EmbedError>> = group
                .par_iter()
                .with_max_len(1)
                .map(|r| {
                    let seqs: Vec<&[u32]> = order[r.clone()]
                        .iter()
                        .map(|&k| ids[k].as_slice())
                        .collect();
                    self.embed_ids(&seqs)
                })
                .collect();
            for (r, vecs) in group.iter().zip(results) {
                let vecs = vecs?;
                for (slot, v) in order[r.clone()].iter().zip(vecs.chunks_exact(self.dim)) {
                    out[slot * self.dim..(slot + 1) * self.dim].copy_from_slice(v);
                    tokens += ids[*slot].len();
                }
                done += r.len();
            }
            progress(EmbedProgress {
                done,
                total: order.len(),
                tokens,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
        Ok((out, tokens))
    }

    /// Embeds `texts` through the cache: each distinct text once, cached ones not at all. New
    /// vectors are appended to the cache chunk by chunk, so an interrupted run keeps what it
    /// finished. Returns one vector per distinct text and, per input text, its row.
    pub fn embed_cached(
        &self,
        texts: &[&str],
        mut cache: Option<&mut Cache>,
        progress: &dyn Fn(EmbedProgress),
    ) -> Result<(Embedded, EmbedStats), EmbedError> {
        let start = Instant::now();
        let dim = self.dim;
        let keys: Vec<cache::Key> = texts.par_iter().map(|t| cache::key(t)).collect();
        let mut row_of: HashMap<cache::Key, u32> = HashMap::with_capacity(texts.len() / 2);
        let mut distinct: Vec<usize> = Vec::new();
        let mut index = Vec::with_capacity(texts.len());
        for (i, k) in keys.iter().enumerate() {
            let row = *row_of.entry(*k).or_insert_with(|| {
                distinct.push(i);
                (distinct.len() - 1) as u32
            });
            index.push(row);
        }
        drop(row_of);
        let mut vectors = vec![0f32; distinct.len() * dim];
        let mut todo = Vec::new();
        for (row, &i) in distinct.iter().enumerate() {
            match cache.as_ref().and_then(|c| c.get(&keys[i])) {
                Some(v) => vectors[row * dim..(row + 1) * dim].copy_from_slice(v),
                None => todo.push(row),
            }
        }
        let mut stats = EmbedStats {
            texts: texts.len(),
            distinct: distinct.len(),
            cached: distinct.len() - todo.len(),
            embedded: todo.len(),
            ..Default::default()
        };
        if let Some(n) = cache.as_ref().map(|c| c.damaged()).filter(|&n| n > 0) {
            stats.cache_warning = Some(format!(
                "{n} damaged record(s) in the embedding cache were skipped; their texts are \
                 embedded again"
            ));
        }
        let mut non_finite = 0usize;
        let (mut done, mut tokens) = (0usize, 0usize);
        for chunk in todo.chunks(CACHE_CHUNK) {
            let chunk_texts: Vec<&str> = chunk.iter().map(|&r| texts[distinct[r]]).collect();
            let (fresh, t) = self.embed(&chunk_texts, &|p| {
                progress(EmbedProgress {
                    done: done + p.done,
                    total: todo.len(),
                    tokens: tokens + p.tokens,
                    seconds: start.elapsed().as_secs_f64(),
                })
            })?;
            for (&row, v) in chunk.iter().zip(fresh.chunks_exact(dim)) {
                let out = &mut vectors[row * dim..(row + 1) * dim];
                if v.iter().all(|x| x.is_finite()) {
                    out.copy_from_slice(v);
                } else {
                    // Never let a NaN reach the clustering: the text counts as empty.
                    out.fill(0.0);
                    non_finite += 1;
                }
            }
            if let Some(c) = cache.as_mut() {
                let items: Vec<(cache::Key, &[f32])> = chunk
                    .iter()
                    .zip(fresh.chunks_exact(dim))
                    .map(|(&row, v)| (keys[distinct[row]], v))
                    .collect();
                if let Err(e) = c.append(&items) {
                    // A read-only home or a full disk must not cost the embeddings themselves.
                    stats.cache_warning = Some(format!("not caching new embeddings: {e}"));
                    cache = None;
                }
            }
            done += chunk.len();
            tokens += t;
        }
        if non_finite > 0 {
            stats.cache_warning = Some(format!(
                "{non_finite} text(s) gave a non-finite embedding and count as empty"
            ));
        }
        stats.tokens = tokens;
        stats.seconds = start.elapsed().as_secs_f64();
        if stats.embedded > 0 && stats.seconds > 0.0 {
            stats.texts_per_s = stats.embedded as f64 / stats.seconds;
            stats.tokens_per_s = stats.tokens as f64 / stats.seconds;
        }
        Ok((
            Embedded {
                dim,
                vectors,
                index,
            },
            stats,
        ))
    }

    /// Path of this model's cache file under `dir`.
    pub fn cache_path(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}-{}.v2.bin", self.fingerprint, self.dim))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_device_is_named() {
        let err = device("tpu").err().unwrap().to_string();
        assert!(err.contains("tpu") && err.contains("cpu"), "{err}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_feature_says_how_to_build() {
        let err = device("cuda").err().unwrap().to_string();
        assert!(err.contains("--features cuda"), "{err}");
    }

    #[test]
    fn missing_model_folder_names_the_fix() {
        let opts = EmbedOptions {
            model_dir: PathBuf::from("/nonexistent/model"),
            max_tokens: 128,
            batch_tokens: 4096,
            device: "cpu".into(),
        };
        let err = Embedder::load(&opts).err().unwrap().to_string();
        assert!(
            err.contains("config.json") && err.contains("models/fetch"),
            "{err}"
        );
    }
}
