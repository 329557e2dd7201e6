//! Terms that set a segment's texts apart: weighted log-odds with an informative Dirichlet prior
//! (Monroe, Colaresi & Quinn 2008) over words and two-word phrases, segment against everyone else.
//! Unlike raw frequency it does not crown words everyone uses, and unlike plain log-odds it does
//! not crown words seen twice.

use std::collections::HashMap;

/// Words too common to tell segments apart.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "been", "before", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had",
    "has", "have", "he", "her", "here", "him", "his", "how", "i", "i'm", "if", "in", "into", "is",
    "it", "it's", "its", "just", "me", "more", "my", "no", "not", "of", "on", "one", "only", "or",
    "our", "out", "over", "she", "so", "some", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "up", "very", "was", "we",
    "were", "what", "when", "which", "while", "who", "will", "with", "would", "you", "your",
    "it’s", "i’m", "get", "got", "bit", "really", "much", "even", "still", "well",
];

/// One distinguishing term of a segment.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Term {
    pub term: String,
    /// z-score of the log-odds ratio, segment vs the rest.
    pub z: f64,
    /// Occurrences in the segment's texts.
    pub count: u64,
    /// Mean sentiment (-1..1) of the segment's reviews that use the term: whether members
    /// praise or complain about it (None when no review with a sentiment uses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<f64>,
}

/// Words and two-word phrases of `text`, lower case, stop words dropped.
pub fn terms_of(text: &str) -> Vec<String> {
    terms_of_capped(text, usize::MAX)
}

/// [`terms_of`] over the first `max_words` words only.
fn terms_of_capped(text: &str, max_words: usize) -> Vec<String> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .take(max_words)
        .collect();
    let keep = |w: &str| !STOPWORDS.contains(&w) && !w.chars().all(|c| c.is_ascii_digit());
    let mut out = Vec::with_capacity(words.len() * 2);
    for (i, w) in words.iter().enumerate() {
        if keep(w) && w.chars().count() > 1 {
            out.push((*w).to_string());
        }
        if let Some(next) = words.get(i + 1) {
            if keep(w) && keep(next) {
                out.push(format!("{w} {next}"));
            }
        }
    }
    out
}

/// Most distinct terms counted at once. A shop's reviews use tens of thousands; beyond this
/// (random strings, a flood of unique tokens) the rarest are pruned, so memory stays bounded.
const MAX_TERMS: usize = 300_000;

/// Words read from one text: a longer text is cut here, so one huge review costs no more
/// than a long one.
const MAX_WORDS_PER_TEXT: usize = 2_000;

/// Counts of one term: per segment, with the tone of the reviews using it.
struct Tally {
    counts: Vec<u64>,
    /// Per segment: (sum of sentiment, reviews with one).
    tone: Vec<(f64, u32)>,
    /// The last text (index + 1) that counted towards `tone`, so a review counts once per term.
    last: usize,
}

/// Distinguishing terms per segment. `texts[i]` belongs to segment `segment[i]` (`None`: no
/// segment, e.g. noise) and has sentiment `sentiment[i]` (`None` for searches; missing entries
/// count as `None`); returns `k` lists, strongest first.
pub fn distinguishing(
    texts: &[&str],
    segment: &[Option<usize>],
    sentiment: &[Option<f64>],
    k: usize,
    top: usize,
    min_count: u64,
) -> Vec<Vec<Term>> {
    let tallies = tally(texts, segment, sentiment, k, MAX_TERMS);
    score(tallies, k, top, min_count)
}

/// Counts every term per segment, keeping at most `max_terms` distinct terms: when the table
/// is full, terms seen fewer than `floor` times are dropped and `floor` doubles until it holds
/// half. A term dropped and seen again starts over, so it is undercounted by less than the
/// floor it was dropped at (the Misra-Gries bound); terms that matter are seen far more often.
fn tally(
    texts: &[&str],
    segment: &[Option<usize>],
    sentiment: &[Option<f64>],
    k: usize,
    max_terms: usize,
) -> HashMap<String, Tally> {
    let mut table: HashMap<String, Tally> = HashMap::new();
    let mut floor = 2u64;
    for (i, (t, s)) in texts.iter().zip(segment).enumerate() {
        let Some(s) = *s else { continue };
        if s >= k {
            continue;
        }
        let sent = sentiment
            .get(i)
            .copied()
            .flatten()
            .filter(|x| x.is_finite());
        for term in terms_of_capped(t, MAX_WORDS_PER_TEXT) {
            let e = table.entry(term).or_insert_with(|| Tally {
                counts: vec![0; k],
                tone: vec![(0.0, 0); k],
                last: 0,
            });
            e.counts[s] += 1;
            if let Some(x) = sent {
                if e.last != i + 1 {
                    e.last = i + 1;
                    e.tone[s].0 += x;
                    e.tone[s].1 += 1;
                }
            }
        }
        while table.len() > max_terms {
            table.retain(|_, e| e.counts.iter().sum::<u64>() >= floor);
            if table.len() > max_terms / 2 {
                floor = floor.saturating_mul(2);
            }
        }
    }
    table
}

