//! Degenerate model text: a persona that parses as JSON but is not prose a marketer could read
//! (lists of figures, a phrase looping, symbols in place of words, the card or the instructions
//! copied back, a name that is a figure). Small models write these under pressure; the
//! grounding check would count their copied figures as supported and badge them.
//!
//! Each test reads a property of language, not of one model's habits: prose is mostly words,
//! words rarely repeat a three-word sequence, a name is made of words, and a persona restates
//! the card in its own words. The writer asks once more and then puts the template persona in
//! its place, flagged.

use std::collections::HashSet;

use super::persona::Persona;

/// Prose shorter than this (in words) is too short to judge on its shape.
const MIN_WORDS: usize = 8;
/// Most of a persona's prose must be words: above this share of figure or symbol tokens it is
/// a list, not prose.
const MAX_NON_WORD_SHARE: f64 = 0.4;
/// Fewer distinct word trigrams than this share of all: the text loops.
const MIN_DISTINCT_TRIGRAMS: f64 = 0.6;
/// A share of the prose's word 4-grams above this found in the card or the instructions: copied.
const MAX_COPIED_SHARE: f64 = 0.5;

/// Why `p` is degenerate, or `None` when it reads as prose. `source` is the text the model was
/// shown (the card and the instructions), which a persona must not hand back.
pub fn degenerate(p: &Persona, source: &str) -> Option<String> {
    if let Some(why) = bad_name(&p.name) {
        return Some(why);
    }
    let mut prose = vec![p.tagline.as_str(), p.summary.as_str()];
    prose.extend(p.motivations.iter().map(String::as_str));
    prose.extend(p.pain_points.iter().map(String::as_str));
    let text = prose.join(" . ");
    let tokens: Vec<&str> = text.split_whitespace().filter(|t| *t != ".").collect();
    if tokens.len() < MIN_WORDS {
        return Some(format!(
            "the persona says almost nothing ({} words outside its name)",
            tokens.len()
        ));
    }
    let non_words = tokens.iter().filter(|t| !is_word(t)).count();
    let share = non_words as f64 / tokens.len() as f64;
    if share > MAX_NON_WORD_SHARE {
        return Some(format!(
            "{:.0}% of the persona's text is figures or symbols, not words",
            share * 100.0
        ));
    }
    if let Some(unit) = looping_run(&text) {
        return Some(format!("the text repeats \"{unit}\" over and over"));
    }
    let all = words(&text);
    if all.len() >= 3 * MIN_WORDS / 2 {
        let grams: Vec<&[String]> = all.windows(3).collect();
        let distinct: HashSet<&[String]> = grams.iter().copied().collect();
        let ratio = distinct.len() as f64 / grams.len() as f64;
        if ratio < MIN_DISTINCT_TRIGRAMS {
            return Some(format!(
                "the text loops: only {:.0}% of its three-word phrases are distinct",
                ratio * 100.0
            ));
        }
    }
    let copied = copied_share(&text, source);
    if copied > MAX_COPIED_SHARE {
        return Some(format!(
            "{:.0}% of the persona repeats the card or the instructions word for word",
            copied * 100.0
        ));
    }
    None
}

/// A name must be words: it starts with a letter, carries a word of three letters or more and
/// is not a figure ("18.1% of customers").
fn bad_name(name: &str) -> Option<String> {
    let n = name.trim();
    let starts_with_letter = n.chars().next().is_some_and(char::is_alphabetic);
    let has_word = n
        .split(|c: char| !c.is_alphabetic())
        .any(|w| w.chars().count() >= 3);
    if !starts_with_letter || !has_word || n.contains('%') {
        return Some(format!("the name \"{n}\" is not made of words"));
    }
    None
}

/// Lower-case words (letters and inner apostrophes or hyphens), in order.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(str::to_lowercase)
        .collect()
}

/// Whether a whitespace token reads as a word: mostly letters, with a vowel or of a script
/// without Latin vowels, and of a sane length. Figures ("17.0%", "2.81x") and symbol runs
/// (`{.json(data)`) are not.
fn is_word(token: &str) -> bool {
    let t = token.trim_matches(|c: char| !c.is_alphanumeric());
    let n = t.chars().count();
    if n == 0 || n > 24 {
        return false;
    }
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    if letters * 10 < n * 8 {
        return false;
    }
    let latin = t.chars().all(|c| c.is_ascii() || !c.is_alphabetic());
    !latin || n <= 3 || t.chars().any(|c| "aeiouyAEIOUY".contains(c))
}

