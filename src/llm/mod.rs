//! The local LLM: loading a GGUF model through llama.cpp (crate llama-cpp-2) once per run, and
//! everything built on it to explain segments: prompts, the persona schema and its grammar, the
//! tool loop, the grounding check, the persona cache and the template fallback.
//!
//! GPU offload comes from the cargo features `cuda`, `metal` and `vulkan`, passed through to
//! llama.cpp; the default build runs on the CPU.

pub mod cache;
pub mod degenerate;
pub mod engine;
pub mod fallback;
pub mod grounding;
pub mod injected;
pub mod naming;
pub mod persona;
pub mod prompt;
pub mod tools;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatTemplate, LlamaModel};
use serde::Deserialize;

/// The model manifest, embedded: names the `--model` option accepts.
pub const MANIFEST: &str = include_str!("../../models/manifest.toml");

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "qwen2.5-coder-1.5b";

/// What went wrong with the LLM.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("no LLM model at {path}: {hint}")]
    Missing { path: PathBuf, hint: String },
    #[error("llama.cpp could not load {path}: {message}; is it a GGUF file? (--model PATH|NAME)")]
    Load { path: PathBuf, message: String },
    #[error("llama.cpp backend failed to start: {0}")]
    Backend(String),
    #[error("could not create a {n_ctx}-token context: {message}; lower --parallel or llm.ctx_per_sequence")]
    Context { n_ctx: u32, message: String },
    #[error("the model's chat template failed: {0}")]
    Template(String),
    #[error("the output grammar was rejected by llama.cpp: {0}")]
    Grammar(String),
    #[error("the context is full; raise llm.ctx_per_sequence or lower --parallel")]
    ContextFull,
    #[error("cancelled")]
    Cancelled,
    #[error("decoding failed: {0}")]
    Decode(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not the manifest's file: its sha256 is {found}, the manifest says {want}; \
         delete it and run models/fetch again"
    )]
    Mismatch {
        path: PathBuf,
        want: String,
        found: String,
    },
}

static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();

/// The process-wide llama.cpp backend (llama.cpp allows one initialisation per process). Its log
/// goes to `tracing`, which seglens does not subscribe to, so llama.cpp stays quiet on stderr.
pub fn backend() -> Result<&'static LlamaBackend, LlmError> {
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Backend(e.clone()))
}

#[derive(Debug, Deserialize)]
struct Manifest {
    model: Vec<ManifestModel>,
}

#[derive(Debug, Deserialize)]
struct ManifestModel {
    name: String,
    kind: String,
    path: String,
    size: Option<u64>,
    sha256: Option<String>,
}

/// A model file chosen by name or path.
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// Manifest name, or the file name for a path.
    pub name: String,
    pub path: PathBuf,
    /// sha256 from the manifest when the file is a manifest model of the right size:
    /// [`cache::model_sha256`] checks the file against it (once per size and modification time).
    pub known_sha256: Option<String>,
}

/// LLM names in the manifest.
pub fn llm_names() -> Vec<String> {
    manifest()
        .map(|m| {
            m.model
                .into_iter()
                .filter(|m| m.kind == "llm")
                .map(|m| m.name)
                .collect()
        })
        .unwrap_or_default()
}

fn manifest() -> Option<Manifest> {
    toml::from_str(MANIFEST).ok()
}

/// Resolves `--model`: a manifest name (file in the models cache) or a path; empty = the default.
pub fn resolve_model(spec: &str) -> Result<ModelFile, LlmError> {
    let spec = if spec.is_empty() { DEFAULT_MODEL } else { spec };
    let entry = manifest().and_then(|m| {
        m.model
            .into_iter()
            .find(|m| m.kind == "llm" && m.name == spec)
    });
    if let Some(m) = entry {
        let path = crate::embed::models_dir().join(&m.path);
        if !path.is_file() {
            return Err(LlmError::Missing {
                path,
                hint: format!("fetch it with `models/fetch {}`", m.name),
            });
        }
        let right_size = m
            .size
            .is_some_and(|s| std::fs::metadata(&path).map(|md| md.len()).ok() == Some(s));
        return Ok(ModelFile {
            name: m.name,
            path,
            known_sha256: if right_size { m.sha256 } else { None },
        });
    }
    let path = PathBuf::from(spec);
    if !path.is_file() {
        return Err(LlmError::Missing {
            hint: format!(
                "pass a GGUF file or one of the model names {} (fetched with models/fetch)",
                llm_names().join(", ")
            ),
            path,
        });
    }
    // A path to a manifest model's file still gets the manifest's hash.
    let known = manifest().and_then(|m| {
        let file = path.file_name()?.to_string_lossy().into_owned();
        let len = std::fs::metadata(&path).ok()?.len();
        m.model
            .into_iter()
            .find(|e| e.kind == "llm" && e.path == file && e.size == Some(len))
            .and_then(|e| e.sha256)
    });
    Ok(ModelFile {
        name: path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.to_string()),
        path,
        known_sha256: known,
    })
}

/// Where the model runs.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub threads: usize,
    /// Layers offloaded to the GPU; `None` = all when built with a GPU feature, else none.
    pub gpu_layers: Option<u32>,
}

/// A loaded model with its chat template: loaded once per run.
pub struct Llm {
    pub model: LlamaModel,
    pub template: LlamaChatTemplate,
    pub file: ModelFile,
    pub threads: usize,
    pub gpu_layers: u32,
    pub load_ms: f64,
}

/// Whether this build can offload to a GPU.
pub const GPU_BUILD: bool = cfg!(any(feature = "cuda", feature = "metal", feature = "vulkan"));

impl Llm {
    /// Loads `file`; fails with a message that names the file and the option that fixes it.
    pub fn load(file: &ModelFile, opts: &LoadOptions) -> Result<Self, LlmError> {
        let start = Instant::now();
        check_gguf(&file.path)?;
        let backend = backend()?;
        let gpu_layers = opts.gpu_layers.unwrap_or(if GPU_BUILD { 999 } else { 0 });
        let params = LlamaModelParams::default().with_n_gpu_layers(gpu_layers);
        let model = LlamaModel::load_from_file(backend, &file.path, &params).map_err(|e| {
            LlmError::Load {
                path: file.path.clone(),
                message: e.to_string(),
            }
        })?;
        let template = model.chat_template(None).map_err(|e| {
            LlmError::Template(format!(
                "{} has no usable chat template ({e}); use an instruction-tuned GGUF",
                file.path.display()
            ))
        })?;
        Ok(Self {
            model,
            template,
            file: file.clone(),
            threads: opts.threads.max(1),
            gpu_layers,
            load_ms: start.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// A cheap check before llama.cpp sees the file: its own error for a non-GGUF file is opaque.
fn check_gguf(path: &Path) -> Result<(), LlmError> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut f = std::fs::File::open(path).map_err(|source| LlmError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if f.read_exact(&mut magic).is_err() || &magic != b"GGUF" {
        return Err(LlmError::Load {
            path: path.to_path_buf(),
            message: "the file does not start with the GGUF magic bytes".into(),
        });
    }
    Ok(())
}
