//! The command line end to end: help, config, demo data, segmentation outputs, JSON summary,
//! determinism and evaluation.

mod common;

use common::{seglens, segment_json};
use predicates::prelude::*;

#[test]
fn help_explains_commands() {
    seglens()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("segment").and(predicate::str::contains("demo-data")));
    seglens()
        .args(["segment", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--k").and(predicate::str::contains("--algo")));
}

#[test]
fn default_config_prints_and_parses() {
    let out = seglens().args(["config", "--default"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("[cluster]"));
    seglens::config::Config::from_toml_str(&text, "printed").unwrap();
}

#[test]
fn bad_flag_values_are_usage_errors() {
    seglens()
        .args(["segment", "--data", "d", "--out", "o", "--k", "one"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("auto"));
    seglens()
        .args(["segment", "--data", "d", "--out", "o", "--algo", "spectral"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("kmeans"));
}

#[test]
fn demo_segment_outputs_json_and_determinism() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop/data");
    seglens()
        .args(["demo-data", "--customers", "1500", "--seed", "5", "--out"])
        .arg(&data)
        .assert()
        .success();
    let truth = dir.path().join("shop/truth.csv");
    assert!(truth.exists(), "truth beside the data directory");
    assert!(
        !data.join("truth.csv").exists(),
        "truth never inside the data directory"
    );

    let run = |out: &std::path::Path| {
        seglens()
            .args(["segment", "--seed", "9", "--json", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(out)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let a = dir.path().join("run_a");
    let b = dir.path().join("run_b");
    let summary: serde_json::Value = serde_json::from_slice(&run(&a)).unwrap();
    run(&b);
    for f in [
        "assignments.parquet",
        "features.parquet",
        "segments.json",
        "run.json",
    ] {
        assert!(a.join(f).exists(), "{f}");
    }
    assert_eq!(
        std::fs::read(a.join("assignments.parquet")).unwrap(),
        std::fs::read(b.join("assignments.parquet")).unwrap(),
        "same inputs and seed give byte-identical assignments"
    );
    assert_eq!(
        std::fs::read(a.join("segments.json")).unwrap(),
        std::fs::read(b.join("segments.json")).unwrap()
    );
    let k = summary["k"].as_u64().unwrap() as usize;
    assert_eq!(summary["segments"].as_array().unwrap().len(), k);
    assert_eq!(summary["customers"], 1500);
    let sizes: u64 = summary["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["size"].as_u64().unwrap())
        .sum();
    assert_eq!(sizes, 1500);

    let run_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["seed"], 9);
    assert!(run_json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["sha256"].as_str().unwrap().len() == 64));
    assert!(run_json["k_table"].as_array().unwrap().len() >= 5);

    seglens()
        .args(["evaluate", "--run"])
        .arg(&a)
        .arg("--truth")
        .arg(&truth)
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"^-?[01]\.\d{4}\n$").unwrap());
}

#[test]
fn fixed_k_and_other_algorithms() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop/data");
    seglens()
        .args([
            "demo-data",
            "--customers",
            "800",
            "--seed",
            "2",
            "--no-events",
            "--out",
        ])
        .arg(&data)
        .assert()
        .success();
    for (algo, k) in [("kmeans", "5"), ("gmm", "4")] {
        let out = dir.path().join(algo);
        let v = segment_json(&data, &out, &["--algo", algo, "--k", k]);
        assert_eq!(v["k"].as_u64().unwrap().to_string(), k, "{algo}");
    }
    let out = dir.path().join("dbscan");
    seglens()
        .args(["segment", "--algo", "dbscan", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn text_stage_flags() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop/data");
    seglens()
        .args(["demo-data", "--customers", "600", "--seed", "3", "--out"])
        .arg(&data)
        .assert()
        .success();
    // A model folder that is not there: the error says how to get one or how to go without.
    seglens()
        .args(["segment", "--embed-model", "/nonexistent/model", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("bad"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("models/fetch")
                .and(predicate::str::contains("--no-text"))
                .and(predicate::str::contains("/nonexistent/model")),
        )
        .stderr(predicate::function(|e: &str| {
            e.matches("/nonexistent/model").count() == 1
        }));
    assert!(!dir.path().join("bad").exists());
    seglens()
        .args(["segment", "--text-weight=-1", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("bad"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("text.weight"));
    // --no-text: no model, no text summary, no text features.
    let out = dir.path().join("no-text");
    let summary = segment_json(&data, &out, &["--no-text"]);
    assert!(summary["text"].is_null(), "{summary}");
    // With text: the summary table says what segments talk about.
    let out = dir.path().join("text");
    seglens()
        .args(["segment", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("talks about:").and(predicate::str::contains("texts: ")));
    let run_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let text = &run_json["text"];
    assert!(text["reviews"].as_u64().unwrap() > 0);
    assert!(text["share_without_text"].as_f64().unwrap() < 1.0);
    let used: Vec<&str> = run_json["features_used"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str().or(f.as_str()))
        .collect();
    assert!(used.iter().any(|n| n.starts_with("text_pc")), "{used:?}");
    assert!(
        used.contains(&"mean_sentiment") && !used.contains(&"mean_rating"),
        "{used:?}"
    );
}

#[test]
fn reviews_with_stars_but_no_text_count_for_sentiment() {
    // Even customers write a review; every fourth customer's review has stars and no text.
    let mut reviews = String::from("customer_id,product_id,review_date,rating,text\n");
    for c in (0..60).step_by(2) {
        if c % 4 == 0 {
            reviews.push_str(&format!("C{c:03},P1,2024-05-01,1,\n"));
        } else {
            reviews.push_str(&format!(
                "C{c:03},P1,2024-05-01,5,\"Lovely book, arrived quickly\"\n"
            ));
        }
    }
    let (_dir, data, out) = common::shop(&[
        ("orders.csv", common::orders_csv().as_bytes()),
        ("reviews.csv", reviews.as_bytes()),
    ]);
    segment_json(&data, &out, &[]);
    let f = std::fs::File::open(out.join("features.parquet")).unwrap();
    let df = {
        use polars::prelude::SerReader;
        polars::prelude::ParquetReader::new(f).finish().unwrap()
    };
    let ids: Vec<String> = df
        .column("customer_id")
        .unwrap()
        .str()
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    let sent = df.column("mean_sentiment").unwrap().f64().unwrap().clone();
    let at = |id: &str| sent.get(ids.iter().position(|i| i == id).unwrap());
    assert_eq!(at("C000"), Some(-1.0), "1 star, no text");
    assert_eq!(at("C002"), Some(1.0), "5 stars with text");
    assert_eq!(at("C001"), None, "no review");
}

#[test]
fn tui_reports_a_wrong_run_dir_and_a_missing_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    seglens()
        .args(["tui"])
        .arg(tmp.path().join("nope"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("segments.json is missing"));
    // assert_cmd runs without a terminal: the run is fine, the terminal is not.
    seglens()
        .args(["tui", "tests/fixtures/tui/run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("interactive terminal"));
}

#[test]
fn bad_key_bindings_name_the_action_and_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("seglens.toml");
    std::fs::write(&cfg, "[tui.keys]\nquit = [\"ctrl-Enter\"]\n").unwrap();
    seglens()
        .args(["tui", "tests/fixtures/tui/run", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("quit").and(predicate::str::contains("tmux")));
}
