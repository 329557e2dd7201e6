//! The on-disk embedding cache: one append-only file per (model, max tokens), keyed by text hash.
//!
//! Layout: a 16-byte header (`SGLEMB02`, dimension as u32 LE, 4 reserved bytes) followed by
//! records of a 16-byte key (the first 16 bytes of sha256(text)), `dim` f32 LE values and a
//! 4-byte checksum (the first bytes of sha256 over key and values). Appends take an exclusive
//! file lock and first cut any torn record left by a killed run, so a crash loses at most the
//! batch being written and never corrupts what is already there. The lock is held on a sidecar
//! file (`<cache>.lock`) that is never replaced, so a compaction that swaps the cache file in
//! waits for appends in flight and appends wait for it.
//!
//! Reading streams the file record by record (it is never held whole in memory). A record whose
//! checksum fails or that holds a non-finite value is skipped and counted: its text is embedded
//! again and appended. When skipped and superseded records make up a large share of the file, it
//! is rewritten compacted (atomically, under the same lock).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"SGLEMB02";
const HEADER: usize = 16;
/// Compact when at least this share of the file's records is damaged or superseded.
const COMPACT_SHARE: f64 = 0.25;

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
    /// Records skipped on open: damaged (checksum) or holding a non-finite value.
    damaged: usize,
    /// Records on file that a later or earlier record of the same key made redundant.
    superseded: usize,
}

/// The checksum stored after a record's values.
fn checksum(record: &[u8]) -> [u8; 4] {
    let d = Sha256::digest(record);
    [d[0], d[1], d[2], d[3]]
}

/// The file header for `dim`-dimensional vectors.
fn header(dim: usize) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&(dim as u32).to_le_bytes());
    h
}