/// A unit of 1 to 12 characters repeated six or more times in a row ("n'n'n'", "1.1.1.1."),
/// the mark of a model that is looping.
fn looping_run(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    for unit in 1..=12usize {
        if chars.len() < unit * 6 {
            break;
        }
        let mut run = 0usize;
        for i in unit..chars.len() {
            if chars[i] == chars[i - unit] {
                run += 1;
                // `run` equal characters one unit apart: the unit repeats (run / unit + 1) times.
                if run >= unit * 5 {
                    let u: String = chars[i + 1 - unit..=i].iter().collect();
                    if u.trim().is_empty() {
                        run = 0;
                        continue;
                    }
                    return Some(u);
                }
            } else {
                run = 0;
            }
        }
    }
    None
}

/// Share of `text`'s word 4-grams that occur in `source`.
fn copied_share(text: &str, source: &str) -> f64 {
    let w = words(text);
    if w.len() < MIN_WORDS || source.is_empty() {
        return 0.0;
    }
    let s = words(source);
    let known: HashSet<&[String]> = s.windows(4).collect();
    let grams: Vec<&[String]> = w.windows(4).collect();
    let hit = grams.iter().filter(|g| known.contains(*g)).count();
    hit as f64 / grams.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persona(name: &str, summary: &str) -> Persona {
        Persona {
            name: name.into(),
            tagline: "Reliable shoppers who come back for the basics".into(),
            summary: summary.into(),
            motivations: vec!["They like a well-stocked pantry".into()],
            pain_points: vec!["Late deliveries annoy them".into()],
            ..Persona::default()
        }
    }

    #[test]
    fn prose_with_figures_passes() {
        let p = persona(
            "Weekly Grocery Regulars",
            "They order groceries about every 12 days, spend 812 vs 430 for everyone (1.89x) \
             and rarely return anything; their reviews praise fresh produce.",
        );
        assert_eq!(
            degenerate(&p, "monetary higher: 812.4 vs 430.0 (1.89x)"),
            None
        );
    }

    #[test]
    fn loops_lists_symbols_and_figure_names_are_caught() {
        let cases = [
            persona("Sushi", &"n'".repeat(40)),
            persona(
                "Sushi",
                "15.85, 0.56, 1.5, 1.2, 1.1, 0.5, 3, 1.1, 2, 2, 1.1, 1, 2, 3",
            ),
            persona("Sushi", &"{.json(data) {.json(data) ".repeat(6)),
            persona(
                "18.1% of customers",
                "They buy books and read a lot every week.",
            ),
            persona(
                "Sushi",
                &"the segment has set the segment as the segment of the shop ".repeat(3),
            ),
        ];
        for p in &cases {
            assert!(degenerate(p, "").is_some(), "{p:?}");
        }
    }

    #[test]
    fn a_copied_card_is_caught() {
        let card = "Segment 3 holds 912 customers. Most distinctive: they spend more on \
                    kitchen items than everyone else and order less often than everyone else.";
        let p = persona("Kitchen Fans", card);
        assert!(degenerate(&p, card).unwrap().contains("word for word"));
    }

    /// Replies recorded from the shipped models: SmolLM2-135M's junk and Qwen2.5-Coder-1.5B's
    /// prose (rebuilt from the labelled claims fixture), labelled by reading them.
    #[test]
    fn recorded_replies_are_told_apart() {
        let raw = include_str!("../../tests/fixtures/degenerate/replies.json");
        let cases: Vec<serde_json::Value> = serde_json::from_str(raw).unwrap();
        let (mut caught, mut junk, mut false_alarms) = (0, 0, Vec::new());
        for c in &cases {
            let p: Persona = serde_json::from_value(c["persona"].clone()).unwrap();
            let card: Vec<String> = serde_json::from_value(c["card"].clone()).unwrap();
            let verdict = degenerate(&p, &card.join("\n"));
            if c["degenerate"].as_bool().unwrap() {
                junk += 1;
                caught += usize::from(verdict.is_some());
            } else if let Some(why) = verdict {
                false_alarms.push(format!("{} {}: {why}", c["source"], c["key"]));
            }
        }
        eprintln!(
            "caught {caught} of {junk} degenerate replies, {} false alarms",
            false_alarms.len()
        );
        assert!(false_alarms.is_empty(), "{false_alarms:#?}");
        assert!(
            caught * 10 >= junk * 9,
            "caught {caught} of {junk} degenerate replies"
        );
    }
}
