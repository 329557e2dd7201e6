//! What customers write: their reviews and search queries, embedded with the local model, turned
//! into a per-customer text vector, review sentiment features, the text block that joins the
//! behaviour features in clustering, and per-segment text insight for profiles.
//!
//! - **Customer text vector:** the mean of the unit vectors of all the customer's texts (each review
//!   once, each search as often as it was searched, so repeated interests weigh more), normalised
//!   again. No recency weighting: reviews are few per customer and old ones still say who they are.
//! - **Text block:** what texts say beyond behaviour: the residual of a ridge regression of the text
//!   vectors on the behaviour columns, reduced to its leading principal components.
//! - **No text:** customers without any text get a `has_text = 0` flag and sit at 0 in the block,
//!   which is exactly what their behaviour predicts: neutral given what is known. Had the raw text
//!   vectors been used, any shared point (the mean, or zero) would form a segment of its own as soon
//!   as text carries weight. Customers with only a few texts are shrunk toward 0 by one
//!   pseudo-text.
//! - **Sentiment:** the star rating where there is one ((r - 3) / 2), else the text classifier of
//!   [`sentiment`].

pub mod sentiment;
pub mod terms;

use std::collections::HashMap;
use std::path::PathBuf;

use ndarray::{Array2, ArrayView2};
use polars::prelude::*;

use crate::cluster::pca::top_components;
use crate::data::Shop;
use crate::embed::{self, Cache, EmbedError, EmbedOptions, EmbedProgress, EmbedStats, Embedder};
use crate::features::{Feature, Transform};
pub use sentiment::Agreement;
pub use terms::Term;

/// Failures of the text stage.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("reading texts failed: {0}")]
    Polars(#[from] PolarsError),
}

/// How to run the text stage.
#[derive(Debug, Clone)]
pub struct TextOptions {
    pub embed: EmbedOptions,
    /// Folder of the embedding cache; `None` disables it.
    pub cache_dir: Option<PathBuf>,
}

/// One review with its sentiment.
#[derive(Debug, Clone)]
pub struct Review {
    /// Row of the customer in the feature table.
    pub customer: usize,
    pub text: String,
    pub rating: Option<f64>,
    /// -1..1: from the rating where present, else from the text.
    pub sentiment: f64,
    /// Sentiment from the text classifier, for every review.
    pub text_sentiment: f64,
}

/// The text stage's results for one shop.
pub struct TextAnalysis {
    pub dim: usize,
    /// `[customers, dim]` row-major: unit-length mean text vector, zero rows without text.
    pub customer_vectors: Vec<f32>,
    pub has_text: Vec<bool>,
    /// Texts (reviews + searches) behind each customer's vector.
    pub text_counts: Vec<u32>,
    pub reviews: Vec<Review>,
    /// `[reviews, dim]` row-major.
    pub review_vectors: Vec<f32>,
    /// (customer row, query) of every search with a query.
    pub queries: Vec<(usize, String)>,
    /// (customer row, sentiment from stars) of reviews with a rating and no text.
    pub star_only: Vec<(usize, f64)>,
    pub summary: TextSummary,
}

/// What the text stage did, for run.json and the terminal.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct TextSummary {
    pub model: String,
    pub model_fingerprint: String,
    pub device: String,
    pub reviews: usize,
    pub searches: usize,
    pub customers_with_text: usize,
    pub share_without_text: f64,
    /// Reviews without a rating, scored from their text.
    pub sentiment_from_text: usize,
    /// Text sentiment against star ratings, on reviews that have both.
    pub sentiment_agreement: Option<Agreement>,
    /// Embedding throughput and cache use.
    pub embedding: EmbedStats,
    /// Share of the text vectors' variance kept by the text block, when used for clustering.
    pub block_explained: Option<f64>,
    pub block_weight: f64,
}

fn str_col(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    Ok(c.str()?
        .into_iter()
        .map(|s| s.map(str::to_string))
        .collect())
}

/// Row of each customer id in the feature table.
fn row_index(customer_ids: &[String]) -> HashMap<&str, usize> {
    customer_ids
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect()
}

/// What a shop's customers wrote, by feature-table row.
#[derive(Debug, Default)]
pub struct ShopTexts {
    /// (customer row, text, rating) of reviews with non-blank text.
    pub reviews: Vec<(usize, String, Option<f64>)>,
    /// (customer row, query) of searches with a non-blank query.
    pub queries: Vec<(usize, String)>,
    /// (customer row, rating) of reviews with stars and no text: they count for sentiment.
    pub star_only: Vec<(usize, f64)>,
}

