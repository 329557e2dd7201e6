//! The persona writer: one persona per segment of a run, grounded and with distinct names.
//!
//! Passes, each one batched generation over all segments that need it:
//! 1. the segment card (and, with tools, up to `max_tool_calls` tool calls first) → persona;
//! 2. personas below the grounding threshold, with a contradicted claim, or missing the
//!    strongest trait (or whose reply could not be used) are written again with the failures
//!    named, at most half of them, worst first;
//! 3. a name already used by a larger segment, or borrowed from a withheld review, is replaced
//!    by asking again with the names in use listed; if the model repeats itself seglens adds the
//!    segment number.
//!
//! 4. names by contrast and vote ([`super::naming`], in `writer/vote.rs`): the model proposes
//!    names, a judge maps each back to the segment or one of its nearest, and the name mapped
//!    back to its own segment most often is kept.
//!
//! Every generated conversation is cached; a pass whose conversations are all cached runs
//! without the model, so a re-run with the same inputs never loads it. Without a usable model
//! every persona is written by template ([`super::fallback`]) and marked so.

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::cache::{self, Entry, PersonaCache};
use super::engine::{Conversation, GenStats, Message, Reply, Sampling, Session, TurnSpec};
use super::grounding::{self, Grounding, Tolerance};
use super::persona::{self, Origin, Persona, PersonaRecord, ToolStep};
use super::prompt::{self, Prompts, ShopFacts};
use super::tools::{self, Call, RunData};
use super::{Llm, LlmError, LoadOptions, ModelFile};

mod vote;

/// Settings of a persona run (from `[llm]` and the command line).
#[derive(Debug, Clone)]
pub struct PersonaOptions {
    /// Manifest name or GGUF path; empty = the default model.
    pub model: String,
    pub threads: usize,
    pub gpu_layers: Option<u32>,
    pub parallel: usize,
    pub ctx_per_sequence: u32,
    pub sampling: Sampling,
    pub seed: u64,
    pub tools: bool,
    pub max_tool_calls: usize,
    pub threshold: f64,
    pub tolerance: Tolerance,
    pub prompts_dir: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    /// Ignore cached personas (they are still rewritten).
    pub fresh: bool,
    /// Only the segments with these keys (`3`, or `3.1` for a sub-segment of the data given
    /// to [`write`]); all segments of the data when `None`.
    pub segments: Option<Vec<String>>,
    pub max_traits: usize,
    pub neighbours: usize,
    /// Propose names and keep the one a judge maps back to its segment (pass 4).
    pub name_vote: bool,
    /// Set from another thread to stop generating (the UI's Esc): `write` then returns
    /// [`WriterError::Llm`] with [`LlmError::Cancelled`] and nothing is written.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Progress of a persona run.
#[derive(Debug, Clone)]
pub enum PersonaEvent {
    Stage(String),
    /// Text streamed for a segment's current reply (`segment` is its key: `3`, or `3.1`).
    Text {
        segment: String,
        text: String,
    },
    /// A segment's reply is complete (`segment` is its key).
    Replied {
        segment: String,
        tokens: usize,
    },
    Warning(String),
}

/// Facts about the run shown in every output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonaMeta {
    pub seglens_version: String,
    pub run_dir: PathBuf,
    pub model: String,
    pub model_path: Option<PathBuf>,
    pub model_sha256: Option<String>,
    /// Whether the model was loaded in this run (false when everything came from the cache or
    /// no model could be used).
    pub model_loaded: bool,
    /// Why personas are not model-written, when they are not.
    pub fallback_reason: Option<String>,
    pub seed: u64,
    pub prompt_hash: String,
    pub sampling: Sampling,
    pub parallel: usize,
    pub threads: usize,
    pub gpu_layers: u32,
    pub tools: bool,
    pub grounding_threshold: f64,
    pub tolerance: Tolerance,
    pub load_ms: f64,
    pub wall_ms: f64,
    pub generation: GenStats,
    /// Generated tokens per second of generation wall time, all sequences together.
    pub tokens_per_s: f64,
    pub from_cache: usize,
}

/// All personas of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonaRun {
    pub meta: PersonaMeta,
    pub personas: Vec<PersonaRecord>,
}

