//! A seed-driven family of generated test shops (`seglens demo-data --family`).
//!
//! This module owns [`family_spec`], which draws one shop's make-up from the archetype
//! catalogue in `archetypes.rs` (how many archetypes, which, their shares, the overlap level,
//! hybrids, and whether a text-only pair is planted), the serialisable [`FamilySpec`] written
//! as `family.json`, and the translation of a spec into what the engine writes.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::archetypes::{self, CATALOGUE, TEXT_ONLY_PAIRS, TWINS};
use super::spec::{Noise, ShopSpec};
use super::DemoError;

/// Fewest archetypes a family shop has.
pub const MIN_ARCHETYPES: usize = 4;
/// Most archetypes a family shop has.
pub const MAX_ARCHETYPES: usize = 14;
/// Smallest share of one archetype, in percent.
pub const MIN_SHARE: f64 = 2.0;
/// Largest share of one archetype, in percent.
pub const MAX_SHARE: f64 = 35.0;
/// Probability that a family shop plants one text-only pair.
pub const TEXT_PAIR_P: f64 = 0.7;

/// One archetype of a family shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyMember {
    /// Catalogue name, also the truth label.
    pub name: String,
    /// Share of the customers, in percent (the shares of a shop sum to 100).
    pub share: f64,
}

/// Two planted archetypes identical except one behaviour dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyTwin {
    /// One archetype.
    pub a: String,
    /// The other.
    pub b: String,
    /// What tells them apart (e.g. `hour_of_day`, `basket_shape`, `brand_loyalty`).
    pub differs_in: String,
}

/// The make-up of one family shop, written beside `truth.csv` as `family.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilySpec {
    /// The seed the spec (and the shop) was drawn from.
    pub seed: u64,
    /// Customers the shop is generated with.
    pub customers: usize,
    /// The planted archetypes with their shares.
    pub archetypes: Vec<FamilyMember>,
    /// Overlap level in [0, 1] the noise parameters were derived from.
    pub noise_level: f64,
    /// Overlap parameters used by the generator.
    pub noise: Noise,
    /// Planted pairs that differ only in what their reviews and searches talk about.
    pub text_only_pairs: Vec<(String, String)>,
    /// Planted pairs that differ only in one timing, basket or loyalty dimension.
    pub twins: Vec<FamilyTwin>,
}

impl FamilySpec {
    /// The archetype names, in truth/summary order.
    pub fn names(&self) -> Vec<&str> {
        self.archetypes.iter().map(|a| a.name.as_str()).collect()
    }

    /// Resolves the spec against the catalogue for the engine.
    pub(super) fn shop_spec(&self) -> Result<ShopSpec<'static>, DemoError> {
        let mut list = Vec::with_capacity(self.archetypes.len());
        for m in &self.archetypes {
            let a = archetypes::find(&m.name).ok_or_else(|| {
                DemoError::Invalid(format!("unknown family archetype {:?}", m.name))
            })?;
            if !(m.share > 0.0 && m.share.is_finite()) {
                return Err(DemoError::Invalid(format!(
                    "share of {} must be positive, not {}",
                    m.name, m.share
                )));
            }
            list.push((a, m.share));
        }
        Ok(ShopSpec {
            archetypes: list,
            noise: self.noise,
        })
    }
}

/// Names of every archetype a family shop can draw.
pub fn family_archetype_names() -> Vec<&'static str> {
    CATALOGUE.iter().map(|a| a.name).collect()
}

/// Every text-only pair of the catalogue (a shop plants at most one; see
/// [`FamilySpec::text_only_pairs`] for the one planted).
pub fn family_text_only_pairs() -> Vec<(&'static str, &'static str)> {
    TEXT_ONLY_PAIRS.to_vec()
}

fn index_of(name: &str) -> usize {
    CATALOGUE
        .iter()
        .position(|a| a.name == name)
        .unwrap_or(usize::MAX)
}

/// Whole-percent shares in `MIN_SHARE..=MAX_SHARE` summing to 100, roughly Dirichlet(1).
fn draw_shares(rng: &mut ChaCha8Rng, k: usize) -> Vec<f64> {
    let (lo, hi) = (MIN_SHARE as i64, MAX_SHARE as i64);
    let free = 100 - lo * k as i64;
    let w: Vec<f64> = (0..k).map(|_| -(1.0 - rng.gen::<f64>()).ln()).collect();
    let total: f64 = w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let exact: Vec<f64> = w.iter().map(|x| x / total * free as f64).collect();
    let mut units: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let mut rest = free - units.iter().sum::<i64>();
    for &i in order.iter().cycle().take(k * 2) {
        if rest <= 0 {
            break;
        }
        units[i] += 1;
        rest -= 1;
    }
    let mut shares: Vec<i64> = units.iter().map(|u| u + lo).collect();
    // Cap at `hi`, handing the excess to the smallest shares (k >= 4, so 35 * k >= 100).
    while let Some(big) = (0..k).find(|&i| shares[i] > hi) {
        let mut excess = shares[big] - hi;
        shares[big] = hi;
        while excess > 0 {
            let Some(small) = (0..k)
                .filter(|&i| shares[i] < hi)
                .min_by_key(|&i| shares[i])
            else {
                break;
            };
            shares[small] += 1;
            excess -= 1;
        }
    }
    shares.into_iter().map(|s| s as f64).collect()
}