/// Reads the shop's reviews and search queries in one pass over each table.
pub fn collect(shop: &Shop, customer_ids: &[String]) -> PolarsResult<ShopTexts> {
    let index = row_index(customer_ids);
    let mut out = ShopTexts::default();
    if let Some(rv) = &shop.reviews {
        let ids = str_col(rv, "customer_id")?;
        let texts = str_col(rv, "text")?;
        let ratings: Vec<Option<f64>> = match rv.column("rating") {
            Ok(c) => c.cast(&DataType::Float64)?.f64()?.into_iter().collect(),
            Err(_) => vec![None; rv.height()],
        };
        for ((id, text), rating) in ids.into_iter().zip(texts).zip(ratings) {
            let Some(&row) = id.as_deref().and_then(|id| index.get(id)) else {
                continue;
            };
            let rating = rating.filter(|r| r.is_finite());
            match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => out.reviews.push((row, t.to_string(), rating)),
                None => out.star_only.extend(rating.map(|r| (row, r))),
            }
        }
    }
    if let Some(ev) = &shop.events {
        if ev.column("query").is_ok() {
            let ids = str_col(ev, "customer_id")?;
            let qs = str_col(ev, "query")?;
            for (id, q) in ids.into_iter().zip(qs) {
                let Some(&row) = id.as_deref().and_then(|id| index.get(id)) else {
                    continue;
                };
                if let Some(q) = q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                    out.queries.push((row, q.to_string()));
                }
            }
        }
    }
    Ok(out)
}

/// Embeds the shop's texts and derives customer vectors and review sentiment.
/// Returns `None` when the shop has no review or search text at all.
pub fn analyse(
    shop: &Shop,
    customer_ids: &[String],
    opts: &TextOptions,
    progress: &dyn Fn(EmbedProgress),
    note: &dyn Fn(String),
) -> Result<Option<TextAnalysis>, TextError> {
    let ShopTexts {
        reviews: raw_reviews,
        queries,
        star_only,
    } = collect(shop, customer_ids)?;
    if raw_reviews.is_empty() && queries.is_empty() {
        return Ok(None);
    }
    let embedder = Embedder::load(&opts.embed)?;
    let dim = embedder.dim();
    let mut cache = match &opts.cache_dir {
        Some(dir) => match Cache::open(&embedder.cache_path(dir), dim) {
            Ok(c) => Some(c),
            Err(e) => {
                note(format!("embedding without the cache: {e}"));
                None
            }
        },
        None => None,
    };

    let mut texts: Vec<&str> = Vec::with_capacity(raw_reviews.len() + queries.len());
    texts.extend(raw_reviews.iter().map(|r| r.1.as_str()));
    texts.extend(queries.iter().map(|q| q.1.as_str()));
    let (vectors, stats) = embedder.embed_cached(&texts, cache.as_mut(), progress)?;
    if let Some(w) = &stats.cache_warning {
        note(w.clone());
    }

    let n_rev = raw_reviews.len();
    let n_q = queries.len();
    let examples = sentiment::examples();
    let example_texts: Vec<&str> = examples.iter().map(|e| e.1).collect();
    let (ex_vecs, _) = embedder.embed(&example_texts, &|_| {})?;
    let labels: Vec<f64> = examples.iter().map(|e| e.0).collect();
    let model = sentiment::SentimentModel::fit(&ex_vecs, dim, &labels);

    let n = customer_ids.len();
    let mut sums = vec![0f32; n * dim];
    let mut counts = vec![0u32; n];
    let owners = raw_reviews
        .iter()
        .map(|r| r.0)
        .chain(queries.iter().map(|q| q.0));
    for (i, owner) in owners.enumerate() {
        let v = vectors.of(i);
        for (s, x) in sums[owner * dim..(owner + 1) * dim].iter_mut().zip(v) {
            *s += x;
        }
        counts[owner] += 1;
    }
    for row in sums.chunks_exact_mut(dim) {
        embed::bert::normalise(row);
    }
    let has_text: Vec<bool> = counts.iter().map(|&c| c > 0).collect();

    let mut reviews = Vec::with_capacity(n_rev);
    let mut from_text = 0;
    for (i, (customer, text, rating)) in raw_reviews.into_iter().enumerate() {
        let text_sentiment = model.score(vectors.of(i));
        let sentiment = match rating {
            Some(r) => sentiment::from_rating(r),
            None => {
                from_text += 1;
                text_sentiment
            }
        };
        reviews.push(Review {
            customer,
            text,
            rating,
            sentiment,
            text_sentiment,
        });
    }
    let agreement = sentiment::agreement(
        &reviews.iter().map(|r| r.text_sentiment).collect::<Vec<_>>(),
        &reviews.iter().map(|r| r.rating).collect::<Vec<_>>(),
    );
    let with_text = has_text.iter().filter(|&&h| h).count();
    let summary = TextSummary {
        model: opts.embed.model_dir.display().to_string(),
        model_fingerprint: embedder.fingerprint().to_string(),
        device: embedder.device_name().to_string(),
        reviews: reviews.len(),
        searches: n_q,
        customers_with_text: with_text,
        share_without_text: if n == 0 {
            0.0
        } else {
            (n - with_text) as f64 / n as f64
        },
        sentiment_from_text: from_text,
        sentiment_agreement: agreement,
        embedding: stats,
        block_explained: None,
        block_weight: 0.0,
    };
    let star_only: Vec<(usize, f64)> = star_only
        .into_iter()
        .map(|(c, r)| (c, sentiment::from_rating(r)))
        .collect();
    let review_vectors: Vec<f32> = (0..n_rev)
        .flat_map(|i| vectors.of(i).iter().copied())
        .collect();
    Ok(Some(TextAnalysis {
        dim,
        customer_vectors: sums,
        has_text,
        text_counts: counts,
        reviews,
        review_vectors,
        queries,
        star_only,
        summary,
    }))
}

