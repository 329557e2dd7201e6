//! The persona cache: one file per generated conversation, keyed by everything that decides its
//! text (the run's data fingerprint, the prompt in full, the prompt templates' hash, the model's
//! sha256, the seed and the sampling settings). A re-run with the same inputs reads every
//! persona from here and never loads the model.
//!
//! Also the model file's sha256, remembered by path, size and modification time so a big GGUF
//! is hashed once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::engine::Message;

/// Where personas are cached: `llm.cache_dir`, else `$SEGLENS_PERSONA_CACHE`, else
/// `~/.cache/seglens/personas`.
pub fn default_dir() -> PathBuf {
    std::env::var_os("SEGLENS_PERSONA_CACHE")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::embed::cache_root().join("personas"))
}

/// A cached conversation: the messages after the prompt and the final reply.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub key: String,
    pub transcript: Vec<Message>,
    pub reply: String,
    pub complete: bool,
    pub tokens: usize,
}

/// The cache folder (or none when caching is off).
#[derive(Debug, Clone)]
pub struct PersonaCache {
    dir: Option<PathBuf>,
}

impl PersonaCache {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{key}.json")))
    }

    /// The entry for `key`, if present and readable (a damaged file counts as a miss).
    pub fn get(&self, key: &str) -> Option<Entry> {
        let bytes = std::fs::read(self.path(key)?).ok()?;
        let e: Entry = serde_json::from_slice(&bytes).ok()?;
        (e.key == key).then_some(e)
    }

    /// Stores an entry atomically; a failure is returned for the caller to warn about.
    pub fn put(&self, entry: &Entry) -> std::io::Result<()> {
        let Some(path) = self.path(&entry.key) else {
            return Ok(());
        };
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        let bytes = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        crate::util::write_atomic(&path, &bytes)
    }
}

/// The key of a conversation: sha256 over its parts, each length-prefixed.
pub fn key(parts: &[&str]) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend((p.len() as u64).to_le_bytes());
        all.extend(p.as_bytes());
    }
    crate::util::sha256_hex(&all)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stamps {
    files: std::collections::BTreeMap<String, (u64, i128, String)>,
}

/// sha256 of a model file, from the manifest when known, else from a stamp file in the cache
/// (path, size, mtime), else computed (about 2 s per GB).
pub fn model_sha256(
    file: &super::ModelFile,
    cache_dir: Option<&Path>,
) -> Result<String, super::LlmError> {
    let actual = file_sha256(file, cache_dir)?;
    match &file.known_sha256 {
        Some(want) if *want != actual => Err(super::LlmError::Mismatch {
            path: file.path.clone(),
            want: want.clone(),
            found: actual,
        }),
        _ => Ok(actual),
    }
}

/// The file's own sha256, hashed once and then remembered by path, size and modification time
/// (model-hashes.json in `cache_dir`), so what a run records is the file's hash, never a guess.
fn file_sha256(
    file: &super::ModelFile,
    cache_dir: Option<&Path>,
) -> Result<String, super::LlmError> {
    let io = |source| super::LlmError::Io {
        path: file.path.clone(),
        source,
    };
    let md = std::fs::metadata(&file.path).map_err(io)?;
    let mtime = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let canon = std::fs::canonicalize(&file.path)
        .unwrap_or_else(|_| file.path.clone())
        .display()
        .to_string();
    let stamp_path = cache_dir.map(|d| d.join("model-hashes.json"));
    let mut stamps: Stamps = stamp_path
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some((size, t, h)) = stamps.files.get(&canon) {
        if *size == md.len() && *t == mtime {
            return Ok(h.clone());
        }
    }
    let digest = sha256_file(&file.path).map_err(io)?;
    stamps
        .files
        .insert(canon, (md.len(), mtime, digest.clone()));
    if let Some(p) = stamp_path {
        let _ = p.parent().map(std::fs::create_dir_all);
        if let Ok(b) = serde_json::to_vec_pretty(&stamps) {
            let _ = crate::util::write_atomic(&p, &b);
        }
    }
    Ok(digest)
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(crate::util::hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damaged_entries_miss() {
        let dir = tempfile::tempdir().unwrap();
        let c = PersonaCache::new(Some(dir.path().to_path_buf()));
        let k = key(&["a", "b"]);
        assert_ne!(k, key(&["ab", ""]));
        assert!(c.get(&k).is_none());
        let e = Entry {
            key: k.clone(),
            transcript: vec![Message::new("assistant", "{}")],
            reply: "{}".into(),
            complete: true,
            tokens: 2,
        };
        c.put(&e).unwrap();
        assert_eq!(c.get(&k), Some(e));
        std::fs::write(dir.path().join(format!("{k}.json")), b"{trunc").unwrap();
        assert!(c.get(&k).is_none());
    }

    #[test]
    fn model_hash_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gguf");
        std::fs::write(&model, b"GGUF fake").unwrap();
        let f = super::super::ModelFile {
            name: "m".into(),
            path: model.clone(),
            known_sha256: None,
        };
        let h = model_sha256(&f, Some(dir.path())).unwrap();
        assert_eq!(h, crate::util::sha256_hex(b"GGUF fake"));
        assert!(dir.path().join("model-hashes.json").is_file());
        assert_eq!(model_sha256(&f, Some(dir.path())).unwrap(), h);
        // A manifest hash is checked, never trusted: a file of the right size but other bytes.
        let claimed = super::super::ModelFile {
            known_sha256: Some(crate::util::sha256_hex(b"GGUF real")),
            ..f.clone()
        };
        let err = model_sha256(&claimed, Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("models/fetch"), "{err}");
        let right = super::super::ModelFile {
            known_sha256: Some(h.clone()),
            ..f
        };
        assert_eq!(model_sha256(&right, Some(dir.path())).unwrap(), h);
    }
}
