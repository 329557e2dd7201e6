//! Planted-archetype recovery on the demo shop. With behaviour features only, the two archetypes
//! that differ mainly in what they write and search are merged for the check; with the text block
//! (real embedding model) all seven must come apart.

use seglens::config::{Config, KChoice};
use seglens::demo::{self, DemoOptions, ARCHETYPES, TEXT_ONLY_PAIR};
use seglens::pipeline::{segment, SegmentRequest};

fn demo_shop(
    customers: usize,
    seed: u64,
) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop/data");
    demo::generate(&DemoOptions {
        customers,
        seed,
        out: data.clone(),
        truth: None,
        events: true,
        reviews: true,
    })
    .unwrap();
    let truth = dir.path().join("shop/truth.csv");
    (dir, data, truth)
}

fn behaviour_only() -> Config {
    let mut c = Config::default();
    c.text.enabled = false;
    c
}

#[test]
fn text_separates_the_archetypes_that_differ_in_what_they_write() {
    let (dir, data, truth) = demo_shop(5000, 11);
    let mut config = Config::default();
    config.text.cache_dir = dir.path().join("cache").display().to_string();
    let run = |weight: f64, name: &str| {
        let out = dir.path().join(name);
        let mut c = config.clone();
        c.text.weight = weight;
        let r = segment(
            &SegmentRequest {
                data: data.clone(),
                out: out.clone(),
                config: c,
            },
            &|_| {},
        )
        .unwrap();
        let ari = seglens::eval::ari_against_truth(&out, &truth, &[]).unwrap();
        (ari, r)
    };
    let (with_text, r) = run(config.text.weight, "with-text");
    let (without, r0) = run(0.0, "without-text");
    let summary = r.info.text.clone().expect("text stage ran");
    eprintln!(
        "k = {}, ARI over all {} archetypes: with text {with_text:.3}, text weight 0 {without:.3}; \
         sentiment agreement {:?}",
        r.clustering.k,
        ARCHETYPES.len(),
        summary.sentiment_agreement
    );
    assert!(with_text >= 0.85, "ARI with text {with_text:.3} < 0.85");
    assert!(
        // Measured 0.927 (K = 7) vs 0.85 without text. The dip to 0.883 (K = 8) after the
        // behaviour features was plain k-means++ landing in a worse optimum at K = 7 (inertia
        // 46.97 against 45.74); greedy seeding (cluster/kmeans.rs) finds the better one.
        with_text >= without + 0.05,
        "text did not help: {with_text:.3} vs {without:.3} without"
    );
    // The first run embedded the texts; the second reused every vector from the cache.
    assert!(summary.embedding.cached > 0 || summary.embedding.embedded > 0);
    let again = r0.info.text.expect("text stage ran").embedding;
    assert_eq!(again.embedded, 0, "{again:?}");
    assert_eq!(again.cached, summary.embedding.distinct);
    let agreement = summary.sentiment_agreement.expect("rated reviews");
    assert!(agreement.polar_accuracy >= 0.8, "{agreement:?}");
    assert!(summary.sentiment_from_text > 0);
    // Profiles carry what each segment writes about.
    let seg = &r.profiles.segments[0];
    let t = seg.text.as_ref().expect("segment text insight");
    assert!(!t.terms.is_empty() && !t.representative_reviews.is_empty());
}

#[test]
fn behaviour_features_recover_planted_archetypes() {
    let (dir, data, truth) = demo_shop(5000, 11);
    let out = dir.path().join("run");
    let req = SegmentRequest {
        data,
        out: out.clone(),
        config: behaviour_only(),
    };
    let result = segment(&req, &|_| {}).unwrap();
    let merged = vec![vec![
        TEXT_ONLY_PAIR.0.to_string(),
        TEXT_ONLY_PAIR.1.to_string(),
    ]];
    let ari = seglens::eval::ari_against_truth(&out, &truth, &merged).unwrap();
    let planted = ARCHETYPES.len();
    eprintln!(
        "k = {}, ARI (text pair merged) = {ari:.3}",
        result.clustering.k
    );
    assert!(
        ari >= 0.85,
        "ARI {ari:.3} < 0.85; k table: {:#?}",
        result.clustering.k_table
    );
    assert!(
        result.clustering.k.abs_diff(planted) <= 1,
        "auto-K {} not within 1 of {planted}",
        result.clustering.k
    );
}

