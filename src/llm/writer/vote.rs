//! Pass 4 of the writer: names by contrast and vote ([`crate::llm::naming`]). Proposals and
//! votes are one cached outcome per run, so a re-run with the same personas never loads the model.

use serde::{Deserialize, Serialize};

use super::{Draft, ModelState, PersonaEvent, Writer, WriterError};
use crate::llm::cache::{self, Entry};
use crate::llm::engine::{GenStats, Message, Session};
use crate::llm::naming::{self, Tally};
use crate::llm::persona::Persona;
use crate::llm::prompt;
use crate::profile::SegmentProfile;

/// Why segment `i` may not use a name, given the names the others hold (`None`: it may).
pub(super) type BadName<'a> = dyn Fn(&str, usize, &[(usize, String)]) -> Option<String> + 'a;

/// What the vote decided for one segment.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outcome {
    key: String,
    tallies: Vec<Tally>,
    chosen: Option<usize>,
}

/// Does the name alone contradict the data? (A name is a claim like any other.)
fn name_contradicts(w: &Writer<'_>, d: &Draft, s: &SegmentProfile, name: &str) -> bool {
    let p = Persona {
        name: name.to_string(),
        ..Persona::default()
    };
    super::grade(w.data, w.opts, &p, s, &d.extra_facts).contradicted > 0
}

