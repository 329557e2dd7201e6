//! The streaming shop writer.
//!
//! This module owns turning a [`ShopSpec`] into the shop's files: the catalogue, one customer
//! at a time (who they are, their own parameters drawn from their archetype's profile, their
//! orders, events and reviews), and the truth rows, all written through buffered sinks.
//!
//! Determinism: the main `ChaCha8Rng` stream (seeded from the user's seed) drives the
//! catalogue, customers and orders; events and review texts use streams 1 and 2 of the same
//! seed, so switching `--events`/`--reviews` never changes customers or orders. A behaviour
//! dimension at its demo default draws no random numbers, which keeps the demo's bytes.

use std::path::PathBuf;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalogue::Catalogue;
use super::compose::{build_query, build_review, resolve_theme, FillCtx};
use super::output::{push_field, push_id, push_money, push_time, push_uint, Calendar, Sink};
use super::phrases::{NTHEMES, THEME_GENERIC};
use super::random::{
    beta, choose, exponential, gamma, normal, poisson, sample_sec, uniform, weighted,
};
use super::spec::{Archetype, Cadence, DayWeights, OrderCount, Profile, Recency, ShopSpec};
use super::text::{CATEGORIES, COUNTRIES, NCAT};
use super::{remove_stale, DemoError, DemoOptions, DemoSummary};

/// Index of the grocery category (bought in larger quantities).
const GROCERY: usize = 7;

/// Return-probability multiplier per category (fashion sizes come back most).
const RETURN_FACTOR: [f64; NCAT] = [0.6, 1.6, 0.7, 0.8, 0.9, 0.3, 0.6, 0.3];

/// Event types, in the order of `Profile::events`.
pub(super) const EVENT_TYPES: [&str; 5] = ["view", "search", "add_to_cart", "wishlist", "share"];
const EV_SEARCH: usize = 1;

/// Days back covered by the events log.
const EVENT_WINDOW: u32 = 364;

const GENDERS: [&str; 3] = ["F", "M", "X"];
const CHANNELS: [&str; 4] = ["web", "app", "marketplace", "social"];

/// Exact archetype quotas (largest remainder) in a shuffled order.
fn assign_archetypes(rng: &mut ChaCha8Rng, shares: &[f64], n: usize) -> Vec<usize> {
    let total: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares.iter().map(|s| s / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut rest = n - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &a in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        counts[a] += 1;
        rest -= 1;
    }
    let mut arch = Vec::with_capacity(n);
    for (a, &c) in counts.iter().enumerate() {
        arch.extend(std::iter::repeat_n(a, c));
    }
    arch.shuffle(rng);
    arch
}

/// One order line, as generated.
struct Line {
    product: usize,
    qty: u32,
}

/// One browsing event, before sorting.
struct Event {
    back: u32,
    sec: u32,
    kind: usize,
    product: Option<usize>,
    cat: usize,
    query: (usize, usize),
}

/// Reused per-customer scratch buffers.
#[derive(Default)]
struct Scratch {
    orders: Vec<(u32, u32)>,
    lines: Vec<Line>,
    bought: Vec<(usize, u32)>,
    events: Vec<Event>,
    queries: String,
    reviews: Vec<(u32, usize, u32, String)>,
    text: String,
    bursts: Vec<u32>,
}

