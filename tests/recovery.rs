//! Planted-archetype recovery on the demo shop with behaviour features only: the archetypes that
//! differ only in review text are merged for this check (text arrives with the embeddings).

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

#[test]
fn behaviour_features_recover_planted_archetypes() {
    let (dir, data, truth) = demo_shop(5000, 11);
    let out = dir.path().join("run");
    let req = SegmentRequest {
        data,
        out: out.clone(),
        config: Config::default(),
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
    let mut config = Config::default();
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
