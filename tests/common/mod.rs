//! Shared helpers for the integration tests: the binary, temp dirs, and small CSV shops.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn seglens() -> Command {
    let mut c = Command::cargo_bin("seglens").expect("binary built");
    c.arg("--quiet");
    // Tests keep their embeddings out of the user's cache.
    c.env("SEGLENS_EMBED_CACHE", test_cache());
    c
}

/// An embedding cache shared by this test process, removed with the OS's temp files.
pub fn test_cache() -> PathBuf {
    std::env::temp_dir().join(format!("seglens-test-embeddings-{}", std::process::id()))
}

/// `seglens --quiet segment --data DATA --out OUT` plus `extra` flags.
pub fn segment(data: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = seglens();
    c.arg("segment")
        .args(extra)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out);
    c
}

/// Runs `segment --json` (plus `extra`), expects success, and returns the parsed summary.
pub fn segment_json(data: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let o = segment(data, out, &args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&o).expect("JSON summary on stdout")
}

/// Writes files (name, contents) into a fresh data dir; returns (tempdir, data dir, out dir).
pub fn shop(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    for (name, body) in files {
        std::fs::write(data.join(name), body).expect("write");
    }
    let out = dir.path().join("out");
    (dir, data, out)
}

/// A small valid orders table: 60 customers, a few orders each, two clear groups.
pub fn orders_csv() -> String {
    let mut s = String::from("order_id,customer_id,order_date,product_id,category,unit_price,quantity,discount,returned\n");
    for c in 0..60 {
        let (cat, price, n) = if c % 2 == 0 {
            ("books", 12.0, 2)
        } else {
            ("electronics", 300.0, 6)
        };
        for o in 0..n {
            s.push_str(&format!(
                "o{c}_{o},C{c:03},2024-0{}-1{} 10:00:00,P{},{cat},{price},1,0,false\n",
                1 + o % 9,
                o % 9,
                c % 7
            ));
        }
    }
    s
}

pub fn customers_csv() -> String {
    let mut s = String::from("customer_id,signup_date,country\n");
    for c in 0..60 {
        s.push_str(&format!("C{c:03},2023-01-01,DE\n"));
    }
    s
}

/// True when `out` holds none of a run's outputs.
pub fn no_outputs(out: &Path) -> bool {
    [
        "assignments.parquet",
        "features.parquet",
        "segments.json",
        "run.json",
    ]
    .iter()
    .all(|f| !out.join(f).exists())
}
