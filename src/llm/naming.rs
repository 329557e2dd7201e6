//! Names by contrast and vote (after Clio): the model proposes several names from what sets a
//! segment apart from its nearest segments, and a judge turn that is not told where a name came
//! from maps each candidate back to one of those segments. The name kept is the one mapped back
//! to its own segment most often; a persona's own name keeps its place on a tie.
//!
//! Owns the proposal and vote prompts' inputs, the candidates' grammar and the tally; the writer
//! runs the turns and applies the choice.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::engine::{choice_grammar, run_single, GenStats, Message, Sampling, Session, SingleTurn};
use super::prompt::{self, Card};
use super::LlmError;
use crate::profile::{Profiles, SegmentProfile};

/// Names the model proposes per segment, besides the persona's own.
pub const PROPOSALS: usize = 3;

/// Orders of the options each candidate is shown in (the second reverses the first, so a judge
/// that favours a position cannot favour the same segment twice).
pub const ORDERS: usize = 2;

const NAME_MIN: usize = 3;
const NAME_MAX: usize = super::persona::NAME_MAX;

/// JSON schema of the proposal reply.
pub fn proposal_schema() -> String {
    serde_json::json!({
        "type": "object",
        "properties": {
            "names": {
                "type": "array",
                "items": {"type": "string", "minLength": NAME_MIN, "maxLength": NAME_MAX},
                "minItems": PROPOSALS,
                "maxItems": PROPOSALS
            }
        },
        "required": ["names"],
        "additionalProperties": false
    })
    .to_string()
}

/// The proposal reply.
#[derive(Debug, Clone, Deserialize)]
pub struct Proposals {
    pub names: Vec<String>,
}

/// What a vote shows of one segment: its strongest traits, the category it over-buys most and
/// what its members write about, in the card's plain words. No persona text.
pub fn description(card: &Card) -> String {
    let mut parts: Vec<String> = card
        .traits
        .iter()
        .take(3)
        .map(|t| {
            format!(
                "{} ({} {} vs {} for everyone)",
                t.meaning, t.plain, t.mean, t.population
            )
        })
        .collect();
    if let Some(c) = card.categories.first() {
        parts.push(format!(
            "buys more {} ({}% of spend vs {}%)",
            c.name, c.share_pct, c.population_pct
        ));
    }
    if let Some(t) = &card.text {
        if !t.terms.is_empty() {
            let terms: Vec<&str> = t.terms.iter().take(3).map(String::as_str).collect();
            parts.push(format!("writes about {}", terms.join(", ")));
        }
    }
    if parts.is_empty() {
        parts.push("close to the shop's average on every feature".into());
    }
    parts.join("; ")
}

/// The segment and its `n` nearest neighbours, the segment first: the options of its votes.
pub fn contenders<'a>(
    p: &'a SegmentProfile,
    all: &'a Profiles,
    n: usize,
) -> Vec<&'a SegmentProfile> {
    let mut out = vec![p];
    for nb in prompt::neighbours(p, all, n) {
        if let Some(s) = all.segments.iter().find(|s| s.id == nb.id) {
            out.push(s);
        }
    }
    out
}

