//! Batched decoding: many conversations share one llama.cpp context.
//!
//! Sequence 0 holds the prefix every conversation of a pass shares (system prompt, schema
//! instructions); it is evaluated once and each conversation's sequence starts as a copy of it
//! (unified KV cache, so the cells are shared, not duplicated). Up to `parallel` conversations
//! decode at once: every step feeds one batch that mixes prompt chunks of conversations that are
//! starting a turn with the last sampled token of those that are generating.
//!
//! Between turns a conversation's whole chat is rendered again with the model's chat template and
//! tokenized; only the tokens after the longest prefix already in that sequence's KV cache are fed.

use std::num::NonZeroU32;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use super::{Llm, LlmError};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self {
            role: role.to_string(),
            content: content.into(),
        }
    }
}

/// What the next assistant turn must look like.
#[derive(Debug, Clone)]
pub struct TurnSpec {
    /// GBNF grammar (root rule `root`) the reply must follow.
    pub grammar: String,
    /// Hard cap on the reply's tokens; the grammar bounds lengths too, this is the safety net.
    pub max_tokens: usize,
    /// Texts whose first token's logit at the reply's first position is reported in
    /// [`Reply::scores`] (a judge's "yes" and "no"); empty for ordinary turns.
    pub score: Vec<String>,
}

/// A finished assistant turn.
#[derive(Debug, Clone)]
pub struct Reply {
    pub text: String,
    pub tokens: usize,
    /// false when the reply hit `max_tokens` before the model ended it.
    pub complete: bool,
    /// Logits of [`TurnSpec::score`]'s tokens before the first sampled token, in that order
    /// (before the grammar; `NEG_INFINITY` for a text that is not a token).
    pub scores: Vec<f32>,
}

/// A conversation the engine drives: it asks for the chat so far, feeds back each reply, and
/// streams the reply's text as it is sampled.
pub trait Conversation {
    /// The chat so far and the shape of the next assistant turn; `None` when finished.
    fn next_turn(&mut self) -> Option<(Vec<Message>, TurnSpec)>;
    /// The assistant's reply to the last turn.
    fn on_reply(&mut self, reply: Reply);
    /// Text sampled so far in the current turn (streaming); default ignores it.
    fn on_text(&mut self, _text: &str) {}
    /// Seed of this conversation's sampler, so results do not depend on scheduling.
    fn seed(&self) -> u32;
}

/// Sampling settings (part of every persona's cache key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub temperature: f32,
    pub top_k: i32,
    pub top_p: f32,
    pub min_p: f32,
    pub repeat_penalty: f32,
}

impl Sampling {
    /// Always the most likely token: for judges and votes, whose answer must not depend on a seed.
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            top_k: 1,
            top_p: 1.0,
            min_p: 0.0,
            repeat_penalty: 1.0,
        }
    }
}

/// A grammar that admits exactly the numbers 1..=k: the answer of a multiple-choice turn.
pub fn choice_grammar(k: usize) -> String {
    let alts: Vec<String> = (1..=k.max(1)).map(|i| format!("\"{i}\"")).collect();
    format!("root ::= {}\n", alts.join(" | "))
}

/// One question, one constrained answer: the judge's and the name vote's conversation.
pub struct SingleTurn {
    messages: Option<Vec<Message>>,
    spec: Option<TurnSpec>,
    seed: u32,
    /// The reply, once the engine has run the turn.
    pub reply: Option<Reply>,
}

impl SingleTurn {
    pub fn new(messages: Vec<Message>, grammar: String, max_tokens: usize, seed: u32) -> Self {
        Self {
            messages: Some(messages),
            spec: Some(TurnSpec {
                grammar,
                max_tokens,
                score: Vec::new(),
            }),
            seed,
            reply: None,
        }
    }

    /// Also report the logits of `texts` at the reply's first token ([`Reply::scores`]).
    pub fn scoring(mut self, texts: &[&str]) -> Self {
        if let Some(s) = self.spec.as_mut() {
            s.score = texts.iter().map(|t| t.to_string()).collect();
        }
        self
    }

