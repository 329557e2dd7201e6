//! Nothing a stranger writes into the shop reaches the terminal raw: every command, run on a shop
//! whose cells, headers, ids, category and product names, reviews and truth labels carry a
//! terminal retitle (`ESC ] 0;… BEL`), a screen clear (`ESC [2J`) and a bidi override, writes no
//! raw control byte to stdout or stderr, and the run's report.md and JSON files carry none either.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const TITLE: &str = "\u{1b}]0;PWNED\u{7}";
const CLEAR: &str = "\u{1b}[2J";
const BIDI: &str = "\u{202e}";
const MODEL: &str = "smollm2-135m";

fn hostile() -> String {
    format!("{TITLE}{CLEAR}{BIDI}")
}

/// The binary without `--quiet`: progress and warnings on stderr are checked too.
fn loud() -> Command {
    let mut c = Command::cargo_bin("seglens").expect("binary built");
    c.env("SEGLENS_EMBED_CACHE", common::test_cache());
    c
}

/// `seglens segment --data DATA --out OUT` (plus `extra` first), loud.
fn segment(extra: &[&str], data: &Path, out: &Path) -> Command {
    let mut c = loud();
    c.arg("segment")
        .args(extra)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out);
    c
}

/// The first character that must not reach a terminal, with some context, if any.
fn raw_control(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .position(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .map(|i| {
            let from = i.saturating_sub(40);
            let to = (i + 40).min(chars.len());
            format!(
                "U+{:04X} in {:?}",
                chars[i] as u32,
                chars[from..to].iter().collect::<String>()
            )
        })
}

/// Runs `cmd`, checks its stdout and stderr, and returns (exit code, stdout, stderr).
fn run_clean(what: &str, cmd: &mut Command) -> (i32, String, String) {
    let o = cmd.output().expect("the binary runs");
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        if let Some(found) = raw_control(bytes) {
            panic!("{what}: raw control character on {stream}: {found}");
        }
    }
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn assert_file_clean(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Some(found) = raw_control(&bytes) {
        panic!("{}: raw control character: {found}", path.display());
    }
}

/// Rewrites every file of `data` with `f(file name, text)`.
fn edit(data: &Path, f: impl Fn(&str, String) -> String) {
    for entry in std::fs::read_dir(data).expect("data dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("csv");
        std::fs::write(&path, f(&name, text)).expect("write");
    }
}

/// A demo shop with hostile ids, categories, product names, reviews and truth labels.
fn hostile_shop(root: &Path) -> (PathBuf, PathBuf) {
    let data = root.join("data");
    let truth = root.join("truth.csv");
    common::seglens()
        .args(["demo-data", "--customers", "400", "--seed", "3", "--out"])
        .arg(&data)
        .arg("--truth")
        .arg(&truth)
        .assert()
        .success();
    let h = hostile();
    edit(&data, |name, text| {
        // One customer id and one category, everywhere they occur.
        let mut text = text
            .replace("C000007,", &format!("C000007{TITLE},"))
            .replace(",toys,", &format!(",toys{CLEAR},"));
        if name == "products.csv" {
            text = text
                .lines()
                .enumerate()
                .map(|(i, l)| match l.split_once(',') {
                    Some((id, rest)) if i > 0 && !l.contains('"') => format!("{id},{h} {rest}"),
                    _ => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n";
        }
        if name == "reviews.csv" {
            text = text
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 || i % 3 != 0 {
                        l.to_string()
                    } else if let Some(body) = l.strip_suffix('"') {
                        format!("{body} {h}\"")
                    } else {
                        format!("{l} {h}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n";
        }
        text
    });
    let labels = std::fs::read_to_string(&truth)
        .expect("truth")
        .replace("C000007,", &format!("C000007{TITLE},"));
    let labels = labels
        .lines()
        .enumerate()
        .map(|(i, l)| match l.rsplit_once(',') {
            Some((id, a)) if i > 0 && i % 2 == 0 => format!("{id},{a}{TITLE}{BIDI}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    std::fs::write(&truth, labels).expect("truth");
    (data, truth)
}

#[test]
fn no_command_writes_a_raw_control_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, truth) = hostile_shop(dir.path());
    let run = dir.path().join(format!("run{TITLE}"));
    let cache = dir.path().join("persona-cache");
    let cfg = dir.path().join("seglens.toml");
    std::fs::write(
        &cfg,
        "[llm]\ngrounding_threshold = 0.0\ntools = false\nname_vote = false\n",
    )
    .expect("config");

    let (code, out, _) = run_clean("segment", &mut segment(&[], &data, &run));
    assert_eq!(code, 0, "segment succeeds on hostile text: {out}");
    assert!(
        out.contains("^[]0;PWNED^G"),
        "the run path is shown, made visible"
    );
    let (code, out, _) = run_clean(
        "segment --json",
        &mut segment(&["--json"], &data, &dir.path().join("run2")),
    );
    assert_eq!(code, 0);
    serde_json::from_str::<serde_json::Value>(&out).expect("still valid JSON");
    for json in [false, true] {
        let mut c = loud();
        c.args(["embed", "--data"]).arg(&data);
        if json {
            c.arg("--json");
        }
        assert_eq!(run_clean("embed", &mut c).0, 0);
    }
    let (code, _, err) = run_clean(
        "evaluate",
        loud()
            .args(["evaluate", "--run"])
            .arg(&run)
            .arg("--truth")
            .arg(&truth),
    );
    assert_eq!(code, 0, "{err}");

    for format in ["md", "json", "jsonl"] {
        let (code, out, err) = run_clean(
            "personas",
            loud()
                .env("SEGLENS_PERSONA_CACHE", &cache)
                .args(["personas", "--model", MODEL, "--segments", "0,1"])
                .args(["--format", format, "--run"])
                .arg(&run)
                .arg("--config")
                .arg(&cfg),
        );
        assert_eq!(code, 0, "personas --format {format}: {err}");
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&out).expect("still valid JSON");
            assert!(!v["personas"].as_array().expect("personas").is_empty());
        }
    }
    // Names, labels and figures reach eval's output whether or not a judge runs.
    for json in [true, false] {
        let mut c = loud();
        c.args([
            "eval",
            "--no-ceiling",
            "--no-similarity",
            "--judge",
            "none",
            "--run",
        ])
        .arg(&run)
        .arg("--truth")
        .arg(&truth)
        .arg("--config")
        .arg(&cfg);
        if json {
            c.arg("--json");
        }
        assert_eq!(run_clean("eval", &mut c).0, 0);
    }
    for f in [
        "report.md",
        "personas.json",
        "segments.json",
        "run.json",
        "eval.json",
    ] {
        assert_file_clean(&run.join(f));
    }
    // The TUI refuses a pipe, naming the hostile directory harmlessly.
    let (code, _, err) = run_clean("tui", loud().arg("tui").arg(&run));
    assert_ne!(code, 0);
    assert!(!err.is_empty());
    run_clean("config", loud().arg("config"));
    let (code, _, _) = run_clean(
        "run",
        loud()
            .env("SEGLENS_PERSONA_CACHE", &cache)
            .args(["run", "--no-text", "--data"])
            .arg(&data)
            .arg("--model")
            .arg(dir.path().join(format!("missing{TITLE}.gguf")))
            .arg("--out")
            .arg(dir.path().join("run3")),
    );
    assert_eq!(code, 0);
}

#[test]
fn data_errors_name_hostile_cells_harmlessly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = hostile_shop(dir.path());
    let h = hostile();

    // A price cell that retitles the terminal: exit 3, the cell shown made visible.
    let orders = std::fs::read_to_string(data.join("orders.csv")).expect("orders");
    let mut lines: Vec<String> = orders.lines().map(str::to_string).collect();
    let cells: Vec<&str> = lines[5].split(',').collect();
    let mut cells: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
    cells[5] = format!("1{TITLE}");
    lines[5] = cells.join(",");
    std::fs::write(data.join("orders.csv"), lines.join("\n") + "\n").expect("write");
    let (code, _, err) = run_clean(
        "bad price",
        &mut segment(&[], &data, &dir.path().join("r1")),
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("^[]0;PWNED^G"), "the cell is named: {err}");
    std::fs::write(data.join("orders.csv"), orders).expect("restore");

    // A hostile header and a duplicated hostile id in customers.csv.
    let customers = std::fs::read_to_string(data.join("customers.csv")).expect("customers");
    let mut c: Vec<String> = customers.lines().map(str::to_string).collect();
    c[0] = c[0].replace("country", &format!("country{h}"));
    let dup = c[7].clone();
    c.push(dup);
    std::fs::write(data.join("customers.csv"), c.join("\n") + "\n").expect("write");
    let (code, _, _) = run_clean(
        "hostile header, duplicate id",
        &mut segment(&[], &data, &dir.path().join("r2")),
    );
    assert_ne!(code, 0, "a duplicated id is an error");

    // A data directory whose very name is hostile.
    let (code, _, err) = run_clean(
        "hostile path",
        &mut segment(
            &[],
            &dir.path().join(format!("nowhere{h}")),
            &dir.path().join("r3"),
        ),
    );
    assert_ne!(code, 0);
    assert!(err.contains("nowhere"), "{err}");
}