/// Summary line of an embedding run, for the terminal.
pub fn stats_line(s: &EmbedStats) -> String {
    if s.texts == 0 {
        "no texts to embed".to_string()
    } else if s.embedded == 0 {
        format!(
            "{} texts ({} distinct): all {} found in the embedding cache, nothing embedded",
            s.texts, s.distinct, s.cached
        )
    } else {
        format!(
            "{} texts ({} distinct, {} cached): embedded {} in {:.1} s, {:.0} texts/s, {:.0} tokens/s",
            s.texts,
            s.distinct,
            s.cached,
            s.embedded,
            s.seconds, s.texts_per_s, s.tokens_per_s
        )
    }
}

/// One line on what the text stage read and how it was used, for the terminal summary.
pub fn summary_line(t: &TextSummary) -> String {
    let mut s = format!(
        "texts: {} reviews and {} searches; {:.1}% of customers wrote or searched nothing",
        t.reviews,
        t.searches,
        t.share_without_text * 100.0
    );
    if t.block_weight > 0.0 {
        s += &format!("; text weight {}", t.block_weight);
    } else {
        s += "; clustered on behaviour only";
    }
    if let Some(a) = t
        .sentiment_agreement
        .as_ref()
        .filter(|a| a.polar_reviews > 0)
    {
        s += &format!(
            "; text sentiment agrees with the stars on {:.0}% of clearly rated reviews (r = {:.2}), \
             and scored {} reviews without stars",
            a.polar_accuracy * 100.0,
            a.correlation,
            t.sentiment_from_text
        );
    }
    s
}