/// The orders in which the `n` contenders are shown, seeded per segment: a shuffle and its
/// reverse.
pub fn orders(n: usize, seed: u64, segment: i32) -> Vec<Vec<usize>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(
        seed ^ 0x6E61_6D65 ^ (segment as i64 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let mut first: Vec<usize> = (0..n).collect();
    first.shuffle(&mut rng);
    let mut second = first.clone();
    second.reverse();
    let mut out = vec![first];
    if n > 1 && ORDERS > 1 {
        out.push(second);
    }
    out
}

const VOTE_SYSTEM: &str = "You match a customer segment's name to the segment it describes. \
You are shown a numbered list of segments of an online shop, each by its figures, and one name. \
Reply with the number of the segment the name fits best, and nothing else.";

/// The vote's chat: the options in `order`, then the name. Everything before the name is the
/// same for every candidate of a segment, so the engine evaluates it once.
pub fn vote_messages(descriptions: &[String], order: &[usize], name: &str) -> Vec<Message> {
    let mut user = String::from("Segments:\n");
    for (shown, &i) in order.iter().enumerate() {
        user.push_str(&format!("{}. {}\n", shown + 1, descriptions[i]));
    }
    user.push_str(&format!(
        "\nName: \"{}\". Which segment does this name describe? Reply with its number.",
        name.trim()
    ));
    vec![
        Message::new("system", VOTE_SYSTEM),
        Message::new("user", user),
    ]
}

/// Every vote of one segment: each candidate in each order.
pub fn vote_turns(
    descriptions: &[String],
    orders: &[Vec<usize>],
    candidates: &[String],
) -> Vec<SingleTurn> {
    let mut out = Vec::new();
    for order in orders {
        for (c, name) in candidates.iter().enumerate() {
            out.push(SingleTurn::new(
                vote_messages(descriptions, order, name),
                choice_grammar(order.len()),
                4,
                c as u32,
            ));
        }
    }
    out
}

/// A candidate's result: how many of its votes went to its own segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub name: String,
    pub own: usize,
    pub votes: usize,
}

/// Tallies the replies of [`vote_turns`] (in that order): contender 0 is the own segment.
pub fn tally(candidates: &[String], orders: &[Vec<usize>], picks: &[Option<usize>]) -> Vec<Tally> {
    let mut out: Vec<Tally> = candidates
        .iter()
        .map(|n| Tally {
            name: n.clone(),
            own: 0,
            votes: 0,
        })
        .collect();
    for (o, order) in orders.iter().enumerate() {
        for (c, t) in out.iter_mut().enumerate() {
            let Some(pick) = picks.get(o * candidates.len() + c) else {
                continue;
            };
            t.votes += 1;
            if pick.and_then(|shown| order.get(shown)) == Some(&0) {
                t.own += 1;
            }
        }
    }
    out
}

/// The winner: most votes for its own segment; on a tie the earlier candidate (the persona's own
/// name is first). `None` when no candidate was mapped back at all.
pub fn choose(tallies: &[Tally]) -> Option<usize> {
    let best = tallies.iter().map(|t| t.own).max()?;
    if best == 0 {
        return None;
    }
    tallies.iter().position(|t| t.own == best)
}

/// The candidates of a segment: its persona's name first, then proposals that are new, the right
/// length and not rejected by `bad` (customers' words, names other segments hold).
pub fn candidates(own: &str, proposed: &[String], bad: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = vec![own.trim().to_string()];
    for p in proposed {
        let p = p.split_whitespace().collect::<Vec<_>>().join(" ");
        let words = p.split_whitespace().count();
        if !(1..=6).contains(&words)
            || p.chars().count() < NAME_MIN
            || out.iter().any(|o| o.eq_ignore_ascii_case(&p))
            || bad(&p)
        {
            continue;
        }
        out.push(p);
    }
    out
}

