//! Judge recovery: a local model reads one segment's card and every persona's name and summary,
//! shuffled, and picks the persona that describes the segment (one number, constrained by a
//! grammar). If personas say what their segments are, the judge finds the right one far more
//! often than chance (1/K).

use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::llm::engine::{Conversation, Message, Reply, Sampling, Session, TurnSpec};
use crate::llm::prompt::Card;
use crate::llm::{Llm, LlmError};

/// One question put to the judge: segment `segment`'s card, with the personas shown in `order`
/// (indices into the run's personas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    pub segment: usize,
    pub order: Vec<usize>,
}

/// `shuffles` trials per segment of `k`, each with its own seeded order of the personas.
pub fn trials(k: usize, shuffles: usize, seed: u64) -> Vec<Trial> {
    let mut out = Vec::with_capacity(k * shuffles);
    for segment in 0..k {
        for r in 0..shuffles {
            let mut rng = rand::rngs::StdRng::seed_from_u64(
                seed ^ ((segment as u64) << 32) ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let mut order: Vec<usize> = (0..k).collect();
            order.shuffle(&mut rng);
            out.push(Trial { segment, order });
        }
    }
    out
}

/// A grammar that admits exactly the numbers 1..=k.
pub fn grammar(k: usize) -> String {
    let alts: Vec<String> = (1..=k.max(1)).map(|i| format!("\"{i}\"")).collect();
    format!("root ::= {}\n", alts.join(" | "))
}

const SYSTEM: &str = "You match customer segments of an online shop to the personas written \
for them. You are shown one segment's figures and a numbered list of personas. Reply with the \
number of the persona that describes this segment best, and nothing else.";

/// The segment card in plain lines, without any persona text.
pub fn card_text(card: &Card) -> String {
    let mut s = format!(
        "Segment of {} customers ({}% of all).\n",
        card.size, card.share_pct
    );
    s.push_str(&format!(
        "Value tiers: {}. RFM: {}.\n",
        card.value_tiers, card.rfm
    ));
    if !card.traits.is_empty() {
        s.push_str("What sets it apart, strongest first:\n");
        for t in &card.traits {
            s.push_str(&format!(
                "- {}: {} {} vs {} for everyone\n",
                t.meaning, t.plain, t.mean, t.population
            ));
        }
    }
    if !card.categories.is_empty() {
        let c: Vec<String> = card
            .categories
            .iter()
            .map(|c| format!("{} {}% vs {}%", c.name, c.share_pct, c.population_pct))
            .collect();
        s.push_str(&format!("Categories it over-buys: {}.\n", c.join("; ")));
    }
    if let Some(t) = &card.text {
        if !t.terms.is_empty() {
            s.push_str(&format!(
                "What its members write about: {}.\n",
                t.terms.join(", ")
            ));
        }
    }
    s
}

/// The chat of one trial; `options[i]` is (name, summary) of persona i.
pub fn messages(card: &str, options: &[(String, String)], order: &[usize]) -> Vec<Message> {
    let mut user = format!("{card}\nPersonas:\n");
    for (shown, &i) in order.iter().enumerate() {
        let (name, summary) = &options[i];
        user.push_str(&format!(
            "{}. {}: {}\n",
            shown + 1,
            one_line(name, 60),
            one_line(summary, 400)
        ));
    }
    user.push_str("\nWhich persona describes this segment? Reply with its number.");
    vec![Message::new("system", SYSTEM), Message::new("user", user)]
}

fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(max).collect()
}

struct Ask {
    messages: Option<Vec<Message>>,
    grammar: String,
    reply: Option<String>,
    seed: u32,
}

impl Conversation for Ask {
    fn next_turn(&mut self) -> Option<(Vec<Message>, TurnSpec)> {
        let m = self.messages.take()?;
        Some((
            m,
            TurnSpec {
                grammar: self.grammar.clone(),
                max_tokens: 4,
            },
        ))
    }

    fn on_reply(&mut self, reply: Reply) {
        self.reply = Some(reply.text);
    }

    fn seed(&self) -> u32 {
        self.seed
    }
}

/// Runs every trial on `llm` (greedy decoding) and returns the persona index picked in each,
/// `None` where the reply was not a shown number.
pub fn run(
    llm: &Llm,
    cards: &[String],
    options: &[(String, String)],
    trials: &[Trial],
    parallel: usize,
    ctx_per_sequence: u32,
) -> Result<Vec<Option<usize>>, LlmError> {
    let k = options.len();
    let mut asks: Vec<Ask> = trials
        .iter()
        .enumerate()
        .map(|(i, t)| Ask {
            messages: Some(messages(&cards[t.segment], options, &t.order)),
            grammar: grammar(k),
            reply: None,
            seed: i as u32,
        })
        .collect();
    let sampling = Sampling {
        temperature: 0.0,
        top_k: 1,
        top_p: 1.0,
        min_p: 0.0,
        repeat_penalty: 1.0,
    };
    let mut session = Session::new(llm, parallel.max(1), ctx_per_sequence)?;
    let mut convs: Vec<&mut dyn Conversation> = asks
        .iter_mut()
        .map(|a| a as &mut dyn Conversation)
        .collect();
    session.run(&mut convs, &sampling)?;
    Ok(asks
        .iter()
        .zip(trials)
        .map(|(a, t)| {
            let shown: usize = a.reply.as_deref()?.trim().parse().ok()?;
            t.order.get(shown.checked_sub(1)?).copied()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_are_seeded_permutations() {
        let t = trials(5, 3, 7);
        assert_eq!(t.len(), 15);
        for x in &t {
            let mut o = x.order.clone();
            o.sort_unstable();
            assert_eq!(o, (0..5).collect::<Vec<_>>());
        }
        assert_eq!(t, trials(5, 3, 7));
        assert_ne!(t, trials(5, 3, 8));
        // Shuffles of one segment differ from each other.
        assert!(t[0].order != t[1].order || t[1].order != t[2].order);
    }

    #[test]
    fn grammar_admits_only_the_shown_numbers() {
        assert_eq!(grammar(3), "root ::= \"1\" | \"2\" | \"3\"\n");
        assert!(grammar(12).contains("\"12\""));
    }

    #[test]
    fn the_prompt_lists_personas_in_the_trial_order() {
        let opts = vec![
            ("Alpha".to_string(), "first".to_string()),
            ("Beta".to_string(), "second".to_string()),
        ];
        let m = messages("card", &opts, &[1, 0]);
        let user = &m[1].content;
        assert!(
            user.find("1. Beta").unwrap() < user.find("2. Alpha").unwrap(),
            "{user}"
        );
    }
}