/// What can stop a persona run (a model that will not load is not one of them: it falls back).
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error(transparent)]
    Prompt(#[from] prompt::PromptError),
    #[error("--segments names segment {0}, which this run does not have (it has {1})")]
    UnknownSegment(String, String),
    #[error(transparent)]
    Llm(#[from] LlmError),
}

/// A conversation being prepared or finished.
struct Job {
    segment: i32,
    /// The segment's key, for events and records.
    seg_key: String,
    key: String,
    first: Vec<Message>,
    tools_left: usize,
    entry: Option<Entry>,
    cached: bool,
}

struct Conv<'a> {
    job: &'a mut Job,
    seed: u32,
    transcript: Vec<Message>,
    pending: Option<TurnSpec>,
    in_tools: bool,
    tool_grammar: &'a str,
    persona_grammar: &'a str,
    data: &'a RunData,
    prompts: &'a Prompts,
    events: &'a dyn Fn(PersonaEvent),
    tokens: usize,
    error: Option<String>,
}

const TOOL_MAX_TOKENS: usize = 96;

impl Conversation for Conv<'_> {
    fn next_turn(&mut self) -> Option<(Vec<Message>, TurnSpec)> {
        let spec = self.pending.take()?;
        let mut all = self.job.first.clone();
        all.extend(self.transcript.iter().cloned());
        Some((all, spec))
    }

    fn on_text(&mut self, text: &str) {
        (self.events)(PersonaEvent::Text {
            segment: self.job.seg_key.clone(),
            text: text.to_string(),
        });
    }

    fn on_reply(&mut self, reply: Reply) {
        self.tokens += reply.tokens;
        self.transcript
            .push(Message::new("assistant", reply.text.clone()));
        (self.events)(PersonaEvent::Replied {
            segment: self.job.seg_key.clone(),
            tokens: reply.tokens,
        });
        if !self.in_tools {
            self.job.entry = Some(Entry {
                key: self.job.key.clone(),
                transcript: std::mem::take(&mut self.transcript),
                reply: reply.text,
                complete: reply.complete,
                tokens: self.tokens,
            });
            return;
        }
        let call = Call::parse(&reply.text);
        let next = match call {
            Ok(Call::Done) | Err(_) => self.prompts.write(self.job.segment),
            Ok(call) => {
                let result = tools::run(self.data, &call);
                self.job.tools_left = self.job.tools_left.saturating_sub(1);
                let left = self.job.tools_left;
                let mut msg = self.prompts.tool_result(reply.text.trim(), &result, left);
                if left == 0 {
                    msg = msg.and_then(|m| {
                        Ok(format!("{m}\n\n{}", self.prompts.write(self.job.segment)?))
                    });
                } else if let Ok(m) = msg {
                    self.transcript.push(Message::new("user", m));
                    self.pending = Some(TurnSpec {
                        grammar: self.tool_grammar.to_string(),
                        max_tokens: TOOL_MAX_TOKENS,
                        score: Vec::new(),
                    });
                    return;
                }
                msg
            }
        };
        match next {
            Ok(m) => {
                self.transcript.push(Message::new("user", m));
                self.in_tools = false;
                self.pending = Some(TurnSpec {
                    grammar: self.persona_grammar.to_string(),
                    max_tokens: persona::max_reply_chars(),
                    score: Vec::new(),
                });
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn seed(&self) -> u32 {
        self.seed
    }
}

/// The model, loaded on first need (never when every persona is cached).
enum ModelState {
    Unloaded,
    Loaded(Box<Llm>),
    Failed(String),
}

struct Writer<'a> {
    data: &'a RunData,
    opts: &'a PersonaOptions,
    prompts: Prompts,
    prompt_hash: String,
    system: String,
    cache: PersonaCache,
    file: Result<ModelFile, String>,
    model_sha: Option<String>,
    model: ModelState,
    stats: GenStats,
    events: &'a dyn Fn(PersonaEvent),
    persona_grammar: Option<String>,
    tool_grammar: Option<String>,
    from_cache: usize,
}

impl Writer<'_> {
    fn ensure_model(&mut self) -> bool {
        if let ModelState::Unloaded = self.model {
            let file = match &self.file {
                Ok(f) => f.clone(),
                Err(e) => {
                    self.model = ModelState::Failed(e.clone());
                    return false;
                }
            };
            (self.events)(PersonaEvent::Stage(format!(
                "loading {} ({})",
                file.name,
                file.path.display()
            )));
            let opts = LoadOptions {
                threads: self.opts.threads,
                gpu_layers: self.opts.gpu_layers,
            };
            self.model = match Llm::load(&file, &opts) {
                Ok(m) => ModelState::Loaded(Box::new(m)),
                Err(e) => ModelState::Failed(e.to_string()),
            };
            if let ModelState::Loaded(_) = &self.model {
                let schema = persona::schema();
                let tool_schema = tools::call_schema(
                    &self
                        .data
                        .profiles
                        .segments
                        .iter()
                        .map(|s| s.id)
                        .filter(|&i| i >= 0)
                        .collect::<Vec<_>>(),
                    &self.data.feature_names(),
                );
                match (
                    llama_cpp_2::json_schema_to_grammar(&schema),
                    llama_cpp_2::json_schema_to_grammar(&tool_schema),
                ) {
                    (Ok(p), Ok(t)) => {
                        self.persona_grammar = Some(p);
                        self.tool_grammar = Some(t);
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        self.model = ModelState::Failed(format!("schema conversion failed: {e}"));
                    }
                }
            }
        }
        matches!(self.model, ModelState::Loaded(_))
    }

    fn key(&self, first: &[Message]) -> String {
        let sampling = serde_json::to_string(&self.opts.sampling).unwrap_or_default();
        let first = serde_json::to_string(first).unwrap_or_default();
        cache::key(&[
            "persona-v1",
            &self.data.fingerprint,
            self.model_sha.as_deref().unwrap_or(""),
            &self.prompt_hash,
            &self.opts.seed.to_string(),
            &sampling,
            &format!("tools={} max={}", self.opts.tools, self.opts.max_tool_calls),
            &first,
        ])
    }

    /// Generates (or reads from the cache) every job; jobs left without an entry failed.
    fn run_pass(&mut self, jobs: &mut [Job], pass: u32) -> Result<(), WriterError> {
        for j in jobs.iter_mut() {
            if !self.opts.fresh {
                if let Some(e) = self.cache.get(&j.key) {
                    j.entry = Some(e);
                    j.cached = true;
                    self.from_cache += 1;
                }
            }
        }
        let todo = jobs.iter().filter(|j| j.entry.is_none()).count();
        if todo == 0 || !self.ensure_model() {
            return Ok(());
        }
        if let Err(e) = self.generate(jobs, pass, todo) {
            if matches!(e, LlmError::Cancelled) {
                return Err(e.into());
            }
            (self.events)(PersonaEvent::Warning(format!(
                "generation failed: {e}; the personas it did not finish are written by template"
            )));
            self.model = ModelState::Failed(e.to_string());
        }
        Ok(())
    }

    /// Generates every job without an entry, in one batched session.
    fn generate(&mut self, jobs: &mut [Job], pass: u32, todo: usize) -> Result<(), LlmError> {
        let ModelState::Loaded(llm) = &self.model else {
            return Ok(());
        };
        let (Some(pg), Some(tg)) = (&self.persona_grammar, &self.tool_grammar) else {
            return Ok(());
        };
        (self.events)(PersonaEvent::Stage(format!(
            "writing {} persona(s){}",
            todo,
            match pass {
                1 => String::new(),
                2 => " again: grounding below the threshold".into(),
                _ => " again: duplicate names".into(),
            }
        )));
        let parallel = self.opts.parallel.max(1).min(todo);
        let mut session = Session::new(llm, parallel, self.opts.ctx_per_sequence)?;
        session.cancel = self.opts.cancel.clone();
        let seed = self.opts.seed;
        let mut selected: Vec<&mut Job> = jobs.iter_mut().filter(|j| j.entry.is_none()).collect();
        let mut convs: Vec<Conv<'_>> = selected
            .iter_mut()
            .map(|j| {
                let in_tools = j.tools_left > 0;
                let seg = j.segment;
                Conv {
                    seed: conv_seed(seed, seg, pass),
                    transcript: Vec::new(),
                    pending: Some(TurnSpec {
                        grammar: if in_tools { tg.clone() } else { pg.clone() },
                        max_tokens: if in_tools {
                            TOOL_MAX_TOKENS
                        } else {
                            persona::max_reply_chars()
                        },
                        score: Vec::new(),
                    }),
                    in_tools,
                    tool_grammar: tg,
                    persona_grammar: pg,
                    data: self.data,
                    prompts: &self.prompts,
                    events: self.events,
                    tokens: 0,
                    error: None,
                    job: j,
                }
            })
            .collect();
        let mut refs: Vec<&mut dyn Conversation> = convs
            .iter_mut()
            .map(|c| c as &mut dyn Conversation)
            .collect();
        let stats = session.run(&mut refs, &self.opts.sampling)?;
        drop(refs);
        for c in &convs {
            if let Some(e) = &c.error {
                (self.events)(PersonaEvent::Warning(format!(
                    "segment {}: {e}",
                    c.job.segment
                )));
            }
        }
        drop(convs);
        self.stats.add(&stats);
        for j in selected {
            if let Some(e) = &j.entry {
                if let Err(err) = self.cache.put(e) {
                    (self.events)(PersonaEvent::Warning(format!(
                        "could not cache the persona of segment {}: {err}",
                        j.segment
                    )));
                }
            }
        }
        Ok(())
    }

    /// A follow-up of an earlier conversation: the card (with `taken` names, no tools), the
    /// earlier reply, and the retry prompt naming `problems`.
    fn retry_job(
        &self,
        s: &crate::profile::SegmentProfile,
        taken: &[String],
        earlier: &[Message],
        problems: &[String],
    ) -> Result<Job, WriterError> {
        let mut first = self.first_messages(s, taken, false)?;
        if let Some(last) = earlier.iter().rev().find(|m| m.role == "assistant") {
            first.push(last.clone());
        }
        first.push(Message::new("user", self.prompts.retry(s.id, problems)?));
        Ok(Job {
            segment: s.id,
            seg_key: s.key(),
            key: self.key(&first),
            first,
            tools_left: 0,
            entry: None,
            cached: false,
        })
    }

    fn first_messages(
        &self,
        s: &crate::profile::SegmentProfile,
        taken: &[String],
        tools: bool,
    ) -> Result<Vec<Message>, WriterError> {
        let card = prompt::card(s, self.opts.max_traits);
        let shop = ShopFacts {
            customers: self.data.profiles.customers,
            k: self.data.segment_count(),
            as_of: self.data.profiles.as_of.clone(),
        };
        let nb = prompt::neighbours(s, &self.data.profiles, self.opts.neighbours);
        let user = self.prompts.persona(&card, &shop, &nb, taken, tools)?;
        Ok(vec![
            Message::new("system", self.system.clone()),
            Message::new("user", user),
        ])
    }
}