/// Replaces whole-word occurrences of the old name in persona text with the new one.
pub fn rename_in(text: &str, old: &str, new: &str) -> String {
    let old = old.trim();
    if old.is_empty() {
        return text.to_string();
    }
    let lower = text.to_lowercase();
    let needle = old.to_lowercase();
    if lower.len() != text.len() || needle.len() != old.len() {
        // Lower-casing changed byte offsets (some non-ASCII letters): exact matches only.
        return text.replace(old, new);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle).map(|i| i + from) {
        let end = at + needle.len();
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok && text.is_char_boundary(at) && text.is_char_boundary(end) {
            out.push_str(&text[last..at]);
            out.push_str(new);
            last = end;
        }
        from = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The system message of the proposal turn (the user message is `prompts/names.md`).
pub const PROPOSE_SYSTEM: &str = "You name customer segments of an online shop for marketers. \
A name says in 2 to 4 plain words what sets the segment apart most, so it cannot be mistaken for \
its nearest segments.";

/// Reply cap of a proposal turn (the grammar bounds it first).
pub const PROPOSAL_MAX_TOKENS: usize = 160;

/// Runs the proposal turns (one per segment, `None` where a segment gets none) and parses them;
/// an unusable reply proposes nothing.
pub fn propose(
    session: &mut Session<'_>,
    turns: Vec<Option<Vec<Message>>>,
    grammar: &str,
    sampling: &Sampling,
    seeds: &[u32],
) -> Result<(Vec<Vec<String>>, GenStats), LlmError> {
    let mut which = Vec::new();
    let mut asks = Vec::new();
    for (i, m) in turns.into_iter().enumerate() {
        if let Some(m) = m {
            which.push(i);
            asks.push(SingleTurn::new(
                m,
                grammar.to_string(),
                PROPOSAL_MAX_TOKENS,
                seeds.get(i).copied().unwrap_or(i as u32),
            ));
        }
    }
    let mut out = vec![Vec::new(); seeds.len().max(which.iter().max().map_or(0, |m| m + 1))];
    if asks.is_empty() {
        return Ok((out, GenStats::default()));
    }
    let stats = run_single(session, &mut asks, sampling)?;
    for (a, i) in asks.iter().zip(which) {
        if let Some(p) = a
            .reply
            .as_ref()
            .and_then(|r| serde_json::from_str::<Proposals>(&r.text).ok())
        {
            out[i] = p.names;
        }
    }
    Ok((out, stats))
}

/// One segment's vote: `candidates` (its persona's name first) against the descriptions of its
/// contenders (itself first), in every order; each order is one engine run, so the options are
/// evaluated once per order.
pub fn vote(
    session: &mut Session<'_>,
    descriptions: &[String],
    orders: &[Vec<usize>],
    candidates: &[String],
) -> Result<(Vec<Tally>, GenStats), LlmError> {
    let mut stats = GenStats::default();
    let mut picks = Vec::new();
    for order in orders {
        let mut turns = vote_turns(descriptions, std::slice::from_ref(order), candidates);
        stats.add(&run_single(session, &mut turns, &Sampling::greedy())?);
        picks.extend(turns.iter().map(SingleTurn::choice));
    }
    Ok((tally(candidates, orders, &picks), stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::engine::Reply;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_tally_counts_votes_for_the_own_segment_through_the_shown_order() {
        let cands = names(&["Own", "Other"]);
        // Contender 0 shown second in the first order, first in the reversed one.
        let orders = vec![vec![1, 0, 2], vec![2, 0, 1]];
        // Order 1: "Own" picks shown 2 (contender 0), "Other" picks shown 1 (contender 1).
        // Order 2: "Own" picks shown 2 (contender 0), "Other" picks shown 3 (contender 1).
        let picks = vec![Some(1), Some(0), Some(1), Some(2)];
        let t = tally(&cands, &orders, &picks);
        assert_eq!(t[0].own, 2);
        assert_eq!(t[1].own, 0);
        assert_eq!(t[0].votes, 2);
        assert_eq!(choose(&t), Some(0));
    }

    #[test]
    fn a_proposal_wins_only_with_more_votes_and_none_wins_with_none() {
        let t = |own: &[usize]| -> Vec<Tally> {
            own.iter()
                .enumerate()
                .map(|(i, &o)| Tally {
                    name: format!("n{i}"),
                    own: o,
                    votes: 2,
                })
                .collect()
        };
        assert_eq!(choose(&t(&[1, 1, 2])), Some(2));
        assert_eq!(choose(&t(&[1, 1, 0])), Some(0));
        assert_eq!(choose(&t(&[0, 0, 0])), None);
        assert_eq!(choose(&[]), None);
    }

    #[test]
    fn unusable_replies_count_as_votes_for_no_one() {
        let cands = names(&["Own"]);
        let orders = vec![vec![0, 1]];
        let t = tally(&cands, &orders, &[None]);
        assert_eq!((t[0].own, t[0].votes), (0, 1));
    }

    #[test]
    fn orders_are_seeded_and_the_second_reverses_the_first() {
        let o = orders(4, 7, 3);
        assert_eq!(o.len(), 2);
        let mut r = o[0].clone();
        r.reverse();
        assert_eq!(o[1], r);
        assert_eq!(o, orders(4, 7, 3));
        assert_eq!(orders(1, 7, 3).len(), 1);
    }

    #[test]
    fn candidates_keep_the_own_name_first_and_drop_repeats_and_bad_names() {
        let bad = |n: &str| n.to_lowercase().contains("zebra");
        let c = candidates(
            " Deal Seekers ",
            &names(&[
                "deal seekers",
                "Zebra Monarchs",
                "Lapsed  Big Spenders",
                "x",
            ]),
            &bad,
        );
        assert_eq!(c, names(&["Deal Seekers", "Lapsed Big Spenders"]));
    }

    #[test]
    fn the_vote_prompt_shares_everything_before_the_name() {
        let d = names(&["lapsing (days 300 vs 90)", "discounts (94% vs 30%)"]);
        let turns = vote_turns(&d, &[vec![1, 0]], &names(&["A", "B"]));
        assert_eq!(turns.len(), 2);
        let a = vote_messages(&d, &[1, 0], "A");
        let b = vote_messages(&d, &[1, 0], "B");
        let (ua, ub) = (&a[1].content, &b[1].content);
        let cut = ua.find("Name:").unwrap();
        assert_eq!(ua[..cut], ub[..cut]);
        assert!(ua.find("1. discounts").unwrap() < ua.find("2. lapsing").unwrap());
        let mut t = SingleTurn::new(a, choice_grammar(2), 4, 0);
        t.reply = Some(Reply {
            text: "2".into(),
            tokens: 1,
            complete: true,
            scores: vec![],
        });
        assert_eq!(t.choice(), Some(1));
    }

    #[test]
    fn the_old_name_is_replaced_as_a_whole_phrase() {
        assert_eq!(
            rename_in(
                "Budget Fans love deals. budget fans!",
                "Budget Fans",
                "Deal Seekers"
            ),
            "Deal Seekers love deals. Deal Seekers!"
        );
        assert_eq!(
            rename_in("Budget Fanship", "Budget Fans", "X"),
            "Budget Fanship"
        );
        assert_eq!(rename_in("text", "", "X"), "text");
    }

    fn card() -> Card {
        Card {
            id: 3,
            size: 120,
            share_pct: "12.0".into(),
            value_tiers: "high 80.0%".into(),
            rfm: "champions 50.0%".into(),
            traits: vec![prompt::CardTrait {
                name: "discount_share".into(),
                plain: "share of order lines with a discount".into(),
                mean: "94.0%".into(),
                population: "30.0%".into(),
                lift: None,
                direction: "higher",
                meaning: "buys on discount".into(),
            }],
            categories: vec![prompt::CardCategory {
                name: "kitchen".into(),
                share_pct: "40.0".into(),
                population_pct: "10.0".into(),
                lift: "4.00".into(),
            }],
            products: vec![],
            text: None,
        }
    }

    #[test]
    fn the_description_says_what_sets_the_segment_apart_without_persona_text() {
        let d = description(&card());
        assert_eq!(
            d,
            "buys on discount (share of order lines with a discount 94.0% vs 30.0% for everyone); \
             buys more kitchen (40.0% of spend vs 10.0%)"
        );
        let mut flat = card();
        flat.traits.clear();
        flat.categories.clear();
        assert!(description(&flat).contains("average"));
    }

    #[test]
    fn the_proposal_template_renders_the_card_neighbours_and_taken_names() {
        let p = prompt::Prompts::load(None).unwrap();
        let nb = vec![prompt::Neighbour {
            id: 5,
            size: 80,
            differences: vec!["net spend 430 vs 812 here".into()],
        }];
        let text = p
            .names(&card(), &nb, &["Lapsed Regulars".into()], PROPOSALS)
            .unwrap();
        for want in [
            "Segment 3",
            "buys on discount",
            "kitchen (40.0% of spend",
            "segment 5: net spend 430 vs 812 here",
            "Lapsed Regulars",
            "Propose 3 different names",
        ] {
            assert!(text.contains(want), "{want} missing from:\n{text}");
        }
    }

    #[test]
    fn the_proposal_schema_asks_for_exactly_the_proposals() {
        let v: serde_json::Value = serde_json::from_str(&proposal_schema()).unwrap();
        assert_eq!(v["properties"]["names"]["minItems"], PROPOSALS);
        assert_eq!(v["properties"]["names"]["maxItems"], PROPOSALS);
    }
}