    /// The 0-based option picked by a reply to a [`choice_grammar`] turn; `None` if unusable.
    pub fn choice(&self) -> Option<usize> {
        let n: usize = self.reply.as_ref()?.text.trim().parse().ok()?;
        n.checked_sub(1)
    }
}

impl Conversation for SingleTurn {
    fn next_turn(&mut self) -> Option<(Vec<Message>, TurnSpec)> {
        Some((self.messages.take()?, self.spec.take()?))
    }

    fn on_reply(&mut self, reply: Reply) {
        self.reply = Some(reply);
    }

    fn seed(&self) -> u32 {
        self.seed
    }
}

/// Runs every turn in `turns` on `session`, batched.
pub fn run_single(
    session: &mut Session<'_>,
    turns: &mut [SingleTurn],
    sampling: &Sampling,
) -> Result<GenStats, LlmError> {
    let mut convs: Vec<&mut dyn Conversation> = turns
        .iter_mut()
        .map(|t| t as &mut dyn Conversation)
        .collect();
    session.run(&mut convs, sampling)
}

/// Token counts and times of one or more passes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GenStats {
    /// Prompt tokens evaluated (the shared prefix counted once).
    pub prompt_tokens: usize,
    /// Prompt tokens that were not evaluated because the shared prefix was reused.
    pub prefix_tokens_reused: usize,
    pub generated_tokens: usize,
    pub wall_ms: f64,
    /// Tokens and time of the decode steps that only generated (no prompt tokens in the batch):
    /// the figure comparable with llama.cpp's own text-generation benchmark.
    pub gen_only_tokens: usize,
    pub gen_only_ms: f64,
}

impl GenStats {
    pub fn add(&mut self, o: &GenStats) {
        self.prompt_tokens += o.prompt_tokens;
        self.prefix_tokens_reused += o.prefix_tokens_reused;
        self.generated_tokens += o.generated_tokens;
        self.wall_ms += o.wall_ms;
        self.gen_only_tokens += o.gen_only_tokens;
        self.gen_only_ms += o.gen_only_ms;
    }

    /// Generated tokens per second of wall time, all sequences together.
    pub fn aggregate_tokens_per_s(&self) -> f64 {
        self.generated_tokens as f64 / (self.wall_ms / 1000.0).max(1e-9)
    }

    /// Tokens per second over generation-only steps, all sequences together.
    pub fn decode_tokens_per_s(&self) -> f64 {
        self.gen_only_tokens as f64 / (self.gen_only_ms / 1000.0).max(1e-9)
    }
}

/// A context with its shared prefix; lives for the whole run so later passes (regenerations)
/// reuse the prefix.
pub struct Session<'m> {
    llm: &'m Llm,
    ctx: LlamaContext<'m>,
    slots: usize,
    n_batch: usize,
    /// KV cells of one sequence's stream.
    per_seq: usize,
    prefix: Vec<LlamaToken>,
    /// Set from another thread to stop [`Session::run`] at the next step.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

struct Slot {
    conv: usize,
    seq: i32,
    fed: Vec<LlamaToken>,
    pending: Vec<LlamaToken>,
    last: Option<LlamaToken>,
    generating: bool,
    bytes: Vec<u8>,
    streamed: usize,
    tokens: usize,
    max_tokens: usize,
    chain: LlamaSampler,
    grammar: LlamaSampler,
    /// The turn does not fit the sequence's stream: it ends at once with an empty reply.
    overflow: bool,
    score_ids: Vec<Option<LlamaToken>>,
    scores: Vec<f32>,
}

