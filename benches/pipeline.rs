//! Feature engineering and clustering at scale (default 1M customers; the demo generator writes
//! about 16M order lines for them, orders and customers tables only).
//!
//! `SEGLENS_BENCH_CUSTOMERS` changes the size (e.g. 100000 for a quick look). The demo shop is
//! generated once into a temporary directory and loaded once; the benchmark then times feature
//! engineering and clustering (auto-K on the search sample, refinement on all customers).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use seglens::config::Config;
use seglens::demo::{generate, DemoOptions};

fn bench(c: &mut Criterion) {
    let customers: usize = std::env::var("SEGLENS_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("shop/data");
    generate(&DemoOptions {
        customers,
        seed: 1,
        out: data.clone(),
        truth: None,
        events: false,
        reviews: false,
    })
    .expect("demo data");
    let cfg = Config::default();
    let shop = seglens::data::load(&data, &cfg).expect("load");
    eprintln!(
        "bench shop: {customers} customers, {} order lines",
        shop.orders.height()
    );

    let mut g = c.benchmark_group(format!("pipeline_{customers}"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_secs(1));
    let feats = seglens::features::build(&shop, &cfg).expect("features");
    let scaled = seglens::features::scale(&feats, &cfg);
    // Auto-K then the sub-segment search of every segment: what `segment` runs with the defaults.
    // `progress` sees each stage's message; the sub-segment search is announced as one.
    let auto_k_and_sub = |progress: &dyn Fn(&str)| {
        let top = seglens::cluster::cluster(&scaled.matrix, &cfg.cluster, cfg.seed, progress)
            .expect("cluster");
        progress("sub-segments");
        let sub = seglens::cluster::sub::sub_segments(
            &scaled.matrix,
            &top,
            &cfg.cluster,
            cfg.seed,
            progress,
        )
        .expect("sub-segments");
        (top, sub)
    };
    // One timed pass of each clustering stage, without criterion's repetitions (and without the
    // features benchmark).
    // Each stage's progress line is stamped with the seconds since the start, so the cost
    // splits into search fits, resampling, refinement, seed refits and sub-segments.
    if std::env::var_os("SEGLENS_BENCH_ONCE").is_some() {
        // Peak memory so far (shop generated, loaded, featurised), to tell the clustering's own
        // share of the process peak.
        let hwm = || {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmHWM"))
                        .map(str::to_string)
                })
                .unwrap_or_default()
        };
        eprintln!(
            "before clustering: {} ({} columns)",
            hwm(),
            scaled.matrix.ncols()
        );
        let t = std::time::Instant::now();
        let auto_k = std::cell::Cell::new(f64::NAN);
        let stamp = |m: &str| {
            let secs = t.elapsed().as_secs_f64();
            if m == "sub-segments" {
                auto_k.set(secs);
            }
            eprintln!("  {secs:>7.1} s  {m}");
        };
        let (top, sub) = auto_k_and_sub(&stamp);
        let auto_k = auto_k.get();
        eprintln!(
            "once: auto-K {auto_k:.1} s, plus sub-segments {:.1} s (k = {}, {} of them split)",
            t.elapsed().as_secs_f64(),
            top.k,
            sub.splits.len()
        );
        eprintln!("after clustering: {}", hwm());
        return;
    }
    g.bench_function("features", |b| {
        b.iter(|| black_box(seglens::features::build(&shop, &cfg).expect("features")))
    });
    g.bench_function("cluster_auto_k_and_subsegments", |b| {
        b.iter(|| black_box(auto_k_and_sub(&|_| {})))
    });
    g.bench_function("cluster_auto_k", |b| {
        b.iter(|| {
            black_box(
                seglens::cluster::cluster(&scaled.matrix, &cfg.cluster, cfg.seed, &|_| {})
                    .expect("cluster"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