impl Writer<'_> {
    /// Proposes names for every model-written persona, votes, and renames where a proposal maps
    /// back to its segment more often than the persona's own name. `bad` says why a name may not
    /// be used by segment `i` given the names others hold.
    pub(super) fn name_by_vote(
        &mut self,
        drafts: &mut [Draft],
        segments: &[&SegmentProfile],
        bad: &BadName<'_>,
    ) -> Result<(), WriterError> {
        let live: Vec<usize> = (0..drafts.len())
            .filter(|&i| drafts[i].persona.is_some())
            .collect();
        if live.len() < 2 {
            return Ok(());
        }
        let names: Vec<String> = live
            .iter()
            .filter_map(|&i| drafts[i].persona.as_ref().map(|p| p.name.clone()))
            .collect();
        let key = cache::key(&[
            "naming-v1",
            &self.data.fingerprint,
            self.model_sha.as_deref().unwrap_or(""),
            &self.prompt_hash,
            &self.opts.seed.to_string(),
            &serde_json::to_string(&self.opts.sampling).unwrap_or_default(),
            &self.opts.neighbours.to_string(),
            &names.join("\u{0}"),
        ]);
        let cached = if self.opts.fresh {
            None
        } else {
            self.cache
                .get(&key)
                .and_then(|e| serde_json::from_str::<Vec<Outcome>>(&e.reply).ok())
        };
        let outcomes = match cached {
            Some(o) => {
                self.from_cache += 1;
                o
            }
            None => {
                if !self.ensure_model() {
                    return Ok(());
                }
                let o = match self.vote_all(drafts, segments, &live, bad) {
                    Ok(o) => o,
                    Err(crate::llm::LlmError::Cancelled) => {
                        return Err(crate::llm::LlmError::Cancelled.into())
                    }
                    Err(e) => {
                        (self.events)(PersonaEvent::Warning(format!(
                            "naming by vote failed: {e}; the personas keep their names"
                        )));
                        return Ok(());
                    }
                };
                let entry = Entry {
                    key: key.clone(),
                    transcript: Vec::new(),
                    reply: serde_json::to_string(&o).unwrap_or_default(),
                    complete: true,
                    tokens: 0,
                };
                if let Err(e) = self.cache.put(&entry) {
                    (self.events)(PersonaEvent::Warning(format!(
                        "could not cache the name vote: {e}"
                    )));
                }
                for d in drafts.iter_mut() {
                    d.from_cache = false;
                }
                o
            }
        };
        for (o, &i) in outcomes.iter().zip(&live) {
            self.apply(&mut drafts[i], segments[i], o);
        }
        Ok(())
    }

    fn vote_all(
        &mut self,
        drafts: &[Draft],
        segments: &[&SegmentProfile],
        live: &[usize],
        bad: &BadName<'_>,
    ) -> Result<Vec<Outcome>, crate::llm::LlmError> {
        let ModelState::Loaded(llm) = &self.model else {
            return Ok(Vec::new());
        };
        let profiles = &self.data.profiles;
        let held: Vec<(usize, String)> = live
            .iter()
            .filter_map(|&i| drafts[i].persona.as_ref().map(|p| (i, p.name.clone())))
            .collect();
        (self.events)(PersonaEvent::Stage(format!(
            "naming {} segment(s): proposing names",
            live.len()
        )));
        let mut turns = Vec::new();
        let mut seeds = Vec::new();
        for &i in live {
            let s = segments[i];
            let card = prompt::card(s, self.opts.max_traits);
            let nb = prompt::neighbours(s, profiles, self.opts.neighbours);
            let taken: Vec<String> = held
                .iter()
                .filter(|(j, _)| *j != i)
                .map(|(_, n)| n.clone())
                .collect();
            let user = self
                .prompts
                .names(&card, &nb, &taken, naming::PROPOSALS)
                .map_err(|e| crate::llm::LlmError::Template(e.to_string()))?;
            turns.push(Some(vec![
                Message::new("system", naming::PROPOSE_SYSTEM),
                Message::new("user", user),
            ]));
            seeds.push(super::conv_seed(self.opts.seed, s.id, 4));
        }
        let grammar = llama_cpp_2::json_schema_to_grammar(&naming::proposal_schema())
            .map_err(|e| crate::llm::LlmError::Grammar(e.to_string()))?;
        let mut session = Session::new(
            llm,
            self.opts.parallel.clamp(1, naming::PROPOSALS + 1),
            self.opts.ctx_per_sequence,
        )?;
        session.cancel = self.opts.cancel.clone();
        let mut stats = GenStats::default();
        let (proposals, st) =
            naming::propose(&mut session, turns, &grammar, &self.opts.sampling, &seeds)?;
        stats.add(&st);
        (self.events)(PersonaEvent::Stage(format!(
            "naming {} segment(s): voting",
            live.len()
        )));
        let mut names = held.clone();
        let mut out = Vec::new();
        for (n, &i) in live.iter().enumerate() {
            let s = segments[i];
            let d = &drafts[i];
            let own = d
                .persona
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let others: Vec<(usize, String)> =
                names.iter().filter(|(j, _)| *j != i).cloned().collect();
            let reject =
                |name: &str| bad(name, i, &others).is_some() || name_contradicts(self, d, s, name);
            let cands = naming::candidates(&own, &proposals[n], &reject);
            let contenders = naming::contenders(s, profiles, self.opts.neighbours);
            let descriptions: Vec<String> = contenders
                .iter()
                .map(|c| naming::description(&prompt::card(c, self.opts.max_traits)))
                .collect();
            let orders = naming::orders(contenders.len(), self.opts.seed, s.id);
            let (tallies, st) = naming::vote(&mut session, &descriptions, &orders, &cands)?;
            stats.add(&st);
            let chosen = naming::choose(&tallies);
            if let Some(c) = chosen {
                if let Some(slot) = names.iter_mut().find(|(j, _)| *j == i) {
                    slot.1 = tallies[c].name.clone();
                }
            }
            out.push(Outcome {
                key: s.key(),
                tallies,
                chosen,
            });
        }
        self.stats.add(&stats);
        Ok(out)
    }

    fn apply(&self, d: &mut Draft, s: &SegmentProfile, o: &Outcome) {
        let Some(p) = d.persona.as_mut() else {
            return;
        };
        let votes = |t: &Tally| format!("\"{}\" {} of {}", t.name, t.own, t.votes);
        let summary: Vec<String> = o.tallies.iter().map(votes).collect();
        match o.chosen {
            Some(0) => d.notes.push(format!(
                "name kept by vote (votes for its own segment among its nearest: {})",
                summary.join(", ")
            )),
            Some(c) => {
                let old = p.name.clone();
                let new = o.tallies[c].name.clone();
                p.name = new.clone();
                p.tagline = naming::rename_in(&p.tagline, &old, &new);
                p.summary = naming::rename_in(&p.summary, &old, &new);
                d.notes.push(format!(
                    "renamed from \"{old}\" by vote (votes for its own segment among its nearest: {})",
                    summary.join(", ")
                ));
                self.regrade(d, s);
            }
            None => d.notes.push(format!(
                "no candidate name was matched back to this segment among its nearest ({}): the name may not say what sets it apart",
                summary.join(", ")
            )),
        }
    }
}