/// Appends one record (key, values, checksum) to `buf`.
fn encode_record(buf: &mut Vec<u8>, k: &Key, v: &[f32]) {
    let start = buf.len();
    buf.extend_from_slice(k);
    for x in v {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    let c = checksum(&buf[start..]);
    buf.extend_from_slice(&c);
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
            damaged: 0,
            superseded: 0,
        };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cache),
            Err(e) => return Err(io(e)),
        };
        let len = file.metadata().map_err(io)?.len() as usize;
        if len < HEADER {
            // Empty, or cut inside the header by a killed first write: the next append rewrites it.
            return Ok(cache);
        }
        let mut r = BufReader::with_capacity(1 << 16, file);
        let mut header = [0u8; HEADER];
        r.read_exact(&mut header).map_err(io)?;
        cache.check_header(&header)?;
        let rec = cache.record_len();
        let whole = (len - HEADER) / rec;
        cache.vectors.reserve(whole.min(1 << 20) * dim);
        let mut buf = vec![0u8; rec];
        for _ in 0..whole {
            r.read_exact(&mut buf).map_err(io)?;
            let (body, check) = buf.split_at(16 + 4 * dim);
            let values = body[16..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            if checksum(body) != check || values.clone().any(|x| !x.is_finite()) {
                cache.damaged += 1;
                continue;
            }
            let mut k = [0u8; 16];
            k.copy_from_slice(&body[..16]);
            if cache.index.contains_key(&k) {
                cache.superseded += 1;
                continue;
            }
            cache.index.insert(k, cache.index.len());
            cache.vectors.extend(values);
        }
        Ok(cache)
    }

    /// The cache file for reading and appending, created when missing; the caller holds
    /// [`Cache::lock`].
    fn open_rw(&self) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)
    }

    /// Takes the exclusive lock on the sidecar lock file; it is released when the returned
    /// file is dropped. The cache file itself may be replaced by a compaction, so it is never
    /// what is locked.
    fn lock(&self) -> std::io::Result<File> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut name = self.path.clone().into_os_string();
        name.push(".lock");
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(PathBuf::from(name))?;
        f.lock()?;
        Ok(f)
    }

    fn record_len(&self) -> usize {
        16 + 4 * self.dim + 4
    }

    /// Records skipped on open because they were damaged or not finite: their texts are
    /// embedded again.
    pub fn damaged(&self) -> usize {
        self.damaged
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
        let mut buf = Vec::with_capacity(items.len() * self.record_len());
        for (k, v) in items {
            // A non-finite vector is never stored: the next run embeds its text again.
            if v.len() != self.dim || self.index.contains_key(k) || v.iter().any(|x| !x.is_finite())
            {
                continue;
            }
            encode_record(&mut buf, k, v);
        }
        let stale = self.damaged + self.superseded;
        let on_file = self.index.len() + stale;
        if stale > 0 && stale as f64 >= COMPACT_SHARE * on_file as f64 {
            return self.compact(&buf);
        }
        if buf.is_empty() {
            return Ok(());
        }
        let _lock = self.lock().map_err(io)?;
        let mut f = self.open_rw().map_err(io)?;
        let len = f.metadata().map_err(io)?.len() as usize;
        if len < HEADER {
            f.set_len(0).map_err(io)?;
            f.write_all(&header(self.dim)).map_err(io)?;
        } else {
            let mut header = [0u8; HEADER];
            f.read_exact(&mut header).map_err(io)?;
            self.check_header(&header)?;
            let rec = self.record_len();
            let whole = HEADER + (len - HEADER) / rec * rec;
            if whole != len {
                // A run was killed mid-append: drop the torn record.
                f.set_len(whole as u64).map_err(io)?;
            }
            f.seek(SeekFrom::Start(whole as u64)).map_err(io)?;
        }
        f.write_all(&buf).map_err(io)?;
        f.sync_data().map_err(io)?;
        Ok(())
    }

    /// Rewrites the file with one good record per key (those on file now, then `fresh`
    /// records), atomically: a crash leaves the old file or the new one. It holds the lock
    /// appenders take, so records another process appended before are read back and kept, and
    /// none is appended to the file being replaced.
    fn compact(&mut self, fresh: &[u8]) -> Result<(), CacheError> {
        let io = |source| CacheError::Io {
            path: self.path.clone(),
            source,
        };
        let _lock = self.lock().map_err(io)?;
        // Records another process appended since this one opened the cache are kept.
        let now = Cache::open(&self.path, self.dim)?;
        let mut out = Vec::with_capacity(HEADER + (now.index.len() + 1) * self.record_len());
        out.extend_from_slice(&header(self.dim));
        let mut keys: Vec<(&Key, &usize)> = now.index.iter().collect();
        keys.sort_by_key(|(_, &i)| i);
        for (k, &i) in keys {
            encode_record(&mut out, k, &now.vectors[i * self.dim..(i + 1) * self.dim]);
        }
        let rec = self.record_len();
        for r in fresh.chunks_exact(rec) {
            let mut k = [0u8; 16];
            k.copy_from_slice(&r[..16]);
            if !now.index.contains_key(&k) {
                out.extend_from_slice(r);
            }
        }
        crate::util::write_atomic(&self.path, &out).map_err(io)?;
        self.damaged = 0;
        self.superseded = 0;
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
    fn damaged_and_non_finite_records_are_skipped_then_compacted_away() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let mut c = Cache::open(&path, 2).unwrap();
        let items: Vec<(Key, Vec<f32>)> = (0..8)
            .map(|i| (key(&format!("t{i}")), vec![i as f32, 1.0]))
            .collect();
        let refs: Vec<(Key, &[f32])> = items.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        c.append(&refs).unwrap();
        // A NaN written over record 1's first value, keeping its checksum; a flipped byte in
        // record 2's values.
        let mut bytes = std::fs::read(&path).unwrap();
        let rec = 16 + 8 + 4;
        bytes[HEADER + rec + 16..HEADER + rec + 20].copy_from_slice(&f32::NAN.to_le_bytes());
        bytes[HEADER + 2 * rec + 18] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let mut c = Cache::open(&path, 2).unwrap();
        assert_eq!(c.damaged(), 2);
        assert_eq!(c.len(), 6);
        assert!(c.get(&items[1].0).is_none() && c.get(&items[2].0).is_none());
        assert_eq!(c.get(&items[3].0).unwrap(), &[3.0, 1.0]);
        // Re-embedded: appended (here, two stale records of 8 set off compaction).
        c.append(&[(items[1].0, &[1.0, 1.0]), (items[2].0, &[2.0, 1.0])])
            .unwrap();
        let c = Cache::open(&path, 2).unwrap();
        assert_eq!((c.len(), c.damaged()), (8, 0));
        assert_eq!(c.get(&items[1].0).unwrap(), &[1.0, 1.0]);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len() as usize,
            HEADER + 8 * rec,
            "compacted: one record per key"
        );
        // A non-finite vector is never stored.
        let mut c = Cache::open(&path, 2).unwrap();
        c.append(&[(key("nan"), &[f32::INFINITY, 0.0])]).unwrap();
        assert!(Cache::open(&path, 2).unwrap().get(&key("nan")).is_none());
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

    #[test]
    fn appends_racing_a_compaction_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        Cache::open(&path, 2)
            .unwrap()
            .append(&[(key("seed"), &[0.0, 0.0])])
            .unwrap();
        let writers: Vec<_> = (0..3)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for b in 0..40 {
                        let k = key(&format!("w{w}b{b}"));
                        let mut c = Cache::open(&path, 2).unwrap();
                        c.append(&[(k, &[w as f32, b as f32])]).unwrap();
                    }
                })
            })
            .collect();
        for _ in 0..40 {
            let mut c = Cache::open(&path, 2).unwrap();
            c.compact(&[]).unwrap();
        }
        for w in writers {
            w.join().unwrap();
        }
        let c = Cache::open(&path, 2).unwrap();
        for w in 0..3 {
            for b in 0..40 {
                let v = c.get(&key(&format!("w{w}b{b}")));
                assert_eq!(v, Some(&[w as f32, b as f32][..]), "w{w}b{b} lost");
            }
        }
    }
}