impl<'m> Session<'m> {
    /// A context for `parallel` sequences of up to `ctx_per_seq` tokens each (shared prefix
    /// included). Each sequence has a KV stream of its own, so attention in a step only spans
    /// that sequence's tokens; the prefix stream is copied into a sequence's stream when it
    /// starts.
    pub fn new(llm: &'m Llm, parallel: usize, ctx_per_seq: u32) -> Result<Self, LlmError> {
        let slots = parallel.max(1);
        let per_seq = ctx_per_seq.max(1024).div_ceil(256) * 256;
        let n_ctx = per_seq * (slots as u32 + 1);
        let n_batch = 512u32;
        let threads = llm.threads as i32;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_batch)
            .with_n_ubatch(n_batch)
            .with_n_seq_max(slots as u32 + 1)
            .with_kv_unified(false)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = llm
            .model
            .new_context(super::backend()?, params)
            .map_err(|e| LlmError::Context {
                n_ctx,
                message: e.to_string(),
            })?;
        Ok(Self {
            llm,
            ctx,
            slots,
            n_batch: n_batch as usize,
            per_seq: per_seq as usize,
            prefix: Vec::new(),
            cancel: None,
        })
    }

    fn tokenize_chat(&self, messages: &[Message]) -> Result<Vec<LlamaToken>, LlmError> {
        tokenize_chat(self.llm, messages)
    }

    fn sampler_chain(&self, s: &Sampling, seed: u32) -> LlamaSampler {
        let mut v = Vec::new();
        if s.repeat_penalty > 1.0 {
            v.push(LlamaSampler::penalties(
                self.llm.model.n_vocab(),
                64,
                s.repeat_penalty,
                0.0,
                0.0,
            ));
        }
        if s.temperature <= 0.0 {
            v.push(LlamaSampler::greedy());
        } else {
            v.push(LlamaSampler::top_k(s.top_k.max(1)));
            v.push(LlamaSampler::top_p(s.top_p.clamp(0.01, 1.0), 1));
            v.push(LlamaSampler::min_p(s.min_p.clamp(0.0, 1.0), 1));
            v.push(LlamaSampler::temp(s.temperature));
            v.push(LlamaSampler::dist(seed));
        }
        LlamaSampler::chain_simple(v)
    }

    /// Evaluates `tokens` into sequence 0 (the shared prefix).
    fn load_prefix(&mut self, tokens: Vec<LlamaToken>) -> Result<usize, LlmError> {
        if self.prefix == tokens {
            return Ok(0);
        }
        self.clear_seq(0);
        let mut batch = LlamaBatch::new(self.n_batch, 1);
        for (chunk_no, chunk) in tokens.chunks(self.n_batch).enumerate() {
            batch.clear();
            for (i, &t) in chunk.iter().enumerate() {
                let pos = (chunk_no * self.n_batch + i) as i32;
                batch.add(t, pos, &[0], false).map_err(batch_err)?;
            }
            self.decode(&mut batch)?;
        }
        let n = tokens.len();
        self.prefix = tokens;
        Ok(n)
    }

    fn clear_seq(&mut self, seq: i32) {
        let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
    }

    fn decode(&mut self, batch: &mut LlamaBatch) -> Result<(), LlmError> {
        self.ctx.decode(batch).map_err(|e| match e {
            llama_cpp_2::DecodeError::NoKvCacheSlot => LlmError::ContextFull,
            other => LlmError::Decode(other.to_string()),
        })
    }

    /// Prepares a slot's next turn: tokens beyond what its sequence already holds become pending.
    fn start_turn(
        &mut self,
        slot: &mut Slot,
        messages: &[Message],
        spec: &TurnSpec,
        sampling: &Sampling,
        seed: u32,
    ) -> Result<(), LlmError> {
        let tokens = self.tokenize_chat(messages)?;
        let mut keep = lcp(&slot.fed, &tokens);
        if keep == tokens.len() {
            keep = keep.saturating_sub(1);
        }
        if keep < slot.fed.len() {
            let ok = self
                .ctx
                .clear_kv_cache_seq(Some(slot.seq as u32), Some(keep as u32), None)
                .unwrap_or(false);
            if !ok {
                self.clear_seq(slot.seq);
                keep = 0;
            }
            slot.fed.truncate(keep);
        }
        slot.pending = tokens[keep..].to_vec();
        // What the stream can still hold caps the reply; too little room leaves it empty.
        let room = self.per_seq.saturating_sub(tokens.len());
        slot.overflow = room < 32;
        if slot.overflow {
            slot.pending.clear();
        }
        slot.generating = false;
        slot.last = None;
        slot.bytes.clear();
        slot.streamed = 0;
        slot.tokens = 0;
        slot.max_tokens = spec.max_tokens.clamp(1, room.max(1));
        slot.chain = self.sampler_chain(sampling, seed);
        slot.grammar = LlamaSampler::grammar(&self.llm.model, &spec.grammar, "root")
            .map_err(|e| LlmError::Grammar(e.to_string()))?;
        let vocab = self.llm.model.vocab();
        slot.score_ids = spec
            .score
            .iter()
            .map(
                |t| match vocab.tokenize(t.as_bytes(), false, false).as_slice() {
                    [one] => Some(*one),
                    _ => None,
                },
            )
            .collect();
        slot.scores.clear();
        Ok(())
    }

    /// Runs every conversation to its end, at most `slots` at a time.
    pub fn run(
        &mut self,
        convs: &mut [&mut dyn Conversation],
        sampling: &Sampling,
    ) -> Result<GenStats, LlmError> {
        let start = Instant::now();
        let mut stats = GenStats::default();
        // First turns of all, to find the prefix they share.
        let mut firsts: Vec<Option<(Vec<Message>, TurnSpec)>> =
            convs.iter_mut().map(|c| c.next_turn()).collect();
        let mut first_tokens = Vec::with_capacity(firsts.len());
        for f in &firsts {
            first_tokens.push(match f {
                Some((m, _)) => Some(self.tokenize_chat(m)?),
                None => None,
            });
        }
        let live: Vec<&Vec<LlamaToken>> = first_tokens.iter().flatten().collect();
        if live.is_empty() {
            return Ok(stats);
        }
        let keep_old = !self.prefix.is_empty()
            && live
                .iter()
                .all(|t| t.len() > self.prefix.len() && t.starts_with(&self.prefix));
        if !keep_old {
            let mut n = live.iter().map(|t| t.len()).min().unwrap_or(0);
            for t in &live[1..] {
                n = n.min(lcp(live[0], t));
            }
            let n = n.min(live[0].len().saturating_sub(1));
            stats.prompt_tokens += self.load_prefix(live[0][..n].to_vec())?;
        }
        let mut waiting: std::collections::VecDeque<usize> = (0..convs.len()).collect();
        let mut slots: Vec<Option<Slot>> = (0..self.slots).map(|_| None).collect();
        let mut batch = LlamaBatch::new(self.n_batch, 1);

        loop {
            if self
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            {
                return Err(LlmError::Cancelled);
            }
            // Fill free slots.
            for (si, entry) in slots.iter_mut().enumerate() {
                if entry.is_some() {
                    continue;
                }
                while let Some(ci) = waiting.pop_front() {
                    let Some((msgs, spec)) = firsts[ci].take() else {
                        continue;
                    };
                    let seq = si as i32 + 1;
                    self.clear_seq(seq);
                    let _ = self.ctx.copy_kv_cache_seq(0, seq, None, None);
                    stats.prefix_tokens_reused += self.prefix.len();
                    let mut slot = Slot {
                        conv: ci,
                        seq,
                        fed: self.prefix.clone(),
                        pending: Vec::new(),
                        last: None,
                        generating: false,
                        bytes: Vec::new(),
                        streamed: 0,
                        tokens: 0,
                        max_tokens: 1,
                        chain: LlamaSampler::greedy(),
                        grammar: LlamaSampler::greedy(),
                        overflow: false,
                        score_ids: Vec::new(),
                        scores: Vec::new(),
                    };
                    let seed = convs[ci].seed();
                    self.start_turn(&mut slot, &msgs, &spec, sampling, seed)?;
                    *entry = Some(slot);
                    break;
                }
            }
            // Turns that do not fit their stream end at once, empty and incomplete.
            let mut freed = false;
            for entry in slots.iter_mut() {
                while let Some((conv, seq)) = entry
                    .as_ref()
                    .filter(|s| s.overflow)
                    .map(|s| (s.conv, s.seq))
                {
                    convs[conv].on_reply(Reply {
                        text: String::new(),
                        tokens: 0,
                        complete: false,
                        scores: Vec::new(),
                    });
                    match convs[conv].next_turn() {
                        Some((msgs, spec)) => {
                            let seed = convs[conv].seed();
                            let mut taken = entry.take().ok_or(LlmError::ContextFull)?;
                            self.start_turn(&mut taken, &msgs, &spec, sampling, seed)?;
                            *entry = Some(taken);
                        }
                        None => {
                            *entry = None;
                            self.clear_seq(seq);
                            freed = true;
                        }
                    }
                }
            }
            if freed {
                continue;
            }
            // Free slots were just filled, so all empty means nothing is left to run.
            if slots.iter().all(Option::is_none) {
                break;
            }

            // One batch: generating slots first (one token each), then prompt chunks.
            batch.clear();
            let mut logit_at: Vec<(usize, i32)> = Vec::new();
            let mut prompt_in_batch = 0usize;
            let mut gen_in_batch = 0usize;
            for (si, slot) in slots.iter_mut().enumerate() {
                let Some(s) = slot.as_mut() else { continue };
                if let (true, Some(t)) = (s.generating, s.last) {
                    let idx = batch.n_tokens();
                    batch
                        .add(t, s.fed.len() as i32, &[s.seq], true)
                        .map_err(batch_err)?;
                    s.fed.push(t);
                    logit_at.push((si, idx));
                    gen_in_batch += 1;
                }
            }
            for (si, slot) in slots.iter_mut().enumerate() {
                let Some(s) = slot.as_mut() else { continue };
                if s.generating || s.pending.is_empty() {
                    continue;
                }
                let room = self.n_batch - batch.n_tokens() as usize;
                if room == 0 {
                    break;
                }
                let take = room.min(s.pending.len());
                let chunk: Vec<LlamaToken> = s.pending.drain(..take).collect();
                let last_chunk = s.pending.is_empty();
                for (i, &t) in chunk.iter().enumerate() {
                    let want = last_chunk && i + 1 == chunk.len();
                    let idx = batch.n_tokens();
                    batch
                        .add(t, s.fed.len() as i32, &[s.seq], want)
                        .map_err(batch_err)?;
                    s.fed.push(t);
                    if want {
                        logit_at.push((si, idx));
                    }
                }
                prompt_in_batch += chunk.len();
            }
            let step = Instant::now();
            self.decode(&mut batch)?;
            stats.prompt_tokens += prompt_in_batch;
            if prompt_in_batch == 0 {
                stats.gen_only_tokens += gen_in_batch;
                stats.gen_only_ms += step.elapsed().as_secs_f64() * 1000.0;
            }

            // Sample for every slot that asked for logits.
            for (si, idx) in logit_at {
                let Some(s) = slots[si].as_mut() else {
                    continue;
                };
                let vocab = self.llm.model.vocab();
                if s.tokens == 0 && !s.score_ids.is_empty() {
                    let logits = self.ctx.get_logits_ith(idx);
                    s.scores = s
                        .score_ids
                        .iter()
                        .map(|id| {
                            id.and_then(|t| logits.get(t.0 as usize).copied())
                                .unwrap_or(f32::NEG_INFINITY)
                        })
                        .collect();
                }
                let tok = sample(&self.ctx, &self.llm.model, s, idx);
                let eog = vocab.is_eog(tok);
                if !eog {
                    s.bytes.extend(vocab.token_to_piece(tok, false, None));
                    s.tokens += 1;
                    stats.generated_tokens += 1;
                    let valid = match std::str::from_utf8(&s.bytes[s.streamed..]) {
                        Ok(v) => v.len(),
                        Err(e) => e.valid_up_to(),
                    };
                    if valid > 0 {
                        let text =
                            String::from_utf8_lossy(&s.bytes[s.streamed..s.streamed + valid])
                                .into_owned();
                        s.streamed += valid;
                        convs[s.conv].on_text(&text);
                    }
                }
                if eog || s.tokens >= s.max_tokens {
                    let reply = Reply {
                        text: String::from_utf8_lossy(&s.bytes).into_owned(),
                        tokens: s.tokens,
                        complete: eog,
                        scores: std::mem::take(&mut s.scores),
                    };
                    // The last sampled token was never fed; the next render re-tokenizes it.
                    let conv = s.conv;
                    convs[conv].on_reply(reply);
                    match convs[conv].next_turn() {
                        Some((msgs, spec)) => {
                            let seed = convs[conv].seed();
                            let mut taken = slots[si].take().ok_or(LlmError::ContextFull)?;
                            self.start_turn(&mut taken, &msgs, &spec, sampling, seed)?;
                            slots[si] = Some(taken);
                        }
                        None => {
                            let seq = s.seq;
                            slots[si] = None;
                            self.clear_seq(seq);
                        }
                    }
                } else {
                    s.last = Some(tok);
                    s.generating = true;
                }
            }
        }
        stats.wall_ms = start.elapsed().as_secs_f64() * 1000.0;
        Ok(stats)
    }
}