/// Scores the tallied terms segment against the rest.
fn score(table: HashMap<String, Tally>, k: usize, top: usize, min_count: u64) -> Vec<Vec<Term>> {
    let (names, tallies): (Vec<String>, Vec<Tally>) = table.into_iter().unzip();
    let counts: Vec<&Vec<u64>> = tallies.iter().map(|t| &t.counts).collect();
    let tone: Vec<&Vec<(f64, u32)>> = tallies.iter().map(|t| &t.tone).collect();
    let seg_tokens: Vec<f64> = (0..k)
        .map(|s| counts.iter().map(|c| c[s] as f64).sum())
        .collect();
    let all_tokens: f64 = seg_tokens.iter().sum();
    if all_tokens == 0.0 {
        return vec![Vec::new(); k];
    }
    // Prior strength: a modest number of pseudo-tokens, spread by overall frequency.
    let a0 = (all_tokens * 0.01).clamp(100.0, 10_000.0);
    (0..k)
        .map(|s| {
            let ns = seg_tokens[s];
            let nr = all_tokens - ns;
            let mut scored: Vec<Term> = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| c[s] >= min_count)
                .map(|(id, c)| {
                    let total: u64 = c.iter().sum();
                    let ys = c[s] as f64;
                    let yr = (total - c[s]) as f64;
                    let aw = a0 * total as f64 / all_tokens;
                    let ls = ((ys + aw) / (ns + a0 - ys - aw)).ln();
                    let lr = ((yr + aw) / (nr + a0 - yr - aw)).ln();
                    let var = 1.0 / (ys + aw) + 1.0 / (yr + aw);
                    let (sum, n) = tone[id][s];
                    Term {
                        term: names[id].clone(),
                        z: (ls - lr) / var.sqrt(),
                        count: c[s],
                        sentiment: (n > 0).then(|| sum / f64::from(n)),
                    }
                })
                .filter(|t| t.z > 1.96)
                .collect();
            scored.sort_by(|a, b| b.z.total_cmp(&a.z).then_with(|| a.term.cmp(&b.term)));
            drop_nested(scored, top)
        })
        .collect()
}

/// The first `top` terms, dropping a word when a stronger phrase containing it is already listed.
fn drop_nested(terms: Vec<Term>, top: usize) -> Vec<Term> {
    let mut kept: Vec<Term> = Vec::with_capacity(top);
    for t in terms {
        if kept.len() == top {
            break;
        }
        let inside = kept
            .iter()
            .any(|k| k.term.contains(' ') && k.term.split(' ').any(|w| w == t.term));
        if !inside {
            kept.push(t);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_skip_stopwords_and_make_phrases() {
        let t = terms_of("The fit is true to size, and the Linen Dress is great!");
        assert!(t.contains(&"linen dress".to_string()), "{t:?}");
        assert!(t.contains(&"fit".to_string()));
        assert!(!t.contains(&"the".to_string()));
    }

    #[test]
    fn segment_words_beat_shared_words() {
        let mut texts = Vec::new();
        let mut seg = Vec::new();
        for i in 0..60 {
            texts.push(if i % 2 == 0 {
                "great battery life and fast charging"
            } else {
                "great fabric and true to size"
            });
            seg.push(Some(i % 2));
        }
        let sent: Vec<Option<f64>> = (0..60)
            .map(|i| Some(if i % 2 == 0 { 0.8 } else { -0.5 }))
            .collect();
        let terms = distinguishing(&texts, &seg, &sent, 2, 5, 3);
        let first: Vec<&str> = terms[0].iter().map(|t| t.term.as_str()).collect();
        assert!(first.iter().any(|t| t.contains("battery")), "{first:?}");
        assert!(!first.contains(&"great"), "{first:?}");
        let second: Vec<&str> = terms[1].iter().map(|t| t.term.as_str()).collect();
        assert!(second.iter().any(|t| t.contains("fabric")), "{second:?}");
        // The tone of a term is that of the segment's reviews using it.
        let near = |t: &Term, x: f64| t.sentiment.is_some_and(|s| (s - x).abs() < 1e-9);
        assert!(terms[0].iter().all(|t| near(t, 0.8)), "{:?}", terms[0]);
        assert!(terms[1].iter().all(|t| near(t, -0.5)), "{:?}", terms[1]);
    }

    #[test]
    fn a_flood_of_unique_words_stays_bounded_and_keeps_the_real_terms() {
        // 4000 texts, each with 50 never-repeated tokens and one recurring phrase per segment.
        let texts: Vec<String> = (0..4000)
            .map(|i| {
                let junk: Vec<String> = (0..50).map(|j| format!("zq{i}x{j}")).collect();
                let real = if i % 2 == 0 {
                    "battery life"
                } else {
                    "soft fabric"
                };
                format!("{} {real}", junk.join(" "))
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let seg: Vec<Option<usize>> = (0..4000).map(|i| Some(i % 2)).collect();
        let table = tally(&refs, &seg, &[], 2, 1_000);
        assert!(table.len() <= 1_000, "{} terms held", table.len());
        // The recurring terms are never pruned and are counted exactly.
        assert_eq!(table["battery life"].counts, vec![2000, 0]);
        assert_eq!(table["soft fabric"].counts, vec![0, 2000]);
        let terms = score(table, 2, 3, 5);
        let words = |s: usize| -> Vec<String> { terms[s].iter().map(|t| t.term.clone()).collect() };
        assert!(
            words(0).contains(&"battery life".to_string()),
            "{:?}",
            words(0)
        );
        assert!(
            words(0).iter().all(|t| !t.starts_with("zq")),
            "{:?}",
            words(0)
        );
        assert!(
            words(1).contains(&"soft fabric".to_string()),
            "{:?}",
            words(1)
        );
    }

    #[test]
    fn a_huge_text_is_read_up_to_the_word_cap() {
        let long = "word ".repeat(MAX_WORDS_PER_TEXT * 3);
        let n = terms_of_capped(&long, MAX_WORDS_PER_TEXT)
            .iter()
            .filter(|t| *t == "word")
            .count();
        assert_eq!(n, MAX_WORDS_PER_TEXT);
    }
}