/// Draws the make-up of family shop `seed`: 4 to 14 catalogue archetypes with shares of 2% to
/// 35% (summing to 100%), an overlap level, hybrids, and with probability 0.7 both members of
/// one text-only pair. Deterministic in `seed`; `customers` is recorded, not used for drawing.
pub fn family_spec(seed: u64, customers: usize) -> FamilySpec {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(7);
    let k = rng.gen_range(MIN_ARCHETYPES..=MAX_ARCHETYPES);
    let planted = if rng.gen::<f64>() < TEXT_PAIR_P {
        TEXT_ONLY_PAIRS.choose(&mut rng).copied()
    } else {
        None
    };
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    if let Some((a, b)) = planted {
        chosen.push(index_of(a));
        chosen.push(index_of(b));
    }
    let mut rest: Vec<usize> = (0..CATALOGUE.len())
        .filter(|i| !chosen.contains(i))
        .collect();
    rest.shuffle(&mut rng);
    for i in rest {
        if chosen.len() >= k {
            break;
        }
        // No second text-only pair beyond the planted one.
        let completes_pair = TEXT_ONLY_PAIRS.iter().any(|&(a, b)| {
            let (a, b) = (index_of(a), index_of(b));
            (i == a && chosen.contains(&b)) || (i == b && chosen.contains(&a))
        });
        if !completes_pair {
            chosen.push(i);
        }
    }
    chosen.shuffle(&mut rng);
    let shares = draw_shares(&mut rng, chosen.len());
    let level: f64 = rng.gen();
    let noise = Noise {
        secondary_p: 0.04 + 0.16 * level,
        one_off_p: 0.03 + 0.07 * level,
        spread: 1.0 + 0.8 * level,
        hybrid_p: 0.25 * level,
    };
    let names: Vec<&'static str> = chosen.iter().map(|&i| CATALOGUE[i].name).collect();
    let has = |n: &str| names.contains(&n);
    FamilySpec {
        seed,
        customers,
        archetypes: names
            .iter()
            .zip(shares)
            .map(|(n, share)| FamilyMember {
                name: (*n).to_string(),
                share,
            })
            .collect(),
        noise_level: level,
        noise,
        text_only_pairs: TEXT_ONLY_PAIRS
            .iter()
            .filter(|(a, b)| has(a) && has(b))
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect(),
        twins: TWINS
            .iter()
            .filter(|(a, b, _)| has(a) && has(b))
            .map(|(a, b, d)| FamilyTwin {
                a: (*a).to_string(),
                b: (*b).to_string(),
                differs_in: (*d).to_string(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{opts, read_csv};
    use super::super::{generate_family, generate_family_with};
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn spec_respects_its_bounds_over_many_seeds() {
        let mut with_pair = 0;
        let mut sizes = HashSet::new();
        for seed in 0..2000u64 {
            let spec = family_spec(seed, 1000);
            assert_eq!(
                spec,
                family_spec(seed, 1000),
                "seed {seed} not deterministic"
            );
            let k = spec.archetypes.len();
            assert!(
                (MIN_ARCHETYPES..=MAX_ARCHETYPES).contains(&k),
                "seed {seed}: {k}"
            );
            sizes.insert(k);
            let names: HashSet<&str> = spec.names().into_iter().collect();
            assert_eq!(names.len(), k, "seed {seed}: duplicate archetype");
            let sum: f64 = spec.archetypes.iter().map(|a| a.share).sum();
            assert!(
                (sum - 100.0).abs() < 1e-9,
                "seed {seed}: shares sum to {sum}"
            );
            for a in &spec.archetypes {
                assert!(
                    (MIN_SHARE..=MAX_SHARE).contains(&a.share),
                    "seed {seed}: {} has {}%",
                    a.name,
                    a.share
                );
                assert!(archetypes::find(&a.name).is_some());
            }
            assert!(spec.text_only_pairs.len() <= 1, "seed {seed}: two pairs");
            for (a, b) in &spec.text_only_pairs {
                assert!(names.contains(a.as_str()) && names.contains(b.as_str()));
            }
            with_pair += usize::from(!spec.text_only_pairs.is_empty());
            assert!((0.0..=1.0).contains(&spec.noise_level));
            assert!(spec.noise.hybrid_p <= 0.25 && spec.noise.spread >= 1.0);
            assert!(spec.shop_spec().is_ok());
        }
        let share = with_pair as f64 / 2000.0;
        assert!((0.65..0.75).contains(&share), "text-only pair in {share}");
        assert_eq!(sizes.len(), MAX_ARCHETYPES - MIN_ARCHETYPES + 1);
    }

    #[test]
    fn catalogue_is_consistent() {
        assert!(CATALOGUE.len() >= 16);
        let names: HashSet<&str> = family_archetype_names().into_iter().collect();
        assert_eq!(names.len(), CATALOGUE.len());
        for (a, b) in family_text_only_pairs() {
            let (x, y) = (archetypes::find(a).unwrap(), archetypes::find(b).unwrap());
            assert_ne!(x.theme, y.theme, "{a}/{b} share a theme");
            assert!(!std::ptr::eq(x.queries, y.queries), "{a}/{b} share queries");
            assert_eq!(format!("{:?}", x.profile), format!("{:?}", y.profile));
        }
        for (a, b, _) in TWINS {
            assert!(names.contains(a) && names.contains(b), "{a}/{b}");
        }
    }

    /// Every catalogue archetype generates, and the new dimensions show in the orders.
    #[test]
    fn every_catalogue_archetype_generates_with_its_shape() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("shop/data");
        let spec = FamilySpec {
            seed: 5,
            customers: CATALOGUE.len() * 60,
            archetypes: CATALOGUE
                .iter()
                .map(|a| FamilyMember {
                    name: a.name.to_string(),
                    share: 1.0,
                })
                .collect(),
            noise_level: 0.0,
            noise: Noise::DEMO,
            text_only_pairs: Vec::new(),
            twins: Vec::new(),
        };
        let s = generate_family_with(&opts(out.clone(), spec.customers, 5), &spec).unwrap();
        assert_eq!(s.archetype_counts.len(), CATALOGUE.len());
        assert!(
            s.archetype_counts.iter().all(|c| c.1 == 60),
            "{:?}",
            s.archetype_counts
        );
        let truth: HashMap<String, String> = read_csv(&s.truth_path)[1..]
            .iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        // per archetype: lines, units, night lines, weekend lines, Nov/Dec lines, repeat lines
        let mut agg: HashMap<&str, [f64; 6]> = HashMap::new();
        let mut seen: HashMap<String, HashSet<String>> = HashMap::new();
        let weekday = |d: &str| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .unwrap()
                .format("%u")
                .to_string()
        };
        for r in &read_csv(&out.join("orders.csv"))[1..] {
            let arch = truth[&r[1]].as_str();
            let e = agg.entry(arch).or_default();
            let hour: u32 = r[2][11..13].parse().unwrap();
            e[0] += 1.0;
            e[1] += r[6].parse::<f64>().unwrap();
            e[2] += f64::from(u8::from(!(6..22).contains(&hour)));
            e[3] += f64::from(u8::from(weekday(&r[2][..10]).as_str() >= "6"));
            e[4] += f64::from(u8::from(&r[2][5..7] >= "11"));
            let bought = seen.entry(r[1].clone()).or_default();
            e[5] += f64::from(u8::from(!bought.insert(r[3].clone())));
        }
        for a in CATALOGUE.iter() {
            assert!(agg.get(a.name).is_some_and(|e| e[0] > 0.0) || a.name == "window_shopper");
        }
        let rate = |a: &str, i: usize| agg[a][i] / agg[a][0];
        assert!(rate("night_owl_techie", 2) > 0.5 && rate("tech_enthusiast", 2) < 0.25);
        assert!(rate("bulk_stocker", 1) > 5.0 && rate("big_basket_grocer", 1) < 1.6);
        assert!(rate("diy_weekender", 3) > 0.6 && rate("diy_weekday", 3) < 0.15);
        assert!(rate("holiday_gifter", 4) > 0.7 && rate("year_round_gifter", 4) < 0.4);
        assert!(rate("pantry_replenisher", 5) > 0.5 && rate("pantry_explorer", 5) < 0.3);
    }

    #[test]
    fn family_shop_truth_matches_its_shares() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("shop/data");
        let seed = (0..100)
            .find(|&s| !family_spec(s, 2000).text_only_pairs.is_empty())
            .unwrap();
        let (s, spec) = generate_family(&opts(out.clone(), 2000, seed)).unwrap();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in &read_csv(&s.truth_path)[1..] {
            *counts.entry(r[1].clone()).or_default() += 1;
        }
        assert_eq!(counts.values().sum::<usize>(), 2000);
        assert_eq!(counts.len(), spec.archetypes.len());
        for a in &spec.archetypes {
            let want = a.share / 100.0 * 2000.0;
            let got = counts[&a.name] as f64;
            assert!((got - want).abs() <= 1.0, "{}: {got} vs {want}", a.name);
        }
        let json = std::fs::read_to_string(dir.path().join("shop/family.json")).unwrap();
        let back: FamilySpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        let again = generate_family(&opts(dir.path().join("b/data"), 2000, seed)).unwrap();
        assert_eq!(again.1, spec);
        for f in ["orders.csv", "events.csv", "reviews.csv"] {
            let x = std::fs::read(out.join(f)).unwrap();
            let y = std::fs::read(dir.path().join("b/data").join(f)).unwrap();
            assert_eq!(x, y, "{f} differs");
        }
    }
}
