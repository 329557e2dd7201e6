//! Sentence-embedding throughput on demo reviews: texts/s (criterion's elements/s) and real tokens/s
//! through the model, cache off, texts sorted and batched as in a run.
//!
//! `SEGLENS_BENCH_TEXTS` sets the number of reviews (default 10000), `SEGLENS_BENCH_THREADS` the
//! threads (default 2, as in the README's comparison with sentence-transformers). The reviews are
//! written to `$SEGLENS_BENCH_TEXTS_OUT` when set, so the reference can run on the same texts.
//! `SEGLENS_BENCH_PADDED=1` also times candle-transformers' BERT on padded, length-sorted batches
//! (the plain path seglens's packed encoder replaces). `benches/compare_st.sh` runs seglens and
//! sentence-transformers side by side.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use seglens::demo::{generate, DemoOptions};
use seglens::embed::{self, EmbedOptions, Embedder};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bench(c: &mut Criterion) {
    let n = env_usize("SEGLENS_BENCH_TEXTS", 10_000);
    let threads = env_usize("SEGLENS_BENCH_THREADS", 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("shop/data");
    // About 0.8 reviews per customer on the demo shop.
    generate(&DemoOptions {
        customers: n * 3 / 2 + 100,
        seed: 7,
        out: data.clone(),
        truth: None,
        events: false,
        reviews: true,
    })
    .expect("demo data");
    let cfg = seglens::config::Config::default();
    let shop = seglens::data::load(&data, &cfg).expect("load");
    let ids = shop.customer_ids().expect("ids");
    let texts: Vec<String> = seglens::text::collect(&shop, &ids)
        .expect("texts")
        .reviews
        .into_iter()
        .take(n)
        .map(|r| r.1)
        .collect();
    assert_eq!(texts.len(), n, "not enough demo reviews");
    if let Ok(path) = std::env::var("SEGLENS_BENCH_TEXTS_OUT") {
        std::fs::write(&path, texts.join("\n") + "\n").expect("write texts");
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let embedder = Embedder::load(&EmbedOptions {
        model_dir: embed::models_dir().join(embed::DEFAULT_MODEL_DIR),
        max_tokens: 128,
        batch_tokens: cfg.text.batch_tokens,
        device: "cpu".into(),
    })
    .expect("model (run `make models`)");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    let tokens: usize = embedder
        .tokenize(&refs)
        .expect("tokenize")
        .iter()
        .map(Vec::len)
        .sum();
    eprintln!("{n} demo reviews, {tokens} real tokens, {threads} threads");

    let mut g = c.benchmark_group("embed");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("minilm_{n}_reviews_{threads}_threads"), |b| {
        b.iter(|| pool.install(|| black_box(embedder.embed(&refs, &|_| {}).expect("embed"))))
    });
    if std::env::var_os("SEGLENS_BENCH_PADDED").is_some() {
        // The plain path for comparison: candle-transformers' BERT on padded batches of 64
        // length-sorted texts, as in candle's example.
        let dir = embed::models_dir().join(embed::DEFAULT_MODEL_DIR);
        let config: candle_transformers::models::bert::Config = serde_json::from_str(
            &std::fs::read_to_string(dir.join("config.json")).expect("config"),
        )
        .expect("bert config");
        let padded = embed::bert::PaddedBert::load(
            &dir.join("model.safetensors"),
            &config,
            &candle_core::Device::Cpu,
        )
        .expect("padded model");
        let mut ids = embedder.tokenize(&refs).expect("tokenize");
        ids.sort_by_key(Vec::len);
        g.bench_function(
            format!("candle_transformers_padded_{n}_reviews_{threads}_threads"),
            |b| {
                b.iter(|| {
                    pool.install(|| {
                        for batch in ids.chunks(64) {
                            let seqs: Vec<&[u32]> = batch.iter().map(Vec::as_slice).collect();
                            black_box(padded.embed(&seqs).expect("embed"));
                        }
                    })
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
