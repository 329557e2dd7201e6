//! Judge recovery: which persona does a local model say was written for a segment's card? If
//! personas say what their segments are, the judge finds the right one far more often than
//! chance (1/K). Two methods:
//!
//! - [`Method::Pairs`] (the default): the judge reads the card and one persona at a time and
//!   answers yes or no; its margin (logit of "yes" minus "no") fills a K x K matrix. Each
//!   persona's column is centred (some personas are accepted for anything), and each segment's
//!   pick is the persona with the largest centred margin. No list, so no order to favour.
//! - [`Method::List`]: the judge reads the card and every persona's name and summary in a seeded
//!   shuffled list and answers with one number (constrained by a grammar). Small models favour
//!   positions: on the demo the 1.5B demo model picked the 5th of 7 places in 12 of 21 trials.

use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::llm::engine::{choice_grammar, run_single, Message, Sampling, Session, SingleTurn};
use crate::llm::prompt::Card;
use crate::llm::{Llm, LlmError};

/// How the judge is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Pairs,
    List,
}

impl Method {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pairs" => Some(Self::Pairs),
            "list" => Some(Self::List),
            _ => None,
        }
    }
}

const PAIR_SYSTEM: &str = "You check whether a persona was written for a customer segment of \
an online shop. You are shown the segment's figures and one persona. Answer yes if the persona \
describes what sets this segment apart, no otherwise.";

/// The chat of one pair: the card first (shared by every persona judged against it), then the
/// persona.
pub fn pair_messages(card: &str, name: &str, summary: &str) -> Vec<Message> {
    let persona = if name.is_empty() {
        one_line(summary, 400)
    } else {
        format!("{}: {}", one_line(name, 60), one_line(summary, 400))
    };
    let user = format!(
        "{card}\nPersona: {persona}\n\nWas this persona written for this segment? Answer yes or no."
    );
    vec![
        Message::new("system", PAIR_SYSTEM),
        Message::new("user", user),
    ]
}

/// Each segment's pick from the judge's margins (`margins[s][j]`: segment s's card against
/// persona j): the persona with the largest margin once each persona's mean margin over all
/// cards is taken away. Ties go to the lower index; a row without a finite margin picks nothing.
pub fn pair_picks(margins: &[Vec<f64>]) -> Vec<Option<usize>> {
    let k = margins.len();
    let cols = margins.first().map_or(0, Vec::len);
    let mean: Vec<f64> = (0..cols)
        .map(|j| {
            let v: Vec<f64> = margins
                .iter()
                .filter_map(|r| r.get(j).copied())
                .filter(|x| x.is_finite())
                .collect();
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect();
    (0..k)
        .map(|s| {
            let mut best: Option<(usize, f64)> = None;
            for (j, &m) in margins[s].iter().enumerate() {
                if !m.is_finite() {
                    continue;
                }
                let c = m - mean[j];
                if best.is_none_or(|(_, b)| c > b) {
                    best = Some((j, c));
                }
            }
            best.map(|b| b.0)
        })
        .collect()
}

/// Runs every (card, persona) pair on `llm`; returns the margins `[segment][persona]`
/// (`NaN` where the judge gave no scores).
pub fn run_pairs(
    llm: &Llm,
    cards: &[String],
    options: &[(String, String)],
    parallel: usize,
    ctx_per_sequence: u32,
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<Vec<f64>>, LlmError> {
    let mut session = Session::new(llm, parallel.max(1), ctx_per_sequence)?;
    let mut out = Vec::with_capacity(cards.len());
    for (s, card) in cards.iter().enumerate() {
        progress(s, cards.len());
        let mut asks: Vec<SingleTurn> = options
            .iter()
            .enumerate()
            .map(|(j, (name, summary))| {
                SingleTurn::new(
                    pair_messages(card, name, summary),
                    "root ::= \"yes\" | \"no\"\n".to_string(),
                    2,
                    j as u32,
                )
                .scoring(&["yes", "no"])
            })
            .collect();
        run_single(&mut session, &mut asks, &Sampling::greedy())?;
        out.push(
            asks.iter()
                .map(|a| match a.reply.as_ref().map(|r| r.scores.as_slice()) {
                    Some([y, n]) if y.is_finite() && n.is_finite() => f64::from(*y - *n),
                    _ => f64::NAN,
                })
                .collect(),
        );
    }
    progress(cards.len(), cards.len());
    Ok(out)
}

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
        if name.is_empty() {
            user.push_str(&format!("{}. {}\n", shown + 1, one_line(summary, 400)));
        } else {
            user.push_str(&format!(
                "{}. {}: {}\n",
                shown + 1,
                one_line(name, 60),
                one_line(summary, 400)
            ));
        }
    }
    user.push_str("\nWhich persona describes this segment? Reply with its number.");
    vec![Message::new("system", SYSTEM), Message::new("user", user)]
}

fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(max).collect()
}