/// The retry note for a persona whose name, tagline and summary miss what sets the segment
/// apart most.
fn strongest_trait_note(s: &crate::profile::SegmentProfile) -> Option<String> {
    let f = grounding::strongest_feature(s)?;
    let term = crate::profile::glossary::term(&f.name, &f.description);
    let up = f.std_diff.unwrap_or(0.0) > 0.0;
    Some(format!(
        "the name, tagline and summary do not say what sets this segment apart most: {} ({} {} \
         vs {} for everyone); say it in the name",
        term.meaning(up),
        term.plain,
        term.value(f.mean.unwrap_or(f64::NAN)),
        term.value(f.population_mean.unwrap_or(f64::NAN))
    ))
}

fn conv_seed(seed: u64, segment: i32, pass: u32) -> u32 {
    let h = cache::key(&[&seed.to_string(), &segment.to_string(), &pass.to_string()]);
    u32::from_str_radix(&h[..8], 16).unwrap_or(0)
}

/// How many personas of `n` the rewrite pass may take: half, rounded up.
fn retry_budget(n: usize) -> usize {
    n.div_ceil(2)
}

/// How a reason starts when the reply parsed but was not prose (see [`super::degenerate`]).
const DEGENERATE: &str = "degenerate text: ";

/// A persona's state between passes.
struct Draft {
    persona: Option<Persona>,
    reason: Option<String>,
    grounding: Grounding,
    transcript: Vec<Message>,
    tools: Vec<ToolStep>,
    attempts: usize,
    tokens: usize,
    notes: Vec<String>,
    from_cache: bool,
    extra_facts: String,
    /// The name or tagline kept repeating customers' words after a re-ask: flagged.
    injected: bool,
}

