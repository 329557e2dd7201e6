//! Random helpers for the generator.
//!
//! This module owns the small samplers (normal, gamma, beta, Poisson, weighted choice, time
//! of day) written against one `ChaCha8Rng`, kept local so no distribution constructor can
//! fail and the draw order stays exactly as the demo's bytes require.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

pub(super) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

pub(super) fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.gen::<f64>()
}

/// Gamma(shape, 1) by Marsaglia–Tsang.
pub(super) fn gamma(rng: &mut ChaCha8Rng, shape: f64) -> f64 {
    if shape <= 0.0 {
        return 0.0;
    }
    if shape < 1.0 {
        let u: f64 = rng.gen();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = rng.gen();
        if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// Beta distribution parameterised by mean and concentration (a + b).
pub(super) fn beta(rng: &mut ChaCha8Rng, (mean, conc): (f64, f64)) -> f64 {
    let x = gamma(rng, mean * conc);
    let y = gamma(rng, (1.0 - mean) * conc);
    if x + y > 0.0 {
        x / (x + y)
    } else {
        mean
    }
}

pub(super) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let limit = (-lambda).exp();
        let mut k = 0u32;
        let mut p = rng.gen::<f64>();
        while p > limit {
            k += 1;
            p *= rng.gen::<f64>();
        }
        k
    } else {
        (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32
    }
}

pub(super) fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.gen::<f64>()).ln()
}

pub(super) fn weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut r = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    weights.len().saturating_sub(1)
}

pub(super) fn choose<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or("")
}

/// Seconds since midnight, following an archetype's daily traffic curve.
pub(super) fn sample_sec(rng: &mut ChaCha8Rng, hours: &[f64; 24]) -> u32 {
    let hour = weighted(rng, hours) as u32;
    hour * 3600 + rng.gen_range(0..3600)
}
