//! Decoding throughput of the persona engine on the real small LLM: the same eight short
//! conversations (64 generated tokens each) with 1 and with 8 parallel sequences, so the
//! aggregate speedup of batched decoding is measured on its own. Needs the test model in the
//! models cache (`models/fetch`); `SEGLENS_BENCH_LLM` names another manifest model or GGUF file.
//! `SEGLENS_BENCH_THREADS` sets the threads (default 2). `SEGLENS_BENCH_ONCE=1` runs each
//! setting once and prints tokens/s and the speedup instead of sampling with criterion (for the
//! big model, where ten samples take many minutes).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use seglens::llm::engine::{Conversation, Message, Reply, Sampling, Session, TurnSpec};
use seglens::llm::{resolve_model, Llm, LoadOptions};

const TOKENS: usize = 64;
const CONVERSATIONS: usize = 8;

struct Probe {
    i: usize,
    asked: bool,
    generated: usize,
}

impl Conversation for Probe {
    fn next_turn(&mut self) -> Option<(Vec<Message>, TurnSpec)> {
        if self.asked {
            return None;
        }
        self.asked = true;
        Some((
            vec![
                Message::new("system", "You write short product descriptions for a shop."),
                Message::new(
                    "user",
                    format!("Describe product number {} in plain words.", self.i),
                ),
            ],
            TurnSpec {
                // A hundred short words at least: more than the cap, so replies run to it.
                grammar: r#"root ::= ([a-z]{1,6} " "){100}"#.into(),
                max_tokens: TOKENS,
                score: Vec::new(),
            },
        ))
    }

    fn on_reply(&mut self, reply: Reply) {
        self.generated += reply.tokens;
    }

    fn seed(&self) -> u32 {
        self.i as u32
    }
}

fn bench(c: &mut Criterion) {
    let spec = std::env::var("SEGLENS_BENCH_LLM").unwrap_or_else(|_| "smollm2-135m".into());
    let threads = std::env::var("SEGLENS_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let file = match resolve_model(&spec) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("skipping the LLM benchmark: {e}");
            return;
        }
    };
    let llm = Llm::load(
        &file,
        &LoadOptions {
            threads,
            gpu_layers: None,
        },
    )
    .expect("model loads");
    let sampling = Sampling {
        temperature: 0.7,
        top_k: 40,
        top_p: 0.9,
        min_p: 0.05,
        repeat_penalty: 1.0,
    };
    let run = |parallel: usize| {
        let mut session = Session::new(&llm, parallel, 1024).expect("context");
        let mut probes: Vec<Probe> = (0..CONVERSATIONS)
            .map(|i| Probe {
                i,
                asked: false,
                generated: 0,
            })
            .collect();
        let mut refs: Vec<&mut dyn Conversation> = probes
            .iter_mut()
            .map(|p| p as &mut dyn Conversation)
            .collect();
        let stats = session.run(&mut refs, &sampling).expect("decodes");
        assert_eq!(stats.generated_tokens, TOKENS * CONVERSATIONS);
        stats
    };
    if std::env::var("SEGLENS_BENCH_ONCE").is_ok_and(|v| v == "1") {
        let mut rates = Vec::new();
        for parallel in [1usize, 2, 4, 8] {
            let s = run(parallel);
            let rate = s.aggregate_tokens_per_s();
            println!(
                "{} threads={threads} parallel={parallel}: {} tokens in {:.1} s = {rate:.1} tokens/s \
                 (generation-only steps {:.1} tokens/s; {} prompt tokens)",
                file.name,
                s.generated_tokens,
                s.wall_ms / 1000.0,
                s.decode_tokens_per_s(),
                s.prompt_tokens
            );
            rates.push(rate);
        }
        println!("speedup parallel 8 over 1: {:.2}x", rates[3] / rates[0]);
        return;
    }
    let mut g = c.benchmark_group("llm");
    g.sample_size(10);
    g.throughput(Throughput::Elements((TOKENS * CONVERSATIONS) as u64));
    for parallel in [1usize, 8] {
        g.bench_function(
            format!(
                "{}_{CONVERSATIONS}x{TOKENS}_tokens_parallel_{parallel}",
                file.name
            ),
            |b| b.iter(|| run(parallel)),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