impl TextAnalysis {
    /// Review sentiment features: mean sentiment and share of negative reviews (missing without
    /// reviews; the review count is their support, so scaling shrinks one-review customers), and
    /// the `has_text` flag.
    pub fn features(&self) -> Vec<Feature> {
        let n = self.has_text.len();
        let mut sum = vec![0f64; n];
        let mut neg = vec![0f64; n];
        let mut cnt = vec![0f64; n];
        let all = self
            .reviews
            .iter()
            .map(|r| (r.customer, r.sentiment))
            .chain(self.star_only.iter().copied());
        for (c, sentiment) in all {
            sum[c] += sentiment;
            neg[c] += f64::from(u8::from(sentiment < sentiment::NEGATIVE_BELOW));
            cnt[c] += 1.0;
        }
        let per = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(&cnt)
                .map(|(s, c)| if *c > 0.0 { s / c } else { f64::NAN })
                .collect()
        };
        vec![
            Feature {
                name: "mean_sentiment".into(),
                description: "mean review sentiment, -1..1 (stars where rated, else the text)"
                    .into(),
                transform: Transform::Identity,
                values: per(&sum),
                support: Some(cnt.clone()),
            },
            Feature {
                name: "share_negative_reviews".into(),
                description: "share of the customer's reviews that are negative".into(),
                transform: Transform::Identity,
                values: per(&neg),
                support: Some(cnt),
            },
            Feature {
                name: "has_text".into(),
                description: "1 if the customer wrote a review or searched with a query".into(),
                transform: Transform::Identity,
                values: self
                    .has_text
                    .iter()
                    .map(|&h| f64::from(u8::from(h)))
                    .collect(),
                support: None,
            },
        ]
    }

    /// The text block for clustering: what customers' texts say beyond their behaviour. The text
    /// vectors are regressed on the `behaviour` columns (ridge, fitted on at most `sample`
    /// customers with text), and the block is the first `k` principal components of the residual.
    /// Without the regression the leading components repeat what the category mix already says
    /// (electronics words against fashion words) and drown the themes only text carries.
    /// Customers without text sit at 0 (nothing beyond behaviour is known); customers with few
    /// texts are shrunk toward 0 by one pseudo-text. Returns the block (`[customers, k]`) and the
    /// share of the residual variance it keeps.
    pub fn block(
        &self,
        behaviour: ArrayView2<f64>,
        k: usize,
        sample: usize,
        seed: u64,
    ) -> (Array2<f64>, f64) {
        let n = self.has_text.len();
        let dim = self.dim;
        let p = behaviour.ncols();
        let rows: Vec<usize> = (0..n).filter(|&i| self.has_text[i]).collect();
        if rows.len() < 3 || k == 0 {
            return (Array2::zeros((n, 0)), 0.0);
        }
        let pick: Vec<usize> = crate::cluster::sample_indices(rows.len(), sample, seed)
            .into_iter()
            .map(|i| rows[i])
            .collect();
        let vec_of = |i: usize, j: usize| f64::from(self.customer_vectors[i * dim + j]);
        let xs = Array2::from_shape_fn((pick.len(), p + 1), |(i, j)| {
            if j == 0 {
                1.0
            } else {
                behaviour[[pick[i], j - 1]]
            }
        });
        let vs = Array2::from_shape_fn((pick.len(), dim), |(i, j)| vec_of(pick[i], j));
        let coef =
            ridge_fit(xs.view(), vs.view(), 1.0).unwrap_or_else(|| Array2::zeros((p + 1, dim)));
        let residual = &vs - &xs.dot(&coef);
        let pcs = top_components(residual.view(), k.min(dim), seed);
        let kk = pcs.components.nrows();
        // z = (v - x~ B - mean) W^T = v W^T - x~ (B W^T) - mean W^T
        let wt = pcs.components.t();
        let bw = coef.dot(&wt);
        let mw = pcs.mean.dot(&wt);
        let mut out = Array2::zeros((n, kk));
        for &i in &rows {
            let v = &self.customer_vectors[i * dim..(i + 1) * dim];
            let shrink = {
                let c = f64::from(self.text_counts[i]);
                c / (c + 1.0)
            };
            for c in 0..kk {
                let mut z: f64 = v
                    .iter()
                    .zip(pcs.components.row(c).iter())
                    .map(|(x, w)| f64::from(*x) * w)
                    .sum();
                z -= bw[[0, c]] + mw[c];
                for j in 0..p {
                    z -= behaviour[[i, j]] * bw[[j + 1, c]];
                }
                out[[i, c]] = z * shrink;
            }
        }
        (out, pcs.explained)
    }
}

/// Ridge regression coefficients of `y` on `x` (`x` carries its own intercept column 0, which is
/// not penalised). `None` when the system cannot be solved.
fn ridge_fit(x: ArrayView2<f64>, y: ArrayView2<f64>, lambda: f64) -> Option<Array2<f64>> {
    let mut a = x.t().dot(&x);
    for r in 1..a.nrows() {
        a[[r, r]] += lambda;
    }
    solve_spd(a, x.t().dot(&y))
}

/// Solves `a x = b` for symmetric positive definite `a` by Cholesky.
fn solve_spd(a: Array2<f64>, b: Array2<f64>) -> Option<Array2<f64>> {
    let d = a.nrows();
    let mut l = Array2::<f64>::zeros((d, d));
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[[i, k]] * l[[j, k]]).sum();
            if i == j {
                let v = a[[i, i]] - s;
                if v <= 0.0 || !v.is_finite() {
                    return None;
                }
                l[[i, i]] = v.sqrt();
            } else {
                l[[i, j]] = (a[[i, j]] - s) / l[[j, j]];
            }
        }
    }
    let q = b.ncols();
    let mut x = b;
    for c in 0..q {
        for i in 0..d {
            let s: f64 = (0..i).map(|k| l[[i, k]] * x[[k, c]]).sum();
            x[[i, c]] = (x[[i, c]] - s) / l[[i, i]];
        }
        for i in (0..d).rev() {
            let s: f64 = (i + 1..d).map(|k| l[[k, i]] * x[[k, c]]).sum();
            x[[i, c]] = (x[[i, c]] - s) / l[[i, i]];
        }
    }
    Some(x)
}

