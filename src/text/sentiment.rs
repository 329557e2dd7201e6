//! Review sentiment from the text alone: a logistic regression on sentence embeddings, trained at
//! start-up on the labelled examples shipped in `sentiment_examples.tsv` (so it is the same on every
//! shop and honest to evaluate against the shop's own ratings).

/// The labelled examples: `label<TAB>text`, label 1 positive, 0 negative, 0.5 mixed.
pub const EXAMPLES: &str = include_str!("sentiment_examples.tsv");

/// The parsed examples, in file order.
pub fn examples() -> Vec<(f64, &'static str)> {
    EXAMPLES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (label, text) = l.split_once('\t')?;
            Some((label.trim().parse::<f64>().ok()?, text.trim()))
        })
        .collect()
}

/// A linear classifier on unit-length embeddings: p(positive) = sigmoid(w . x + b).
#[derive(Debug, Clone)]
pub struct SentimentModel {
    w: Vec<f64>,
    b: f64,
}

impl SentimentModel {
    /// Fits an L2-regularised logistic regression (soft labels allowed) by full-batch gradient
    /// descent; deterministic. `x` is `[n, dim]` row-major.
    pub fn fit(x: &[f32], dim: usize, labels: &[f64]) -> Self {
        let n = labels.len().max(1) as f64;
        let mut w = vec![0f64; dim];
        let mut b = 0f64;
        let (lr, l2) = (2.0, 1e-3);
        for _ in 0..600 {
            let mut gw = vec![0f64; dim];
            let mut gb = 0f64;
            for (row, &y) in x.chunks_exact(dim).zip(labels) {
                let z = row.iter().zip(&w).map(|(a, b)| *a as f64 * b).sum::<f64>() + b;
                let err = sigmoid(z) - y;
                for (g, a) in gw.iter_mut().zip(row) {
                    *g += err * *a as f64;
                }
                gb += err;
            }
            for (wi, g) in w.iter_mut().zip(&gw) {
                *wi -= lr * (g / n + l2 * *wi);
            }
            b -= lr * gb / n;
        }
        Self { w, b }
    }

    /// Sentiment of one embedding on -1 (negative) .. 1 (positive).
    pub fn score(&self, v: &[f32]) -> f64 {
        let z = v
            .iter()
            .zip(&self.w)
            .map(|(a, b)| *a as f64 * b)
            .sum::<f64>()
            + self.b;
        2.0 * sigmoid(z) - 1.0
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Sentiment on -1..1 from a 1-5 star rating.
pub fn from_rating(r: f64) -> f64 {
    ((r - 3.0) / 2.0).clamp(-1.0, 1.0)
}

/// A review counts as negative below this sentiment (a 2-star rating is -0.5).
pub const NEGATIVE_BELOW: f64 = -0.25;

/// How well text scores agree with star ratings on reviews that have both.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Agreement {
    /// Reviews with a rating (all scored from text too, for this comparison).
    pub rated: usize,
    /// Pearson correlation of text score and rating.
    pub correlation: f64,
    /// Among clearly rated reviews (4-5 stars or 1-2 stars): share where the text score has the
    /// same sign.
    pub polar_accuracy: f64,
    pub polar_reviews: usize,
}

/// Compares `text` scores with `ratings` (pairs with a rating only).
pub fn agreement(text: &[f64], ratings: &[Option<f64>]) -> Option<Agreement> {
    let pairs: Vec<(f64, f64)> = text
        .iter()
        .zip(ratings)
        .filter_map(|(t, r)| r.map(|r| (*t, r)))
        .collect();
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mt, mr) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = pairs.iter().map(|(t, r)| (t - mt) * (r - mr)).sum();
    let vt: f64 = pairs.iter().map(|(t, _)| (t - mt).powi(2)).sum();
    let vr: f64 = pairs.iter().map(|(_, r)| (r - mr).powi(2)).sum();
    let correlation = if vt > 0.0 && vr > 0.0 {
        cov / (vt * vr).sqrt()
    } else {
        0.0
    };
    let polar: Vec<(f64, f64)> = pairs
        .iter()
        .copied()
        .filter(|(_, r)| *r >= 4.0 || *r <= 2.0)
        .collect();
    let hits = polar
        .iter()
        .filter(|(t, r)| (*t >= 0.0) == (*r >= 4.0))
        .count();
    Some(Agreement {
        rated: pairs.len(),
        correlation,
        polar_accuracy: if polar.is_empty() {
            0.0
        } else {
            hits as f64 / polar.len() as f64
        },
        polar_reviews: polar.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_parse_and_are_balanced() {
        let ex = examples();
        let pos = ex.iter().filter(|e| e.0 == 1.0).count();
        let neg = ex.iter().filter(|e| e.0 == 0.0).count();
        assert!(pos >= 20 && neg >= 20, "{pos} positive, {neg} negative");
    }

    #[test]
    fn logistic_regression_separates_a_toy_problem() {
        // Two clusters on the first axis.
        let x: Vec<f32> = vec![1.0, 0.1, 0.9, -0.1, -1.0, 0.0, -0.8, 0.2];
        let m = SentimentModel::fit(&x, 2, &[1.0, 1.0, 0.0, 0.0]);
        assert!(m.score(&[1.0, 0.0]) > 0.5);
        assert!(m.score(&[-1.0, 0.0]) < -0.5);
    }

    #[test]
    fn agreement_counts_signs() {
        let a = agreement(
            &[0.8, -0.6, 0.3, -0.2],
            &[Some(5.0), Some(1.0), Some(2.0), None],
        )
        .unwrap();
        assert_eq!(a.rated, 3);
        assert_eq!(a.polar_reviews, 3);
        assert!((a.polar_accuracy - 2.0 / 3.0).abs() < 1e-12);
    }
}