/// A day in `lo..=hi` days back for an order: the demo's seasonal rejection, or the
/// archetype's own day table.
fn order_day(cal: &Calendar, table: Option<&[f64]>, rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> u32 {
    match table {
        Some(t) => Calendar::table_back(t, rng, lo, hi),
        None => cal.seasonal_back(rng, lo, hi),
    }
}

/// Fills `s.orders` with (days back, second of day), oldest first.
#[allow(clippy::too_many_arguments)]
fn order_times(
    s: &mut Scratch,
    rng: &mut ChaCha8Rng,
    cal: &Calendar,
    table: Option<&[f64]>,
    prof: &Profile,
    n_orders: u32,
    signup_back: u32,
) {
    s.orders.clear();
    let start_back = match prof.recency {
        Recency::Lapsed { .. } => signup_back.min(1400),
        _ => signup_back.min(1095),
    };
    if n_orders == 0 {
        return;
    }
    let (recency, free) = match prof.recency {
        Recency::Recent { mean, max } => {
            let r = (exponential(rng, mean) as u32).min(max).min(start_back);
            (r, false)
        }
        Recency::Lapsed { min, max } => {
            let hi = max.min(start_back.saturating_sub(60)).max(min);
            (rng.gen_range(min..=hi).min(start_back), false)
        }
        Recency::Anywhere => (0, true),
    };
    // The last order: fixed by the recency draw (moved to a day of the archetype's pattern
    // within the following week when it has one), or free.
    let fixed = match (free, table) {
        (true, _) => None,
        (false, Some(t)) => Some(Calendar::table_back(
            t,
            rng,
            recency,
            recency.saturating_add(6).min(start_back),
        )),
        (false, None) => Some(recency),
    };
    match prof.cadence {
        Cadence::Random => {
            for k in 0..n_orders {
                let back = match fixed {
                    Some(f) if k == 0 => f,
                    _ => order_day(cal, table, rng, recency, start_back),
                };
                s.orders.push((back, sample_sec(rng, &prof.hours)));
            }
        }
        Cadence::Regular { gap, jitter } => {
            let first = match fixed {
                Some(f) => f,
                None => order_day(cal, table, rng, recency, start_back),
            };
            let g = uniform(rng, gap.0, gap.1).max(1.0);
            for k in 0..n_orders {
                let centre = f64::from(first) + f64::from(k) * g;
                if centre > f64::from(start_back) {
                    break;
                }
                let back = if k == 0 {
                    first
                } else {
                    (centre + jitter * normal(rng))
                        .round()
                        .clamp(f64::from(first), f64::from(start_back)) as u32
                };
                s.orders.push((back, sample_sec(rng, &prof.hours)));
            }
        }
        Cadence::Bursty { bursts, width } => {
            let lo = bursts.0.max(1);
            let n_bursts = rng.gen_range(lo..=bursts.1.max(lo));
            let first = match fixed {
                Some(f) => f,
                None => order_day(cal, table, rng, recency, start_back),
            };
            s.bursts.clear();
            s.bursts.push(first);
            for _ in 1..n_bursts {
                let b = order_day(cal, table, rng, first, start_back);
                s.bursts.push(b);
            }
            for k in 0..n_orders {
                let back = if k == 0 {
                    first
                } else {
                    let centre = s.bursts[rng.gen_range(0..s.bursts.len())];
                    let off = exponential(rng, width) as u32;
                    centre.saturating_add(off).min(start_back)
                };
                s.orders.push((back, sample_sec(rng, &prof.hours)));
            }
        }
    }
    s.orders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
}

fn normalise(w: &mut [f64; NCAT]) {
    let total: f64 = w.iter().sum();
    if total > 0.0 {
        for x in w.iter_mut() {
            *x /= total;
        }
    } else {
        *w = [1.0 / NCAT as f64; NCAT];
    }
}

/// Writes the shop described by `spec` into `opts.out` and its truth to `truth_path` (both
/// already validated). Same options and spec => byte-identical files.
pub(super) fn write_shop(
    opts: &DemoOptions,
    spec: &ShopSpec<'_>,
    truth_path: PathBuf,
) -> Result<DemoSummary, DemoError> {
    if spec.archetypes.is_empty() {
        return Err(DemoError::Invalid(
            "a shop needs at least one archetype".into(),
        ));
    }
    let cal = Calendar::new()?;
    let noise = spec.noise;
    let arches: Vec<&Archetype> = spec.archetypes.iter().map(|a| a.0).collect();
    let shares: Vec<f64> = spec.archetypes.iter().map(|a| a.1).collect();
    let tables: Vec<Option<Vec<f64>>> = arches
        .iter()
        .map(|a| match &a.profile.days {
            DayWeights::Demo => None,
            DayWeights::Custom { months, weekdays } => Some(cal.day_table(months, weekdays)),
        })
        .collect();

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut ev_rng = ChaCha8Rng::seed_from_u64(opts.seed);
    ev_rng.set_stream(1);
    let mut rv_rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rv_rng.set_stream(2);

    let cat = Catalogue::generate(&mut rng);
    let mut products = Sink::create(
        opts.out.join("products.csv"),
        "product_id,name,category,brand,price,launch_date",
    )?;
    cat.write(&mut products, &cal)?;

    let mut customers = Sink::create(
        opts.out.join("customers.csv"),
        "customer_id,signup_date,country,city,gender,channel,age",
    )?;
    let mut orders = Sink::create(
        opts.out.join("orders.csv"),
        "order_id,customer_id,order_date,product_id,category,unit_price,quantity,discount,returned",
    )?;
    let mut events = if opts.events {
        Some(Sink::create(
            opts.out.join("events.csv"),
            "customer_id,event_time,event_type,product_id,category,query",
        )?)
    } else {
        None
    };
    let mut reviews = if opts.reviews {
        Some(Sink::create(
            opts.out.join("reviews.csv"),
            "customer_id,product_id,review_date,rating,text",
        )?)
    } else {
        None
    };
    let mut truth = Sink::create(truth_path.clone(), "customer_id,archetype")?;

    let archetypes = assign_archetypes(&mut rng, &shares, opts.customers);
    let country_weights: Vec<f64> = COUNTRIES.iter().map(|c| c.1).collect();
    let mut counts = vec![0usize; arches.len()];
    let mut n_lines = 0usize;
    let mut n_events = 0usize;
    let mut n_reviews = 0usize;
    let mut order_no = 0usize;
    let mut s = Scratch::default();
    let spread2 = noise.spread * noise.spread;
    let mut fav = [0usize; NCAT];

    for (idx, &arch) in archetypes.iter().enumerate() {
        let cid = idx + 1;
        counts[arch] += 1;
        let archetype = arches[arch];
        let table = tables[arch].as_deref();
        // --- hybrids: the whole behaviour moves towards another archetype of the shop
        let hybrid;
        let prof: &Profile =
            if noise.hybrid_p > 0.0 && arches.len() > 1 && rng.gen::<f64>() < noise.hybrid_p {
                let mut other = rng.gen_range(0..arches.len() - 1);
                if other >= arch {
                    other += 1;
                }
                let t = uniform(&mut rng, 0.2, 0.45);
                hybrid = archetype.profile.blend(&arches[other].profile, t);
                &hybrid
            } else {
                &archetype.profile
            };

        // --- who they are
        let signup_back = rng.gen_range(prof.signup_back.0..=prof.signup_back.1);
        let country = weighted(&mut rng, &country_weights);
        let city = choose(&mut rng, COUNTRIES[country].2);
        let gender = weighted(&mut rng, &prof.gender);
        let channel = weighted(&mut rng, &prof.channel);
        let age = (prof.age.0 + prof.age.1 * normal(&mut rng))
            .round()
            .clamp(16.0, 85.0) as u64;

        // --- their own parameters
        let mut w = [0.0f64; NCAT];
        for (wc, base) in w.iter_mut().zip(prof.cat_weights.iter()) {
            *wc = base * gamma(&mut rng, 10.0 / spread2);
        }
        normalise(&mut w);
        if rng.gen::<f64>() < noise.secondary_p {
            let mut other = rng.gen_range(0..arches.len().saturating_sub(1).max(1));
            if other >= arch && arches.len() > 1 {
                other += 1;
            }
            let blend = uniform(&mut rng, 0.2, 0.35);
            let mut ow = arches[other].profile.cat_weights;
            normalise(&mut ow);
            for (wc, o) in w.iter_mut().zip(ow.iter()) {
                *wc = (1.0 - blend) * *wc + blend * o;
            }
        }
        let price_pref = beta(&mut rng, (prof.price_pref.0, prof.price_pref.1 / spread2));
        let disc_p = beta(&mut rng, (prof.disc_prob.0, prof.disc_prob.1 / spread2));
        let disc_centre = uniform(&mut rng, prof.disc_depth.0, prof.disc_depth.1);
        let ret_p = beta(&mut rng, (prof.return_rate.0, prof.return_rate.1 / spread2));
        let activity = (0.35 * noise.spread * normal(&mut rng)).exp();
        if prof.brand_loyalty > 0.0 {
            for (c, f) in fav.iter_mut().enumerate() {
                *f = rng.gen_range(0..cat.brands(c).max(1));
            }
        }

        // --- orders
        let n_orders = match prof.orders {
            OrderCount::LogNormal {
                median,
                sigma,
                min,
                max,
            } => ((median * (sigma * noise.spread * normal(&mut rng)).exp()).round() as u32)
                .clamp(min, max),
            OrderCount::Small(p) => weighted(&mut rng, &p) as u32,
        };
        order_times(&mut s, &mut rng, &cal, table, prof, n_orders, signup_back);

        s.bought.clear();
        let basket = prof.basket;
        for &(back, sec) in &s.orders {
            order_no += 1;
            let n_lines_here = 1 + poisson(&mut rng, prof.lines_extra).min(basket.lines_max);
            s.lines.clear();
            for _ in 0..n_lines_here {
                let repeat =
                    prof.repeat_p > 0.0 && !s.bought.is_empty() && rng.gen::<f64>() < prof.repeat_p;
                let (c, product) = if repeat {
                    let p = s.bought[rng.gen_range(0..s.bought.len())].0;
                    (cat.products[p].cat, p)
                } else {
                    let c = if rng.gen::<f64>() < noise.one_off_p {
                        rng.gen_range(0..NCAT)
                    } else {
                        weighted(&mut rng, &w)
                    };
                    let p = if prof.brand_loyalty > 0.0 && rng.gen::<f64>() < prof.brand_loyalty {
                        cat.pick_brand(&mut rng, c, fav[c], price_pref, back)
                    } else {
                        cat.pick(&mut rng, c, price_pref, back, prof.new_bias)
                    };
                    (c, p)
                };
                let extra = if c == GROCERY { 0.5 } else { 0.0 };
                let mut qty = 1 + poisson(&mut rng, prof.qty_extra + extra).min(basket.qty_max);
                if basket.bulk_p > 0.0 && rng.gen::<f64>() < basket.bulk_p {
                    qty =
                        rng.gen_range(basket.bulk_qty.0..=basket.bulk_qty.1.max(basket.bulk_qty.0));
                }
                match s.lines.iter_mut().find(|l| l.product == product) {
                    Some(l) => l.qty += qty,
                    None => s.lines.push(Line { product, qty }),
                }
            }
            for line in &s.lines {
                let p = &cat.products[line.product];
                let total = p.cents * i64::from(line.qty);
                let discount = if rng.gen::<f64>() < disc_p {
                    let depth = (disc_centre + 0.05 * normal(&mut rng))
                        .clamp(prof.depth_clamp.0, prof.depth_clamp.1);
                    ((total as f64 * depth).round() as i64).clamp(0, total)
                } else {
                    0
                };
                let returned = rng.gen::<f64>() < (ret_p * RETURN_FACTOR[p.cat]).min(0.9);
                let b = &mut orders.buf;
                push_id(b, b'O', order_no, 7);
                b.push(b',');
                push_id(b, b'C', cid, 6);
                b.push(b',');
                b.extend_from_slice(cal.date(back));
                b.push(b' ');
                push_time(b, sec);
                b.push(b',');
                push_id(b, b'P', line.product + 1, 5);
                b.push(b',');
                b.extend_from_slice(CATEGORIES[p.cat].as_bytes());
                b.push(b',');
                push_money(b, p.cents);
                b.push(b',');
                push_uint(b, u64::from(line.qty));
                b.push(b',');
                push_money(b, discount);
                b.push(b',');
                b.extend_from_slice(if returned { b"true" } else { b"false" });
                b.push(b'\n');
                n_lines += 1;
                s.bought.push((line.product, back));
            }
            orders.flush_if_full()?;
        }

        // --- event and review volumes (always drawn, so flags never shift the main stream)
        let mut ev_counts = [0u32; 5];
        for (k, count) in ev_counts.iter_mut().enumerate() {
            *count = if k == EV_SEARCH {
                if rng.gen::<f64>() < prof.searcher {
                    1 + poisson(&mut rng, prof.events[k] * activity)
                } else {
                    0
                }
            } else {
                poisson(&mut rng, prof.events[k] * activity)
            };
        }
        let wants_reviews = rng.gen::<f64>() < prof.reviewer;
        let review_target = if wants_reviews {
            (1 + poisson(&mut rng, prof.reviews_extra)).min(4) as usize
        } else {
            0
        };

        // --- customer + truth rows
        {
            let b = &mut customers.buf;
            push_id(b, b'C', cid, 6);
            b.push(b',');
            b.extend_from_slice(cal.date(signup_back));
            b.push(b',');
            push_field(b, COUNTRIES[country].0);
            b.push(b',');
            push_field(b, city);
            b.push(b',');
            b.extend_from_slice(GENDERS[gender].as_bytes());
            b.push(b',');
            b.extend_from_slice(CHANNELS[channel].as_bytes());
            b.push(b',');
            push_uint(b, age);
            b.push(b'\n');
            customers.flush_if_full()?;
            let t = &mut truth.buf;
            push_id(t, b'C', cid, 6);
            t.push(b',');
            t.extend_from_slice(archetype.name.as_bytes());
            t.push(b'\n');
            truth.flush_if_full()?;
        }

        // --- events
        if let Some(sink) = events.as_mut() {
            let mut ev_w = w;
            if prof.uniform_browse {
                for x in ev_w.iter_mut() {
                    *x = gamma(&mut ev_rng, 20.0);
                }
            } else {
                for x in ev_w.iter_mut() {
                    *x = 0.85 * *x + 0.15 / NCAT as f64;
                }
            }
            s.events.clear();
            s.queries.clear();
            let window = signup_back.min(EVENT_WINDOW);
            for (kind, &count) in ev_counts.iter().enumerate() {
                for _ in 0..count {
                    let back = match table {
                        Some(t) => Calendar::table_back(t, &mut ev_rng, 0, window),
                        None => ev_rng.gen_range(0..=window),
                    };
                    let sec = sample_sec(&mut ev_rng, &prof.hours);
                    let mut c = weighted(&mut ev_rng, &ev_w);
                    let (product, query) = if kind == EV_SEARCH {
                        let start = s.queries.len();
                        build_query(&mut s.queries, &mut ev_rng, archetype.queries, &mut c);
                        (None, (start, s.queries.len()))
                    } else if prof.brand_loyalty > 0.0 && ev_rng.gen::<f64>() < prof.brand_loyalty {
                        let p = cat.pick_brand(&mut ev_rng, c, fav[c], price_pref, back);
                        (Some(p), (0, 0))
                    } else {
                        let p = cat.pick(&mut ev_rng, c, price_pref, back, prof.new_bias);
                        (Some(p), (0, 0))
                    };
                    s.events.push(Event {
                        back,
                        sec,
                        kind,
                        product,
                        cat: c,
                        query,
                    });
                }
            }
            s.events.sort_by(|a, b| {
                b.back
                    .cmp(&a.back)
                    .then(a.sec.cmp(&b.sec))
                    .then(a.kind.cmp(&b.kind))
            });
            for e in &s.events {
                let b = &mut sink.buf;
                push_id(b, b'C', cid, 6);
                b.push(b',');
                b.extend_from_slice(cal.date(e.back));
                b.push(b' ');
                push_time(b, e.sec);
                b.push(b',');
                b.extend_from_slice(EVENT_TYPES[e.kind].as_bytes());
                b.push(b',');
                if let Some(p) = e.product {
                    push_id(b, b'P', p + 1, 5);
                }
                b.push(b',');
                b.extend_from_slice(CATEGORIES[e.cat].as_bytes());
                b.push(b',');
                push_field(b, s.queries.get(e.query.0..e.query.1).unwrap_or(""));
                b.push(b'\n');
                n_events += 1;
                sink.flush_if_full()?;
            }
        }

        // --- reviews
        if let Some(sink) = reviews.as_mut() {
            if review_target > 0 && !s.bought.is_empty() {
                s.reviews.clear();
                let rating_mean = prof.rating_mean + 0.35 * normal(&mut rv_rng);
                let mut tries = 0;
                while s.reviews.len() < review_target && tries < review_target * 4 {
                    tries += 1;
                    let Some(&(product, back)) = s.bought.choose(&mut rv_rng) else {
                        break;
                    };
                    if s.reviews.iter().any(|r| r.1 == product) {
                        continue;
                    }
                    let rating = (rating_mean + 0.8 * normal(&mut rv_rng))
                        .round()
                        .clamp(1.0, 5.0) as u32;
                    let theme = if rv_rng.gen::<f64>() < archetype.theme_p {
                        archetype.theme
                    } else if rv_rng.gen::<f64>() < 0.75 {
                        THEME_GENERIC
                    } else {
                        rv_rng.gen_range(0..NTHEMES)
                    };
                    let p = &cat.products[product];
                    let theme = resolve_theme(theme, p.cat);
                    let ctx = FillCtx {
                        product: &p.name,
                        noun: p.noun,
                        brand: p.brand,
                        cat: p.cat,
                    };
                    build_review(&mut s.text, &mut rv_rng, theme, rating, &ctx);
                    let review_back = back.saturating_sub(rv_rng.gen_range(2..=20));
                    s.reviews
                        .push((review_back, product, rating, s.text.clone()));
                }
                s.reviews.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                for (back, product, rating, text) in &s.reviews {
                    let b = &mut sink.buf;
                    push_id(b, b'C', cid, 6);
                    b.push(b',');
                    push_id(b, b'P', product + 1, 5);
                    b.push(b',');
                    b.extend_from_slice(cal.date(*back));
                    b.push(b',');
                    // About one review in eight carries no star rating (imported from elsewhere,
                    // or the shop made stars optional): its sentiment must come from the text.
                    // Derived from ids, not the generator's random stream, so all else is unchanged.
                    if (cid as u64 * 7 + *product as u64 * 13) % 8 != 3 {
                        push_uint(b, u64::from(*rating));
                    }
                    b.push(b',');
                    push_field(b, text);
                    b.push(b'\n');
                    n_reviews += 1;
                }
                sink.flush_if_full()?;
            }
        }
    }

    products.commit()?;
    customers.commit()?;
    orders.commit()?;
    if let Some(sink) = events {
        sink.commit()?;
    } else {
        remove_stale(&opts.out.join("events.csv"))?;
    }
    if let Some(sink) = reviews {
        sink.commit()?;
    } else {
        remove_stale(&opts.out.join("reviews.csv"))?;
    }
    truth.commit()?;

    Ok(DemoSummary {
        customers: opts.customers,
        order_lines: n_lines,
        events: n_events,
        reviews: n_reviews,
        truth_path,
        archetype_counts: arches.iter().map(|a| a.name).zip(counts).collect(),
    })
}