/// Text insight of one segment, for its profile.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct SegmentText {
    /// Share of members with any review or search text.
    pub share_with_text: f64,
    pub reviews: usize,
    /// Mean review sentiment of the members' reviews (-1..1).
    pub mean_sentiment: Option<f64>,
    /// Reviews closest to the segment's text centroid, distinct texts.
    pub representative_reviews: Vec<String>,
    /// Words and phrases that set the segment's reviews and searches apart.
    pub terms: Vec<Term>,
}

/// Per-segment text insight; `labels` as in the clustering (-1 = noise), `k` segments.
pub fn segment_insight(
    text: &TextAnalysis,
    labels: &[i32],
    k: usize,
    representatives: usize,
) -> Vec<SegmentText> {
    let dim = text.dim;
    let seg = |c: usize| usize::try_from(labels[c]).ok().filter(|&s| s < k);
    let mut centroid = vec![0f32; k * dim];
    let mut members = vec![0usize; k];
    let mut with_text = vec![0usize; k];
    for (c, &has) in text.has_text.iter().enumerate() {
        let Some(s) = seg(c) else { continue };
        members[s] += 1;
        if has {
            with_text[s] += 1;
            for (a, x) in centroid[s * dim..(s + 1) * dim]
                .iter_mut()
                .zip(&text.customer_vectors[c * dim..(c + 1) * dim])
            {
                *a += x;
            }
        }
    }
    for row in centroid.chunks_exact_mut(dim) {
        embed::bert::normalise(row);
    }
    let mut sent = vec![(0f64, 0usize); k];
    let mut ranked: Vec<Vec<(f32, usize)>> = vec![Vec::new(); k];
    for (i, r) in text.reviews.iter().enumerate() {
        let Some(s) = seg(r.customer) else { continue };
        sent[s].0 += r.sentiment;
        sent[s].1 += 1;
        let v = &text.review_vectors[i * dim..(i + 1) * dim];
        let cos: f32 = v
            .iter()
            .zip(&centroid[s * dim..(s + 1) * dim])
            .map(|(a, b)| a * b)
            .sum();
        ranked[s].push((cos, i));
    }
    let mut all_texts: Vec<&str> = Vec::new();
    let mut all_segs: Vec<Option<usize>> = Vec::new();
    let mut all_sent: Vec<Option<f64>> = Vec::new();
    for r in &text.reviews {
        all_texts.push(&r.text);
        all_segs.push(seg(r.customer));
        all_sent.push(Some(r.sentiment));
    }
    for (c, q) in &text.queries {
        all_texts.push(q);
        all_segs.push(seg(*c));
    }
    let terms = terms::distinguishing(&all_texts, &all_segs, &all_sent, k, 12, 5);
    (0..k)
        .map(|s| {
            let mut r = std::mem::take(&mut ranked[s]);
            r.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut reps: Vec<String> = Vec::new();
            for (_, i) in r.into_iter().take_while(|_| representatives > 0) {
                let t = &text.reviews[i].text;
                if !reps.contains(t) {
                    reps.push(t.clone());
                }
                if reps.len() >= representatives {
                    break;
                }
            }
            SegmentText {
                share_with_text: if members[s] == 0 {
                    0.0
                } else {
                    with_text[s] as f64 / members[s] as f64
                },
                reviews: sent[s].1,
                mean_sentiment: (sent[s].1 > 0).then(|| sent[s].0 / sent[s].1 as f64),
                representative_reviews: reps,
                terms: terms[s].clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// A synthetic analysis: customers 0..n, text vectors in 4-d, every third without text.
    fn synthetic(n: usize, vec_of: impl Fn(usize) -> [f32; 4]) -> TextAnalysis {
        let mut customer_vectors = Vec::new();
        let mut has_text = Vec::new();
        let mut text_counts = Vec::new();
        for i in 0..n {
            let has = i % 3 != 0;
            let mut v = if has { vec_of(i) } else { [0.0; 4] };
            embed::bert::normalise(&mut v);
            customer_vectors.extend(v);
            has_text.push(has);
            text_counts.push(if has { 5 } else { 0 });
        }
        TextAnalysis {
            dim: 4,
            customer_vectors,
            has_text,
            text_counts,
            reviews: Vec::new(),
            review_vectors: Vec::new(),
            queries: Vec::new(),
            star_only: Vec::new(),
            summary: TextSummary {
                model: String::new(),
                model_fingerprint: String::new(),
                device: "cpu".into(),
                reviews: 0,
                searches: 0,
                customers_with_text: 0,
                share_without_text: 0.0,
                sentiment_from_text: 0,
                sentiment_agreement: None,
                embedding: EmbedStats::default(),
                block_explained: None,
                block_weight: 0.0,
            },
        }
    }

    #[test]
    fn block_keeps_what_behaviour_does_not_say() {
        // Behaviour (one column) predicts the first text axis; the second axis is a theme that
        // behaviour does not see. The block must separate the themes and put no-text customers
        // at 0.
        let n = 300;
        let behaviour = Array2::from_shape_fn((n, 1), |(i, _)| if i % 2 == 0 { 1.0 } else { -1.0 });
        let theme = |i: usize| if (i / 2).is_multiple_of(2) { 1.0 } else { -1.0 };
        let t = synthetic(n, |i| {
            let b = if i % 2 == 0 { 1.0 } else { -1.0 };
            [3.0 + b, 3.0 + theme(i), 0.1 * (i % 7) as f32, 1.0]
        });
        let (block, explained) = t.block(behaviour.view(), 2, 1000, 1);
        assert_eq!(block.dim(), (n, 2));
        assert!(explained > 0.5, "{explained}");
        for i in 0..n {
            if !t.has_text[i] {
                assert_eq!(block[[i, 0]], 0.0);
                continue;
            }
            // The first component follows the theme, whatever the behaviour.
            let same = (block[[i, 0]] > 0.0) == (theme(i) > 0.0);
            let first = (block[[1, 0]] > 0.0) == (theme(1) > 0.0);
            assert_eq!(same, first, "customer {i}: {}", block[[i, 0]]);
        }
    }

    #[test]
    fn segment_insight_picks_central_reviews_and_own_terms() {
        // Segment 0 writes about fit, segment 1 about batteries; customers' vectors point the
        // same way as their reviews.
        let n = 60;
        let mut t = synthetic(n, |i| {
            if i % 2 == 0 {
                [1.0, 0.0, 0.0, 0.0]
            } else {
                [0.0, 1.0, 0.0, 0.0]
            }
        });
        let labels: Vec<i32> = (0..n).map(|i| (i % 2) as i32).collect();
        for i in 0..n {
            let (text, v, sentiment) = if i % 2 == 0 {
                ("great fit and soft fabric", [1.0f32, 0.0, 0.0, 0.0], 0.5)
            } else if i == 1 {
                ("odd one out about fabric", [0.0f32, 0.0, 1.0, 0.0], -1.0)
            } else {
                ("battery life is short", [0.0f32, 1.0, 0.0, 0.0], -0.5)
            };
            t.reviews.push(Review {
                customer: i,
                text: text.into(),
                rating: None,
                sentiment,
                text_sentiment: sentiment,
            });
            t.review_vectors.extend(v);
        }
        let insight = segment_insight(&t, &labels, 2, 1);
        assert_eq!(insight.len(), 2);
        assert_eq!(
            insight[0].representative_reviews,
            vec!["great fit and soft fabric"]
        );
        assert_eq!(
            insight[1].representative_reviews,
            vec!["battery life is short"]
        );
        assert!(
            insight[1].terms.iter().any(|x| x.term.contains("battery")),
            "{:?}",
            insight[1].terms
        );
        assert!((insight[0].mean_sentiment.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(insight[0].reviews, 30);
        // Every third customer has no text.
        assert!((insight[0].share_with_text - 20.0 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn stats_line_says_when_nothing_was_embedded() {
        let s = EmbedStats {
            texts: 4,
            distinct: 3,
            cached: 3,
            ..Default::default()
        };
        assert!(stats_line(&s).contains("nothing embedded"));
        assert_eq!(stats_line(&EmbedStats::default()), "no texts to embed");
    }

    #[test]
    fn ridge_recovers_a_linear_map() {
        let x = array![[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]];
        let y = array![[1.0], [3.0], [5.0], [7.0], [9.0]];
        let coef = ridge_fit(x.view(), y.view(), 1e-9).unwrap();
        assert!((coef[[0, 0]] - 1.0).abs() < 1e-6 && (coef[[1, 0]] - 2.0).abs() < 1e-6);
    }
}