fn tool_steps(transcript: &[Message]) -> Vec<ToolStep> {
    let mut out = Vec::new();
    for w in transcript.windows(2) {
        if w[0].role == "assistant" && w[1].role == "user" {
            if let Ok(call) = Call::parse(&w[0].content) {
                if call != Call::Done {
                    let result = w[1]
                        .content
                        .split("<<<DATA\n")
                        .nth(1)
                        .and_then(|r| r.split("\nDATA>>>").next())
                        .unwrap_or("")
                        .to_string();
                    out.push(ToolStep {
                        call: w[0].content.trim().to_string(),
                        result,
                    });
                }
            }
        }
    }
    out
}

/// The grounding of `p` (its facts list aside: the card's own statements are true by
/// construction and would pad the supported share).
fn grade(
    data: &RunData,
    opts: &PersonaOptions,
    p: &Persona,
    s: &crate::profile::SegmentProfile,
    extra_facts: &str,
) -> Grounding {
    let facts = grounding::facts_for(
        s,
        &data.profiles,
        data.segment_count(),
        opts.neighbours,
        extra_facts,
    );
    let mut p = p.clone();
    p.facts.clear();
    grounding::check(&p, s, &facts, &data.categories(), opts.tolerance)
}

impl Writer<'_> {
    /// Grounds a draft again after seglens changed its persona (a new name).
    fn regrade(&self, d: &mut Draft, s: &crate::profile::SegmentProfile) {
        if let Some(p) = &d.persona {
            d.grounding = grade(self.data, self.opts, p, s, &d.extra_facts);
        }
    }
}