#[test]
fn recovery_holds_for_another_seed_and_fixed_k() {
    let (dir, data, truth) = demo_shop(4000, 23);
    let out = dir.path().join("run");
    let mut config = behaviour_only();
    config.cluster.k = KChoice::Fixed(ARCHETYPES.len() - 1);
    config.seed = 99;
    segment(
        &SegmentRequest {
            data,
            out: out.clone(),
            config,
        },
        &|_| {},
    )
    .unwrap();
    let merged = vec![vec![
        TEXT_ONLY_PAIR.0.to_string(),
        TEXT_ONLY_PAIR.1.to_string(),
    ]];
    let ari = seglens::eval::ari_against_truth(&out, &truth, &merged).unwrap();
    eprintln!("fixed k = 6: ARI = {ari:.3}");
    assert!(ari >= 0.85, "ARI {ari:.3}");
}

/// A fast slice of the recovery benchmark (`cargo bench --bench recovery`): one family shop
/// (seed 1001: 6 planted archetypes, one text-only pair) through the real pipeline and text
/// model. Measured on this slice: K = 6, ARI 0.89, the pair separated, seeds 1.00.
#[test]
fn family_shop_is_recovered_with_its_text_only_pair() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop/data");
    let truth = dir.path().join("shop/truth.csv");
    let (_, spec) = demo::generate_family(&DemoOptions {
        customers: 5000,
        seed: 1001,
        out: data.clone(),
        truth: Some(truth.clone()),
        events: true,
        reviews: true,
    })
    .unwrap();
    let mut config = Config::default();
    config.text.cache_dir = dir.path().join("cache").display().to_string();
    let p = seglens::pipeline::prepare(
        &SegmentRequest {
            data,
            out: dir.path().join("run"),
            config: config.clone(),
        },
        &|_| {},
    )
    .unwrap();
    let map = seglens::recovery::read_truth(&truth).unwrap();
    let t = seglens::recovery::Truth::align(&p.feats.customer_ids, &map).unwrap();
    let pairs: Vec<(usize, usize)> = spec
        .text_only_pairs
        .iter()
        .filter_map(|(a, b)| Some((t.index(a)?, t.index(b)?)))
        .collect();
    assert_eq!(pairs.len(), 1, "seed 1001 plants one text-only pair");
    let out =
        seglens::recovery::score_shop(&p.scaled.matrix, &t, &pairs, &config.cluster, config.seed)
            .unwrap();
    let default = seglens::cluster::select::DEFAULT_RULE.name();
    let chosen = out.rules.iter().find(|r| r.rule == default).unwrap();
    eprintln!(
        "planted {}, chosen {} ({}), ARI {:.3}, pair apart {:?}, seeds {:?}",
        out.planted_k,
        chosen.k,
        chosen.rule,
        chosen.ari,
        chosen.pairs_separated,
        out.seed_stability
    );
    assert!(chosen.k.abs_diff(out.planted_k) <= 1, "{out:#?}");
    assert!(chosen.ari >= 0.8, "ARI {:.3}", chosen.ari);
    assert!(chosen.pairs_separated.iter().all(|&b| b));
    assert!(out.seed_stability.is_some_and(|s| s >= 0.9));
    // The benchmark's rule is what `segment` delivers: same K, same quality on every customer.
    assert_eq!(out.pipeline.k, chosen.k, "{:?}", out.pipeline);
    assert!(out.pipeline.ari >= 0.8, "{:?}", out.pipeline);
    assert!(out.pipeline.leaves >= out.pipeline.k);
}