/// Runs every trial on `llm` (greedy decoding) and returns the persona index picked in each,
/// `None` where the reply was not a shown number. The trials of one segment run together, so
/// its card (the start of every one of its prompts) is evaluated once.
pub fn run(
    llm: &Llm,
    cards: &[String],
    options: &[(String, String)],
    trials: &[Trial],
    parallel: usize,
    ctx_per_sequence: u32,
) -> Result<Vec<Option<usize>>, LlmError> {
    let k = options.len();
    let mut session = Session::new(llm, parallel.max(1), ctx_per_sequence)?;
    let mut picks = vec![None; trials.len()];
    for segment in 0..cards.len() {
        let idx: Vec<usize> = (0..trials.len())
            .filter(|&i| trials[i].segment == segment)
            .collect();
        let mut asks: Vec<SingleTurn> = idx
            .iter()
            .map(|&i| {
                let t = &trials[i];
                SingleTurn::new(
                    messages(&cards[t.segment], options, &t.order),
                    choice_grammar(k),
                    4,
                    i as u32,
                )
            })
            .collect();
        if asks.is_empty() {
            continue;
        }
        run_single(&mut session, &mut asks, &Sampling::greedy())?;
        for (a, &i) in asks.iter().zip(&idx) {
            picks[i] = a.choice().and_then(|c| trials[i].order.get(c).copied());
        }
    }
    Ok(picks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_picks_centre_each_persona_before_picking() {
        // Persona 2 is accepted for everything; centred, each card still finds its own.
        let m = vec![
            vec![2.0, -1.0, 3.0],
            vec![-1.0, 2.0, 3.0],
            vec![-1.0, -1.0, 5.0],
        ];
        assert_eq!(pair_picks(&m), vec![Some(0), Some(1), Some(2)]);
        // Without centring persona 2 would win every row.
        let raw_argmax: Vec<usize> = m
            .iter()
            .map(|r| (0..3).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap())
            .collect();
        assert_eq!(raw_argmax, vec![2, 2, 2]);
    }

    #[test]
    fn swapped_personas_score_about_chance_with_pairs() {
        use rand::Rng;
        // A judge that recognises each segment's own persona, then the personas shuffled
        // against the segments: recovery falls from all to about 1/K.
        let k = 8;
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let good: Vec<Vec<f64>> = (0..k)
            .map(|s| {
                (0..k)
                    .map(|j| if s == j { 3.0 } else { 0.0 } + rng.gen_range(-0.5..0.5))
                    .collect()
            })
            .collect();
        let right = |picks: &[Option<usize>], truth: &[usize]| {
            picks
                .iter()
                .zip(truth)
                .filter(|(p, t)| **p == Some(**t))
                .count()
        };
        let id: Vec<usize> = (0..k).collect();
        assert_eq!(right(&pair_picks(&good), &id), k);
        let mut hits = 0;
        let rounds = 200;
        for _ in 0..rounds {
            let mut perm: Vec<usize> = (0..k).collect();
            perm.shuffle(&mut rng);
            // Persona j is now written for segment perm[j]; the truth stays "segment s's own
            // persona is column s".
            let swapped: Vec<Vec<f64>> = (0..k)
                .map(|s| (0..k).map(|j| good[s][perm[j]]).collect())
                .collect();
            hits += right(&pair_picks(&swapped), &id);
        }
        let acc = hits as f64 / (rounds * k) as f64;
        assert!((acc - 1.0 / k as f64).abs() < 0.05, "{acc}");
    }

    #[test]
    fn a_pair_prompt_puts_the_card_before_the_persona() {
        let m = pair_messages("CARD", "Deal Seekers", "They buy on discount.");
        let u = &m[1].content;
        assert!(u.starts_with("CARD\n"), "{u}");
        assert!(u.contains("Persona: Deal Seekers: They buy on discount."));
        assert!(pair_messages("CARD", "", "plain")
            .iter()
            .any(|x| x.content.contains("Persona: plain")));
    }

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
        assert_eq!(choice_grammar(3), "root ::= \"1\" | \"2\" | \"3\"\n");
        assert!(choice_grammar(12).contains("\"12\""));
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
