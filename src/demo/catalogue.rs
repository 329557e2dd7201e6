//! The generated product catalogue.
//!
//! This module owns the seed-driven product list (names, categories, brands, prices, launch
//! dates), its price-ordered, new-arrival and per-brand indices, and the pickers that choose
//! a product a customer could have bought on a given day near their price level.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::output::{push_field, push_id, push_money, Calendar, Sink};
use super::random::{choose, normal};
use super::text::{CatSpec, CATEGORIES, CAT_SPECS, NCAT};
use super::DemoError;

/// One product of the catalogue.
pub(super) struct Product {
    pub(super) name: String,
    pub(super) cat: usize,
    pub(super) brand: &'static str,
    pub(super) cents: i64,
    pub(super) launch_back: u32,
    pub(super) noun: &'static str,
}

/// The shop's products with the indices the pickers need.
pub(super) struct Catalogue {
    pub(super) products: Vec<Product>,
    /// Product indices per category, cheapest first.
    by_price: [Vec<usize>; NCAT],
    /// New arrivals per category.
    new_arrivals: [Vec<usize>; NCAT],
    /// The longest-available product per category (always purchasable).
    oldest: [usize; NCAT],
    /// Product indices per category and brand (index into the category's brand list),
    /// cheapest first.
    by_brand: [Vec<Vec<usize>>; NCAT],
}

fn product_name(rng: &mut ChaCha8Rng, spec: &CatSpec, noun: &str) -> String {
    let mut name = String::with_capacity(40);
    if !spec.noun_in_name {
        name.push_str("The ");
    }
    name.push_str(choose(rng, spec.first));
    if !spec.second.is_empty() && rng.gen::<f64>() < spec.second_p {
        name.push(' ');
        name.push_str(choose(rng, spec.second));
    }
    if spec.noun_in_name {
        name.push(' ');
        name.push_str(noun);
    }
    if !spec.suffixes.is_empty() && rng.gen::<f64>() < spec.suffix_p {
        name.push_str(choose(rng, spec.suffixes));
    }
    name
}

impl Catalogue {
    pub(super) fn generate(rng: &mut ChaCha8Rng) -> Self {
        let mut products = Vec::with_capacity(600);
        let mut seen = HashSet::new();
        for (cat, spec) in CAT_SPECS.iter().enumerate() {
            for _ in 0..spec.count {
                let (mut noun, mut median) =
                    spec.nouns.choose(rng).copied().unwrap_or(("Item", 10.0));
                let mut name = product_name(rng, spec, noun);
                for _ in 0..30 {
                    if !seen.contains(&name) {
                        break;
                    }
                    (noun, median) = spec.nouns.choose(rng).copied().unwrap_or(("Item", 10.0));
                    name = product_name(rng, spec, noun);
                }
                if seen.contains(&name) {
                    name.push_str(" Edition ");
                    name.push_str(&(products.len() + 1).to_string());
                }
                seen.insert(name.clone());
                let price = (median * (spec.sigma * normal(rng)).exp())
                    .clamp(spec.price_range.0, spec.price_range.1 - 1.0);
                let ending = match rng.gen_range(0..10) {
                    0..=6 => 99,
                    7..=8 => 49,
                    _ => 0,
                };
                let cents = (price.floor() as i64) * 100 + ending;
                let launch_back = if rng.gen::<f64>() < 0.2 {
                    rng.gen_range(1..=90)
                } else {
                    91 + (2809.0 * rng.gen::<f64>().sqrt()) as u32
                };
                products.push(Product {
                    name,
                    cat,
                    brand: choose(rng, spec.brands),
                    cents,
                    launch_back,
                    noun,
                });
            }
        }
        let mut by_price: [Vec<usize>; NCAT] = std::array::from_fn(|_| Vec::new());
        let mut new_arrivals: [Vec<usize>; NCAT] = std::array::from_fn(|_| Vec::new());
        let mut oldest = [0usize; NCAT];
        for (i, p) in products.iter().enumerate() {
            by_price[p.cat].push(i);
            if p.launch_back <= 90 {
                new_arrivals[p.cat].push(i);
            }
            if by_price[p.cat].len() == 1 || p.launch_back > products[oldest[p.cat]].launch_back {
                oldest[p.cat] = i;
            }
        }
        for list in by_price.iter_mut() {
            list.sort_by_key(|&i| (products[i].cents, i));
        }
        let by_brand: [Vec<Vec<usize>>; NCAT] = std::array::from_fn(|c| {
            let brands = CAT_SPECS[c].brands;
            let mut lists = vec![Vec::new(); brands.len()];
            for &i in &by_price[c] {
                if let Some(k) = brands.iter().position(|b| *b == products[i].brand) {
                    lists[k].push(i);
                }
            }
            lists
        });
        Self {
            products,
            by_price,
            new_arrivals,
            oldest,
            by_brand,
        }
    }

    /// A product of `cat` available `back` days ago, near the customer's price percentile.
    pub(super) fn pick(
        &self,
        rng: &mut ChaCha8Rng,
        cat: usize,
        pref: f64,
        back: u32,
        new_bias: f64,
    ) -> usize {
        if new_bias > 0.0 && back < 90 && rng.gen::<f64>() < new_bias {
            let list = &self.new_arrivals[cat];
            for _ in 0..4 {
                if let Some(&p) = list.choose(rng) {
                    if self.products[p].launch_back >= back {
                        return p;
                    }
                }
            }
        }
        self.near_price(rng, &self.by_price[cat], pref, back)
            .unwrap_or(self.oldest[cat])
    }

    /// Like [`Catalogue::pick`], but from the customer's favourite brand (`brand` indexes the
    /// category's brand list); falls back to any brand when none of it is available yet.
    pub(super) fn pick_brand(
        &self,
        rng: &mut ChaCha8Rng,
        cat: usize,
        brand: usize,
        pref: f64,
        back: u32,
    ) -> usize {
        match self.by_brand[cat].get(brand) {
            Some(list) => self.near_price(rng, list, pref, back),
            None => None,
        }
        .unwrap_or_else(|| self.pick(rng, cat, pref, back, 0.0))
    }

    /// Number of brands of a category.
    pub(super) fn brands(&self, cat: usize) -> usize {
        self.by_brand[cat].len()
    }

    /// A product of `list` (cheapest first) available `back` days ago, near percentile `pref`.
    fn near_price(
        &self,
        rng: &mut ChaCha8Rng,
        list: &[usize],
        pref: f64,
        back: u32,
    ) -> Option<usize> {
        if !list.is_empty() {
            for _ in 0..6 {
                let x = (pref + 0.18 * normal(rng)).clamp(0.0, 0.9999);
                let p = list[((x * list.len() as f64) as usize).min(list.len() - 1)];
                if self.products[p].launch_back >= back {
                    return Some(p);
                }
            }
        }
        None
    }

    pub(super) fn write(&self, sink: &mut Sink, cal: &Calendar) -> Result<(), DemoError> {
        for (i, p) in self.products.iter().enumerate() {
            let b = &mut sink.buf;
            push_id(b, b'P', i + 1, 5);
            b.push(b',');
            push_field(b, &p.name);
            b.push(b',');
            b.extend_from_slice(CATEGORIES[p.cat].as_bytes());
            b.push(b',');
            push_field(b, p.brand);
            b.push(b',');
            push_money(b, p.cents);
            b.push(b',');
            b.extend_from_slice(cal.date(p.launch_back));
            b.push(b'\n');
            sink.flush_if_full()?;
        }
        Ok(())
    }
}
