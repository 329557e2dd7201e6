//! Review and search-query texts.
//!
//! This module owns placeholder filling, typos, theme resolution per product category, and
//! the assembly of reviews and search queries from the word lists in `text.rs` and
//! `phrases.rs`, drawing from the caller's random stream.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::phrases::{
    QuerySet, CLOSERS, OPENERS, REVIEWS, THEME_COMPARE, THEME_FIT, THEME_FIT_BEAUTY, THEME_GENERIC,
    THEME_TECH,
};
use super::random::choose;
use super::text::{CATEGORIES, CAT_SPECS, NCAT, SIZES};

/// What template placeholders refer to.
pub(super) struct FillCtx<'a> {
    pub(super) product: &'a str,
    pub(super) noun: &'a str,
    pub(super) brand: &'a str,
    pub(super) cat: usize,
}

fn push_lower(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
}

fn fill(out: &mut String, tpl: &str, ctx: &FillCtx<'_>, rng: &mut ChaCha8Rng) {
    let spec = &CAT_SPECS[ctx.cat];
    let mut chars = tpl.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            out.push(c);
            continue;
        }
        let key = chars.next();
        // skip the closing brace
        chars.next();
        match key {
            Some('p') => out.push_str(ctx.product),
            Some('n') => push_lower(out, ctx.noun),
            Some('a') => out.push_str(choose(rng, spec.attrs)),
            Some('b') => out.push_str(ctx.brand),
            Some('c') => out.push_str(CATEGORIES[ctx.cat]),
            Some('d') => out.push_str(&rng.gen_range(2..=25u32).to_string()),
            Some('s') => out.push_str(choose(rng, &SIZES)),
            Some('m') => push_lower(out, choose(rng, spec.first)),
            Some(other) => {
                out.push('{');
                out.push(other);
                out.push('}');
            }
            None => out.push('{'),
        }
    }
}

/// Swaps two adjacent letters somewhere in `s` (a realistic typo).
fn add_typo(s: &mut String, rng: &mut ChaCha8Rng) {
    let mut chars: Vec<char> = s.chars().collect();
    let candidates: Vec<usize> = (0..chars.len().saturating_sub(1))
        .filter(|&i| {
            chars[i].is_ascii_lowercase()
                && chars[i + 1].is_ascii_lowercase()
                && chars[i] != chars[i + 1]
        })
        .collect();
    if let Some(&i) = candidates.choose(rng) {
        chars.swap(i, i + 1);
        *s = chars.into_iter().collect();
    }
}

/// Index of the electronics category.
pub(super) const ELECTRONICS: usize = 0;
/// Index of the fashion category.
pub(super) const FASHION: usize = 1;
/// Index of the beauty category.
pub(super) const BEAUTY: usize = 2;

/// Adapts a review theme to the reviewed product, so that a "detail" reviewer talks about fit
/// for a dress, shade for a foundation and materials for a lamp, and tech talk only ever
/// concerns electronics.
pub(super) fn resolve_theme(theme: usize, cat: usize) -> usize {
    match theme {
        THEME_TECH if cat == ELECTRONICS => THEME_TECH,
        THEME_TECH => THEME_GENERIC,
        THEME_FIT | THEME_FIT_BEAUTY | THEME_COMPARE => match cat {
            FASHION => THEME_FIT,
            BEAUTY => THEME_FIT_BEAUTY,
            _ => THEME_COMPARE,
        },
        other => other,
    }
}

/// Review sentiment bucket for a rating: 0 negative, 1 mixed, 2 positive.
fn sentiment(rating: u32) -> usize {
    match rating {
        0..=2 => 0,
        3 => 1,
        _ => 2,
    }
}

/// Writes one review of `theme` and sentiment `rating` into `out`.
pub(super) fn build_review(
    out: &mut String,
    rng: &mut ChaCha8Rng,
    theme: usize,
    rating: u32,
    ctx: &FillCtx<'_>,
) {
    out.clear();
    let sent = sentiment(rating);
    if rng.gen::<f64>() < 0.3 {
        out.push_str(choose(rng, OPENERS[sent]));
        out.push(' ');
    }
    let main_list = REVIEWS[theme][sent];
    let main_idx = rng.gen_range(0..main_list.len());
    fill(out, main_list[main_idx], ctx, rng);
    if rng.gen::<f64>() < 0.5 {
        let second_theme = if rng.gen::<f64>() < 0.6 {
            theme
        } else {
            THEME_GENERIC
        };
        let list = REVIEWS[second_theme][sent];
        let mut idx = rng.gen_range(0..list.len());
        if second_theme == theme && idx == main_idx && list.len() > 1 {
            idx = (idx + 1) % list.len();
        }
        out.push(' ');
        fill(out, list[idx], ctx, rng);
    }
    if rng.gen::<f64>() < 0.25 {
        out.push(' ');
        out.push_str(choose(rng, CLOSERS[sent]));
    }
    if rng.gen::<f64>() < 0.06 {
        add_typo(out, rng);
    }
    if rng.gen::<f64>() < 0.07 {
        out.make_ascii_lowercase();
    }
    if rng.gen::<f64>() < 0.05 && out.ends_with('.') {
        out.pop();
    }
}

/// Appends a lower-case search query from `set` to `out`; may retarget the event's category.
pub(super) fn build_query(out: &mut String, rng: &mut ChaCha8Rng, set: &QuerySet, cat: &mut usize) {
    let start = out.len();
    build_query_text(out, rng, set, cat);
    if let Some(q) = out.get_mut(start..) {
        q.make_ascii_lowercase();
    }
}

fn build_query_text(out: &mut String, rng: &mut ChaCha8Rng, set: &QuerySet, cat: &mut usize) {
    if !set.full.is_empty() && rng.gen::<f64>() < set.full_p {
        if let Some(&(q, tag)) = set.full.choose(rng) {
            out.push_str(q);
            if (tag as usize) < NCAT {
                *cat = tag as usize;
            }
            return;
        }
    }
    let spec = &CAT_SPECS[*cat];
    let (noun, _) = spec.nouns.choose(rng).copied().unwrap_or(("item", 0.0));
    let ctx = FillCtx {
        product: "",
        noun,
        brand: choose(rng, spec.brands),
        cat: *cat,
    };
    let tpl = choose(rng, set.templates);
    fill(out, tpl, &ctx, rng);
    if rng.gen::<f64>() < 0.04 {
        add_typo(out, rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::phrases::THEME_TREND;

    #[test]
    fn review_themes_fit_the_product() {
        assert_eq!(resolve_theme(THEME_TECH, 0), THEME_TECH);
        assert_eq!(resolve_theme(THEME_TECH, 3), THEME_GENERIC);
        assert_eq!(resolve_theme(THEME_FIT, FASHION), THEME_FIT);
        assert_eq!(resolve_theme(THEME_FIT, BEAUTY), THEME_FIT_BEAUTY);
        assert_eq!(resolve_theme(THEME_FIT_BEAUTY, 3), THEME_COMPARE);
        assert_eq!(resolve_theme(THEME_TREND, 5), THEME_TREND);
    }
}
