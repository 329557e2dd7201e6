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
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
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
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut counts: Vec<Vec<u64>> = Vec::new();
    // Per term and segment: (sum of sentiment, reviews with one).
    let mut tone: Vec<Vec<(f64, u32)>> = Vec::new();
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
        let mut seen: Vec<usize> = Vec::new();
        for term in terms_of(t) {
            let next = ids.len();
            let id = *ids.entry(term).or_insert(next);
            if id == counts.len() {
                counts.push(vec![0; k]);
                tone.push(vec![(0.0, 0); k]);
            }
            counts[id][s] += 1;
            if let Some(x) = sent {
                if !seen.contains(&id) {
                    seen.push(id);
                    tone[id][s].0 += x;
                    tone[id][s].1 += 1;
                }
            }
        }
    }
    let mut names = vec![String::new(); ids.len()];
    for (term, id) in ids {
        names[id] = term;
    }
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
}
