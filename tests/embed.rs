//! The real sentence-embedding model (all-MiniLM-L6-v2 fetched by `models/fetch`) against reference
//! vectors from sentence-transformers (tests/fixtures/minilm_reference.json, made once with
//! sentence-transformers on PyTorch CPU, max_seq_length 128), plus the cache across runs.

mod common;

use std::path::PathBuf;

use seglens::embed::{self, EmbedOptions, Embedder};

fn model_dir() -> PathBuf {
    let dir = embed::models_dir().join(embed::DEFAULT_MODEL_DIR);
    assert!(
        dir.join("model.safetensors").is_file(),
        "the embedding model is missing at {}: run `make models` (models/fetch) first",
        dir.display()
    );
    dir
}

fn embedder() -> Embedder {
    Embedder::load(&EmbedOptions {
        model_dir: model_dir(),
        max_tokens: 128,
        batch_tokens: 4096,
        device: "cpu".into(),
    })
    .expect("model loads")
}

struct Reference {
    sentences: Vec<String>,
    token_counts: Vec<usize>,
    embeddings: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minilm_reference.json"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let strings = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    Reference {
        sentences: strings("sentences"),
        token_counts: v["token_counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as usize)
            .collect(),
        embeddings: v["embeddings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect()
            })
            .collect(),
    }
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn vectors_match_sentence_transformers() {
    let r = reference();
    let e = embedder();
    let refs: Vec<&str> = r.sentences.iter().map(String::as_str).collect();
    let ids = e.tokenize(&refs).unwrap();
    let lens: Vec<usize> = ids.iter().map(Vec::len).collect();
    assert_eq!(
        lens, r.token_counts,
        "token counts differ from the reference tokenizer"
    );
    let (v, _) = e.embed(&refs, &|_| {}).unwrap();
    let dim = e.dim();
    assert_eq!(dim, r.embeddings[0].len());
    let mut worst = 1.0f32;
    for (i, want) in r.embeddings.iter().enumerate() {
        let got = &v[i * dim..(i + 1) * dim];
        let c = cos(got, want);
        worst = worst.min(c);
        assert!(
            c >= 0.999,
            "sentence {i} ({:?}): cosine {c}",
            r.sentences[i]
        );
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "sentence {i} not unit length: {norm}"
        );
    }
    eprintln!("worst cosine to sentence-transformers: {worst:.7}");
}

#[test]
fn paraphrases_score_higher_than_unrelated_sentences() {
    let e = embedder();
    let texts = [
        "The shoes fell apart after a week.",
        "After only seven days the shoes were falling to pieces.",
        "Delivery was fast and the package arrived in perfect condition.",
        "My order showed up quickly and the box was completely undamaged.",
        "Quantum entanglement links the states of two particles.",
    ];
    let (v, _) = e.embed(&texts, &|_| {}).unwrap();
    let d = e.dim();
    let row = |i: usize| &v[i * d..(i + 1) * d];
    let para1 = cos(row(0), row(1));
    let para2 = cos(row(2), row(3));
    for (p, label) in [(para1, "shoes"), (para2, "delivery")] {
        for (a, b) in [(0, 2), (0, 4), (2, 4), (1, 3)] {
            let unrelated = cos(row(a), row(b));
            assert!(
                p > unrelated + 0.2,
                "{label} paraphrase {p:.3} not clearly above unrelated pair ({a},{b}) {unrelated:.3}"
            );
        }
    }
}

#[test]
fn packed_cpu_path_matches_candle_transformers_bert() {
    let dir = model_dir();
    let config: candle_transformers::models::bert::Config =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let padded = embed::bert::PaddedBert::load(
        &dir.join("model.safetensors"),
        &config,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let e = embedder();
    let texts = [
        "ok",
        "Runs small, order a size up.",
        "The charger stopped working after a month and support was slow to answer.",
    ];
    let ids = e.tokenize(&texts).unwrap();
    let seqs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let a = e.embed_ids(&seqs).unwrap();
    let b = padded.embed(&seqs).unwrap();
    let d = e.dim();
    for i in 0..texts.len() {
        let c = cos(&a[i * d..(i + 1) * d], &b[i * d..(i + 1) * d]);
        assert!(c > 0.99999, "text {i}: packed vs padded cosine {c}");
    }
}

#[test]
fn order_and_batching_do_not_change_vectors() {
    let e = embedder();
    let texts: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "review number {i} says the {} is {}",
                ["lamp", "dress", "tent"][i % 3],
                "good ".repeat(i % 7 + 1)
            )
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (all, _) = e.embed(&refs, &|_| {}).unwrap();
    let d = e.dim();
    for (i, t) in refs.iter().enumerate().step_by(7) {
        let (one, _) = e.embed(&[t], &|_| {}).unwrap();
        let c = cos(&one, &all[i * d..(i + 1) * d]);
        assert!(c > 0.99999, "text {i} alone vs in a batch: {c}");
    }
}

#[test]
fn a_huge_text_is_cut_before_tokenizing_without_changing_its_vector() {
    let e = embedder();
    let long = "the lamp arrived broken and support never answered ".repeat(40_000);
    let short = "the lamp arrived broken and support never answered ".repeat(60);
    let ids = e.tokenize(&[&long, &short]).unwrap();
    assert_eq!(ids[0], ids[1], "both truncate to the same tokens");
    let (v, _) = e.embed(&[&long, &short], &|_| {}).unwrap();
    let d = e.dim();
    assert!(cos(&v[..d], &v[d..]) > 0.99999);
}

#[test]
fn second_run_embeds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let texts = dir.path().join("texts.txt");
    std::fs::write(
        &texts,
        "Great fit, true to size\nThe zipper broke\nGreat fit, true to size\nfast delivery\n",
    )
    .unwrap();
    let config = dir.path().join("seglens.toml");
    std::fs::write(
        &config,
        format!(
            "[text]\ncache_dir = {:?}\n",
            dir.path().join("cache").display().to_string()
        ),
    )
    .unwrap();
    let run = || -> serde_json::Value {
        let out = common::seglens()
            .args(["embed", "--json", "--texts"])
            .arg(&texts)
            .arg("--config")
            .arg(&config)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let first = run();
    assert_eq!(first["stats"]["texts"], 4);
    assert_eq!(first["stats"]["distinct"], 3);
    assert_eq!(first["stats"]["embedded"], 3);
    let second = run();
    assert_eq!(second["stats"]["embedded"], 0, "{second}");
    assert_eq!(second["stats"]["cached"], 3);
    // Without --json, the cache hit is said in words.
    common::seglens()
        .args(["embed", "--texts"])
        .arg(&texts)
        .arg("--config")
        .arg(&config)
        .assert()
        .success()
        .stdout(predicates::str::contains("nothing embedded"));
}
