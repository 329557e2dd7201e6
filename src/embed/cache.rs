//! The on-disk embedding cache: one append-only file per (model, max tokens), keyed by text hash.
//!
//! Layout: an 16-byte header (`SGLEMB01`, dimension as u32 LE, 4 reserved bytes) followed by
//! records of a 16-byte key (the first 16 bytes of sha256(text)) and `dim` f32 LE values.
//! Appends take an exclusive file lock and first cut any torn record left by a killed run, so a
//! crash loses at most the batch being written and never corrupts what is already there.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"SGLEMB01";
const HEADER: usize = 16;

/// Key of one text in the cache.
pub type Key = [u8; 16];

/// Hash key of `text`.
pub fn key(text: &str) -> Key {
    let d = Sha256::digest(text.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// Problems with the cache file; the caller may carry on without the cache.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("embedding cache {path}: {source} (delete the file or pass --no-embed-cache)")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "embedding cache {path} is not a seglens cache or holds {found}-d vectors, not {want}-d \
         (delete the file or pass --no-embed-cache)"
    )]
    Format {
        path: PathBuf,
        found: usize,
        want: usize,
    },
}

/// Vectors loaded from the cache file, plus what this run adds.
pub struct Cache {
    path: PathBuf,
    dim: usize,
    index: HashMap<Key, usize>,
    vectors: Vec<f32>,
}

impl Cache {
    /// Opens (or starts) the cache at `path` for `dim`-dimensional vectors.
    pub fn open(path: &Path, dim: usize) -> Result<Self, CacheError> {
        let io = |source| CacheError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut cache = Self {
            path: path.to_path_buf(),
            dim,
            index: HashMap::new(),
            vectors: Vec::new(),
        };
        let mut bytes = Vec::new();
        match File::open(path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes).map_err(io)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cache),
            Err(e) => return Err(io(e)),
        }
        if bytes.len() < HEADER {
            // Empty, or cut inside the header by a killed first write: the next append rewrites it.
            return Ok(cache);
        }
        cache.check_header(&bytes)?;
        let rec = 16 + 4 * dim;
        let whole = (bytes.len() - HEADER) / rec;
        cache.vectors.reserve(whole * dim);
        for r in bytes[HEADER..HEADER + whole * rec].chunks_exact(rec) {
            let mut k = [0u8; 16];
            k.copy_from_slice(&r[..16]);
            if cache.index.contains_key(&k) {
                continue;
            }
            cache.index.insert(k, cache.index.len());
            cache.vectors.extend(
                r[16..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        Ok(cache)
    }

    fn check_header(&self, bytes: &[u8]) -> Result<(), CacheError> {
        let found = if bytes.len() >= HEADER && &bytes[..8] == MAGIC {
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize
        } else {
            0
        };
        if found != self.dim {
            return Err(CacheError::Format {
                path: self.path.clone(),
                found,
                want: self.dim,
            });
        }
        Ok(())
    }

    /// Number of vectors held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The cached vector for `k`.
    pub fn get(&self, k: &Key) -> Option<&[f32]> {
        self.index
            .get(k)
            .map(|&i| &self.vectors[i * self.dim..(i + 1) * self.dim])
    }

    /// Appends vectors to the file under an exclusive lock. They are not kept in memory: the
    /// caller has them, and the next run reads them back.
    pub fn append(&mut self, items: &[(Key, &[f32])]) -> Result<(), CacheError> {
        let io = |source| CacheError::Io {
            path: self.path.clone(),
            source,
        };
        let mut buf = Vec::with_capacity(items.len() * (16 + 4 * self.dim));
        for (k, v) in items {
            if v.len() != self.dim || self.index.contains_key(k) {
                continue;
            }
            buf.extend_from_slice(k);
            for x in *v {
                buf.extend_from_slice(&x.to_le_bytes());
            }
        }
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)
            .map_err(io)?;
        f.lock().map_err(io)?;
        let len = f.metadata().map_err(io)?.len() as usize;
        if len < HEADER {
            f.set_len(0).map_err(io)?;
            let mut header = Vec::with_capacity(HEADER);
            header.extend_from_slice(MAGIC);
            header.extend_from_slice(&(self.dim as u32).to_le_bytes());
            header.extend_from_slice(&[0u8; 4]);
            f.write_all(&header).map_err(io)?;
        } else {
            let mut header = [0u8; HEADER];
            f.read_exact(&mut header).map_err(io)?;
            self.check_header(&header)?;
            let rec = 16 + 4 * self.dim;
            let whole = HEADER + (len - HEADER) / rec * rec;
            if whole != len {
                // A run was killed mid-append: drop the torn record.
                f.set_len(whole as u64).map_err(io)?;
            }
            f.seek(SeekFrom::Start(whole as u64)).map_err(io)?;
        }
        f.write_all(&buf).map_err(io)?;
        f.sync_data().map_err(io)?;
        f.unlock().map_err(io)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let mut c = Cache::open(&path, 3).unwrap();
        assert!(c.is_empty());
        let (a, b) = (key("a"), key("b"));
        c.append(&[(a, &[1.0, 2.0, 3.0]), (b, &[4.0, 5.0, 6.0])])
            .unwrap();
        // A torn record at the end, as a killed run would leave it.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[7u8; 10]).unwrap();
        drop(f);
        let mut c = Cache::open(&path, 3).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&b).unwrap(), &[4.0, 5.0, 6.0]);
        c.append(&[(key("c"), &[7.0, 8.0, 9.0])]).unwrap();
        assert!(
            c.get(&key("c")).is_none(),
            "appended vectors are not kept in memory"
        );
        let c = Cache::open(&path, 3).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(&key("c")).unwrap(), &[7.0, 8.0, 9.0]);
        assert_eq!(c.get(&a).unwrap(), &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn wrong_dimension_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let mut c = Cache::open(&path, 2).unwrap();
        c.append(&[(key("a"), &[1.0, 2.0])]).unwrap();
        let err = Cache::open(&path, 3).err().unwrap().to_string();
        assert!(err.contains("--no-embed-cache"), "{err}");
    }
}