/// Writes a persona for every selected segment of `data`.
pub fn write(
    data: &RunData,
    opts: &PersonaOptions,
    events: &dyn Fn(PersonaEvent),
) -> Result<PersonaRun, WriterError> {
    let start = Instant::now();
    let prompts = Prompts::load(opts.prompts_dir.as_deref())?;
    let prompt_hash = prompts.hash();
    let system = prompts.system(opts.tools, opts.max_tool_calls)?;
    let segments: Vec<&crate::profile::SegmentProfile> = {
        let all: Vec<_> = data
            .profiles
            .segments
            .iter()
            .filter(|s| s.id >= 0)
            .collect();
        match &opts.segments {
            None => all,
            Some(want) => {
                let have = all.iter().map(|s| s.key()).collect::<Vec<_>>().join(", ");
                for w in want {
                    if !all.iter().any(|s| s.key() == *w) {
                        return Err(WriterError::UnknownSegment(w.clone(), have));
                    }
                }
                all.into_iter()
                    .filter(|s| want.contains(&s.key()))
                    .collect()
            }
        }
    };
    let file = super::resolve_model(&opts.model).map_err(|e| e.to_string());
    let model_sha = match &file {
        Ok(f) => match cache::model_sha256(f, opts.cache_dir.as_deref()) {
            Ok(h) => Some(h),
            Err(e) => {
                events(PersonaEvent::Warning(e.to_string()));
                None
            }
        },
        Err(_) => None,
    };
    let mut w = Writer {
        data,
        opts,
        prompts,
        prompt_hash,
        system,
        cache: PersonaCache::new(opts.cache_dir.clone()),
        file,
        model_sha,
        model: ModelState::Unloaded,
        stats: GenStats::default(),
        events,
        persona_grammar: None,
        tool_grammar: None,
        from_cache: 0,
    };
    let customers = data.profiles.customers;
    let k = data.segment_count();
    let categories = data.categories();
    // What the model is shown besides the card: a persona must not hand it back.
    let shown = w.system.clone();
    let evaluate = |d: &mut Draft, entry: &Entry, s: &crate::profile::SegmentProfile| {
        d.attempts += 1;
        d.tokens += entry.tokens;
        d.transcript.extend(entry.transcript.iter().cloned());
        let steps = tool_steps(&entry.transcript);
        for t in &steps {
            d.extra_facts.push_str(&tools::evidence(data, &t.call));
            d.extra_facts.push('\n');
        }
        d.tools.extend(steps);
        let parsed = Persona::parse(&entry.reply).and_then(|p| {
            let source = format!(
                "{}\n{}",
                prompt::card_facts(s, opts.max_traits).join("\n"),
                shown
            );
            match super::degenerate::degenerate(&p, &source) {
                Some(why) => Err(format!("{DEGENERATE}{why}")),
                None => Ok(p),
            }
        });
        match parsed {
            Ok(mut p) => {
                // Checked as the model wrote it (`grade` leaves the facts out); the card's
                // statements, true by construction, take their place afterwards.
                d.grounding = grade(data, opts, &p, s, &d.extra_facts);
                p.facts = prompt::card_facts(s, opts.max_traits);
                d.persona = Some(p);
                d.reason = None;
            }
            Err(e) => {
                d.reason = Some(if entry.complete {
                    e
                } else {
                    format!("the reply hit the token cap before it was complete ({e})")
                });
            }
        }
    };

    // Pass 1.
    let mut drafts: Vec<Draft> = segments
        .iter()
        .map(|_| Draft {
            persona: None,
            reason: None,
            grounding: Grounding::default(),
            transcript: Vec::new(),
            tools: Vec::new(),
            attempts: 0,
            tokens: 0,
            notes: Vec::new(),
            from_cache: true,
            extra_facts: String::new(),
            injected: false,
        })
        .collect();
    let mut jobs = Vec::new();
    for s in &segments {
        let first = w.first_messages(s, &[], opts.tools)?;
        jobs.push(Job {
            segment: s.id,
            seg_key: s.key(),
            key: w.key(&first),
            first,
            tools_left: if opts.tools { opts.max_tool_calls } else { 0 },
            entry: None,
            cached: false,
        });
    }
    w.run_pass(&mut jobs, 1)?;
    for (d, (j, s)) in drafts.iter_mut().zip(jobs.iter().zip(&segments)) {
        if let Some(e) = &j.entry {
            d.transcript = j.first.clone();
            d.from_cache = j.cached;
            evaluate(d, e, s);
        }
    }

    // Pass 2: grounding below the threshold, or an unusable reply.
    let mut jobs = Vec::new();
    let mut which = Vec::new();
    for (i, (d, s)) in drafts.iter().zip(&segments).enumerate() {
        if d.attempts == 0 {
            continue;
        }
        let names_top = grounding::names_strongest_trait(&d.grounding, s);
        let failures: Vec<String> = match (&d.persona, &d.reason) {
            // `llm.grounding_threshold = 0` turns the rewrite off (flagging stays).
            (Some(_), _)
                if opts.threshold > 0.0 && (d.grounding.flagged(opts.threshold) || !names_top) =>
            {
                // Contradictions first: they are what must change.
                let mut bad: Vec<&grounding::Claim> =
                    d.grounding.claims.iter().filter(|c| !c.supported).collect();
                bad.sort_by_key(|c| c.verdict != grounding::Verdict::Contradicted);
                let mut f: Vec<String> = bad
                    .iter()
                    .take(6)
                    .map(|c| {
                        format!(
                            "\"{}\" in {} is {}: {}",
                            c.claim,
                            c.field,
                            c.verdict.word(),
                            c.evidence
                        )
                    })
                    .collect();
                if !names_top {
                    f.extend(strongest_trait_note(s));
                }
                f
            }
            (None, Some(r)) => vec![format!("the reply could not be used: {r}")],
            _ => continue,
        };
        jobs.push(w.retry_job(s, &[], &d.transcript, &failures)?);
        which.push(i);
    }
    // At most half the personas are rewritten (unusable replies first, then the most
    // contradicted): the pass costs what pass 1 costs per persona, and a persona left as it
    // was stays flagged.
    let budget = retry_budget(drafts.len());
    if jobs.len() > budget {
        let rank = |i: usize| {
            let d = &drafts[i];
            (
                d.persona.is_some(),
                std::cmp::Reverse(d.grounding.contradicted),
                grounding::names_strongest_trait(&d.grounding, segments[i]),
                i,
            )
        };
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&n| rank(which[n]));
        order.truncate(budget);
        order.sort_unstable();
        let mut keep_jobs = Vec::with_capacity(budget);
        let mut keep_which = Vec::with_capacity(budget);
        for (n, (j, i)) in jobs.into_iter().zip(which).enumerate() {
            if order.binary_search(&n).is_ok() {
                keep_jobs.push(j);
                keep_which.push(i);
            } else {
                drafts[i]
                    .notes
                    .push("not rewritten: the rewrite pass takes at most half the personas".into());
            }
        }
        jobs = keep_jobs;
        which = keep_which;
    }
    if !jobs.is_empty() {
        w.run_pass(&mut jobs, 2)?;
        for (j, &i) in jobs.iter().zip(&which) {
            let Some(e) = &j.entry else { continue };
            let s = segments[i];
            let d = &mut drafts[i];
            d.from_cache &= j.cached;
            let old = (d.persona.clone(), d.grounding.clone(), d.reason.clone());
            d.transcript.push(j.first[j.first.len() - 1].clone());
            evaluate(d, e, s);
            let keep_old = match (&old.0, &d.persona) {
                (Some(_), Some(_)) => {
                    // Fewer contradictions first, then naming the strongest trait, then support.
                    let rank = |g: &Grounding| {
                        (
                            g.contradicted,
                            !grounding::names_strongest_trait(g, s),
                            -g.fraction,
                        )
                    };
                    rank(&old.1).partial_cmp(&rank(&d.grounding)) == Some(std::cmp::Ordering::Less)
                }
                (Some(_), None) => true,
                _ => false,
            };
            if keep_old {
                d.persona = old.0;
                d.grounding = old.1;
                d.reason = old.2;
                d.notes
                    .push("the retry grounded worse; the first persona is kept".into());
            } else {
                d.notes
                    .push("regenerated once: the first persona failed the grounding check".into());
            }
        }
    }

    // Pass 3: distinct, clean names.
    let banned: Vec<Vec<String>> = segments
        .iter()
        .map(|s| {
            let mut b = prompt::withheld_words(s);
            b.extend(prompt::shouted_words(s));
            b
        })
        .collect();
    let card_lines: Vec<Vec<String>> = segments
        .iter()
        .map(|s| prompt::card_facts(s, opts.max_traits))
        .collect();
    let copied = |text: &str, i: usize| {
        super::injected::copied_from_reviews(text, segments[i], &card_lines[i])
    };
    let bad_name = |name: &str, i: usize, names: &[(usize, String)]| -> Option<String> {
        if let Some(ph) = copied(name, i) {
            return Some(format!(
                "the name \"{name}\" repeats \"{ph}\" from customers' reviews"
            ));
        }
        let lower = name.to_lowercase();
        if let Some(b) = banned[i].iter().find(|b| {
            lower
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == b.as_str())
        }) {
            return Some(format!(
                "the name \"{name}\" borrows \"{b}\" from customer-written text"
            ));
        }
        names
            .iter()
            .find(|(j, n)| *j != i && n.eq_ignore_ascii_case(name.trim()))
            .map(|(j, _)| {
                format!(
                    "the name \"{name}\" is already used by segment {}",
                    segments[*j].id
                )
            })
    };
    let mut names: Vec<(usize, String)> = Vec::new();
    let mut rename = Vec::new();
    for (i, d) in drafts.iter().enumerate() {
        let Some(p) = &d.persona else { continue };
        let tagline = copied(&p.tagline, i).map(|ph| {
            format!(
                "the tagline repeats \"{ph}\" from customers' reviews; write it in your own words"
            )
        });
        match (bad_name(&p.name, i, &names), tagline) {
            (Some(why), None) | (None, Some(why)) => rename.push((i, why)),
            (Some(a), Some(b)) => rename.push((i, format!("{a}; {b}"))),
            (None, None) => names.push((i, p.name.trim().to_string())),
        }
    }
    if !rename.is_empty() {
        let mut jobs = Vec::new();
        for (i, why) in &rename {
            let s = segments[*i];
            let taken: Vec<String> = names.iter().map(|n| n.1.clone()).collect();
            jobs.push(w.retry_job(s, &taken, &drafts[*i].transcript, std::slice::from_ref(why))?);
        }
        w.run_pass(&mut jobs, 3)?;
        for (j, (i, why)) in jobs.iter().zip(&rename) {
            let d = &mut drafts[*i];
            d.from_cache &= j.cached;
            let reply = j.entry.as_ref().and_then(|e| Persona::parse(&e.reply).ok());
            let new_tagline = reply.as_ref().map(|p| p.tagline.clone());
            let new_name = reply.map(|p| p.name);
            if let Some(e) = &j.entry {
                d.attempts += 1;
                d.tokens += e.tokens;
                d.transcript.push(j.first[j.first.len() - 1].clone());
                d.transcript.extend(e.transcript.iter().cloned());
            }
            let Some(p) = d.persona.as_mut() else {
                continue;
            };
            if let Some(ph) = copied(&p.tagline, *i) {
                match new_tagline.filter(|t| !t.trim().is_empty() && copied(t, *i).is_none()) {
                    Some(t) => {
                        d.notes.push(format!(
                            "tagline rewritten: it repeated \"{ph}\" from customers' reviews"
                        ));
                        p.tagline = t;
                    }
                    None => {
                        p.tagline = super::fallback::persona(segments[*i], &[]).tagline;
                        d.injected = true;
                        d.notes.push(format!(
                            "tagline replaced by seglens: it repeated \"{ph}\" from customers' \
                             reviews, and so did the model's rewrite"
                        ));
                    }
                }
            }
            let old = p.name.clone();
            if copied(&old, *i).is_none() && bad_name(&old, *i, &names).is_none() {
                names.push((*i, old));
                continue;
            }
            let injected_name = copied(&old, *i).is_some();
            match new_name.filter(|n| bad_name(n, *i, &names).is_none()) {
                Some(n) => {
                    d.notes.push(format!("renamed from \"{old}\": {why}"));
                    p.name = n;
                }
                None => {
                    let mut n = persona::with_segment(&old, segments[*i].key());
                    if injected_name || bad_name(&n, *i, &names).is_some() {
                        n = format!("Segment {} Persona", segments[*i].key());
                    }
                    d.injected |= injected_name;
                    d.notes.push(format!(
                        "seglens renamed \"{old}\" to \"{n}\": {why}, and the model repeated it"
                    ));
                    p.name = n;
                }
            }
            names.push((*i, p.name.clone()));
        }
    }

    // Pass 4: names by contrast and vote.
    if opts.name_vote {
        w.name_by_vote(&mut drafts, &segments, &bad_name)?;
    }

    // Records, with the template where no model-written persona exists.
    let fallback_reason = match &w.model {
        ModelState::Failed(e) => Some(e.clone()),
        _ => None,
    };
    let mut taken: Vec<String> = drafts
        .iter()
        .filter_map(|d| d.persona.as_ref().map(|p| p.name.clone()))
        .collect();
    let mut personas = Vec::new();
    for (d, s) in drafts.into_iter().zip(&segments) {
        let d_injected = d.injected;
        let (persona, origin, mut notes, grounding) = match d.persona {
            Some(p) => (p, Origin::Model, d.notes, d.grounding),
            None => {
                let p = super::fallback::persona(s, &taken);
                taken.push(p.name.clone());
                let facts = grounding::facts_of(s, customers, k);
                let g = grounding::check(&p, s, &facts, &categories, opts.tolerance);
                let why = d
                    .reason
                    .clone()
                    .or_else(|| fallback_reason.clone())
                    .unwrap_or_else(|| "no model output".into());
                let mut notes = d.notes;
                notes.push(format!("not model-written: {why}"));
                (p, Origin::Template, notes, g)
            }
        };
        // A model that wrote junk is flagged even where the template took its place.
        let degenerate = origin == Origin::Template && notes.iter().any(|n| n.contains(DEGENERATE));
        let flagged = grounding.flagged(opts.threshold) || degenerate || d_injected;
        if grounding.contradicted > 0 {
            notes.push(format!(
                "{} claim(s) contradict the data: read them before using this persona",
                grounding.contradicted
            ));
        }
        if grounding.fraction < opts.threshold {
            notes.push(format!(
                "grounding {:.0}% is below the threshold of {:.0}%: read the unsupported claims",
                grounding.fraction * 100.0,
                opts.threshold * 100.0
            ));
        }
        personas.push(PersonaRecord {
            segment: s.id,
            key: s.key(),
            size: s.size,
            share: s.share,
            origin,
            written_by: match origin {
                Origin::Model => "model-written".into(),
                Origin::Template => "not model-written".into(),
            },
            persona,
            grounding,
            flagged,
            notes,
            attempts: d.attempts,
            from_cache: d.attempts > 0 && d.from_cache,
            tools: d.tools,
            transcript: d.transcript,
            generated_tokens: d.tokens,
        });
    }
    let (model_loaded, gpu_layers, threads, load_ms) = match &w.model {
        ModelState::Loaded(m) => (true, m.gpu_layers, m.threads, m.load_ms),
        _ => (false, 0, opts.threads, 0.0),
    };
    let meta = PersonaMeta {
        seglens_version: env!("CARGO_PKG_VERSION").to_string(),
        run_dir: data.dir.clone(),
        model: w.file.as_ref().map(|f| f.name.clone()).unwrap_or_else(|_| {
            if opts.model.is_empty() {
                super::DEFAULT_MODEL.into()
            } else {
                opts.model.clone()
            }
        }),
        model_path: w.file.as_ref().ok().map(|f| f.path.clone()),
        model_sha256: w.model_sha.clone(),
        model_loaded,
        fallback_reason,
        seed: opts.seed,
        prompt_hash: w.prompt_hash.clone(),
        sampling: opts.sampling.clone(),
        parallel: opts.parallel,
        threads,
        gpu_layers,
        tools: opts.tools,
        grounding_threshold: opts.threshold,
        tolerance: opts.tolerance,
        load_ms,
        wall_ms: start.elapsed().as_secs_f64() * 1000.0,
        tokens_per_s: w.stats.aggregate_tokens_per_s(),
        generation: w.stats.clone(),
        from_cache: w.from_cache,
    };
    Ok(PersonaRun { meta, personas })
}