/// Samples like llama.cpp's common sampler: the chain picks a token; if the grammar rejects it,
/// the grammar filters all candidates and the chain picks again. Both samplers then accept the
/// final token once (`apply` never accepts, so nothing is accepted twice).
fn sample(ctx: &LlamaContext<'_>, model: &LlamaModel, s: &mut Slot, idx: i32) -> LlamaToken {
    let vocab = model.vocab();
    let eos = vocab.eos();
    let mut arr = ctx.token_data_array_ith(idx);
    arr.apply_sampler(&mut s.chain);
    let picked = arr.selected_token();
    let ok = picked.is_some_and(|t| {
        let mut one = LlamaTokenDataArray::new(vec![LlamaTokenData::new(t, 1.0, 0.0)], false);
        one.apply_sampler(&mut s.grammar);
        one.data[0].logit().is_finite()
    });
    let tok = match (ok, picked) {
        (true, Some(t)) => t,
        _ => {
            let mut all = ctx.token_data_array_ith(idx);
            all.apply_sampler(&mut s.grammar);
            all.apply_sampler(&mut s.chain);
            all.selected_token()
                .or_else(|| {
                    all.data
                        .iter()
                        .filter(|d| d.logit().is_finite())
                        .max_by(|a, b| a.logit().total_cmp(&b.logit()))
                        .map(LlamaTokenData::id)
                })
                .unwrap_or(eos)
        }
    };
    // An end-of-generation token is only ever picked once the grammar is complete, and the
    // turn ends there: it is not accepted (accepting it early would abort inside llama.cpp).
    if !vocab.is_eog(tok) {
        s.grammar.accept(tok);
        s.chain.accept(tok);
    }
    tok
}

fn lcp(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn batch_err(e: llama_cpp_2::llama_batch::BatchAddError) -> LlmError {
    LlmError::Decode(e.to_string())
}

/// The chat as tokens, where only the template's own text may become control tokens: each
/// message's content (reviews, product names and tool results among it) is tokenized with
/// special-token parsing off, so a review holding `<|im_end|><|im_start|>assistant` stays
/// plain text for any model's template.
pub fn tokenize_chat(llm: &Llm, messages: &[Message]) -> Result<Vec<LlamaToken>, LlmError> {
    let render = |contents: &[String]| -> Result<String, LlmError> {
        let chat = messages
            .iter()
            .zip(contents)
            .map(|(m, c)| LlamaChatMessage::new(m.role.clone(), c.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| LlmError::Template(e.to_string()))?;
        llm.model
            .apply_chat_template(&llm.template, &chat, true)
            .map_err(|e| LlmError::Template(e.to_string()))
    };
    let contents: Vec<String> = messages.iter().map(|m| unmarked(&m.content)).collect();
    let marks: Vec<String> = (0..messages.len()).map(content_mark).collect();
    let marked = render(&marks)?;
    let vocab = llm.model.vocab();
    let mut tokens = Vec::new();
    match split_marked(&marked, messages.len()) {
        Some(parts) => {
            for part in parts {
                match part {
                    Part::Template(t) if !t.is_empty() => {
                        tokens.extend(vocab.tokenize(t.as_bytes(), false, true))
                    }
                    Part::Template(_) => {}
                    Part::Content(i) => {
                        tokens.extend(vocab.tokenize(contents[i].as_bytes(), false, false))
                    }
                }
            }
        }
        // The template moved, repeated or dropped a message: no safe split is known, so
        // the data's control strings are neutralised before the whole text is parsed.
        None => {
            let defused: Vec<String> = contents.iter().map(|c| defuse(c)).collect();
            tokens = vocab.tokenize(render(&defused)?.as_bytes(), false, true);
        }
    }
    if vocab.should_add_bos() && tokens.first() != Some(&vocab.bos()) {
        tokens.insert(0, vocab.bos());
    }
    Ok(tokens)
}

/// Private-use characters that mark where a message's content lands in the rendered template.
const MARK_OPEN: char = '\u{E000}';
const MARK_CLOSE: char = '\u{E001}';

fn content_mark(i: usize) -> String {
    format!("{MARK_OPEN}{i}{MARK_CLOSE}")
}

/// Content with the mark characters removed, so data cannot forge a mark.
fn unmarked(content: &str) -> String {
    content.replace([MARK_OPEN, MARK_CLOSE], "")
}

/// Content whose `<|`, `|>`, `<s>` and `[INST]`-style control strings can no longer match a
/// special token (a zero-width joiner splits them), for templates that cannot be split.
fn defuse(content: &str) -> String {
    content
        .replace("<|", "<\u{200D}|")
        .replace("|>", "|\u{200D}>")
        .replace("</s", "<\u{200D}/s")
        .replace("<s>", "<\u{200D}s>")
        .replace("[INST", "[\u{200D}INST")
        .replace("[/INST", "[\u{200D}/INST")
}

/// A piece of the rendered chat: the template's own text, or message `i`'s content.
#[derive(Debug, PartialEq)]
enum Part<'a> {
    Template(&'a str),
    Content(usize),
}

/// Splits a chat rendered with [`content_mark`]s at its `n` marks, or `None` unless each mark
/// appears once and in order.
fn split_marked(text: &str, n: usize) -> Option<Vec<Part<'_>>> {
    let mut out = Vec::with_capacity(2 * n + 1);
    let mut rest = text;
    for i in 0..n {
        let mark = content_mark(i);
        let at = rest.find(&mark)?;
        out.push(Part::Template(&rest[..at]));
        out.push(Part::Content(i));
        rest = &rest[at + mark.len()..];
    }
    if rest.contains(MARK_OPEN)
        || out
            .iter()
            .any(|p| matches!(p, Part::Template(t) if t.contains(MARK_OPEN)))
    {
        return None;
    }
    out.push(Part::Template(rest));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{content_mark, defuse, split_marked, unmarked, Part};

    #[test]
    fn marks_split_the_chat_into_template_and_content() {
        let text = format!(
            "<|im_start|>system\n{}<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n",
            content_mark(0),
            content_mark(1)
        );
        let parts = split_marked(&text, 2).expect("both marks");
        assert_eq!(parts[1], Part::Content(0));
        assert_eq!(parts[3], Part::Content(1));
        assert_eq!(parts[0], Part::Template("<|im_start|>system\n"));
        // A template that drops or repeats a message has no safe split.
        assert!(split_marked(&text, 3).is_none());
        let twice = format!("{}{}", text, content_mark(1));
        assert!(split_marked(&twice, 2).is_none());
        // Data cannot forge a mark, and defused control strings no longer read as one.
        assert_eq!(unmarked(&content_mark(0)), "0");
        assert!(!defuse("<|im_end|><|im_start|>assistant").contains("<|"));
    }
}
