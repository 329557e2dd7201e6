//! Turning features into the clustering matrix: shrinkage of thin rates toward the population mean,
//! log1p for skewed counts and money, median imputation of missing values, robust standardisation
//! ((x - median) / (IQR / 1.349)), clipping, and weights.
//!
//! Shrinkage (empirical Bayes): a rate resting on `s` observations becomes
//! `(x * s + a * m) / (s + a)` with `m` the population mean and `a = features.shrinkage`
//! pseudo-observations. One returned line out of one is weak evidence of a "returner"; without it,
//! customers with one or two orders scatter to the corners of the feature space and split segments.

use ndarray::Array2;

use super::{Features, Transform};
use crate::config::Config;

/// The clustering matrix and how it was made, so profiles and later runs can map back.
#[derive(Debug, Clone)]
pub struct Scaled {
    /// customers x used features.
    pub matrix: Array2<f64>,
    /// Names of the columns of `matrix` (features with weight 0 are left out).
    pub names: Vec<String>,
    pub center: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
}

/// Builds the scaled, weighted matrix from `features`.
pub fn scale(features: &Features, cfg: &Config) -> Scaled {
    let n = features.len();
    let used: Vec<(&super::Feature, f64)> = features
        .features
        .iter()
        .map(|f| (f, cfg.feature_weight(&f.name)))
        .filter(|(_, w)| *w > 0.0)
        .collect();
    let p = used.len();
    let mut matrix = Array2::<f64>::zeros((n, p));
    let (mut names, mut center, mut scales, mut weights) = (vec![], vec![], vec![], vec![]);
    for (j, (f, w)) in used.iter().enumerate() {
        let values = shrink(&f.values, f.support.as_deref(), cfg.features.shrinkage);
        let mut x: Vec<f64> = values
            .iter()
            .map(|v| match f.transform {
                Transform::Log1p => v.max(0.0).ln_1p(),
                Transform::Identity => *v,
            })
            .collect();
        let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
        let med = quantile(&finite, 0.5).unwrap_or(0.0);
        for v in x.iter_mut() {
            if !v.is_finite() {
                *v = med;
            }
        }
        let s = robust_scale(&x);
        let clip = cfg.features.clip;
        for (i, v) in x.iter().enumerate() {
            matrix[[i, j]] = ((v - med) / s).clamp(-clip, clip) * w;
        }
        names.push(f.name.clone());
        center.push(med);
        scales.push(s);
        weights.push(*w);
    }
    Scaled {
        matrix,
        names,
        center,
        scale: scales,
        weights,
    }
}

/// Shrinks each value toward the mean of the defined values by `prior` pseudo-observations; values
/// without support (undefined) become the mean. Without support or prior, values pass unchanged.
pub fn shrink(values: &[f64], support: Option<&[f64]>, prior: f64) -> Vec<f64> {
    let Some(support) = support.filter(|_| prior > 0.0) else {
        return values.to_vec();
    };
    let defined: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if defined.is_empty() {
        return values.to_vec();
    }
    let m = defined.iter().sum::<f64>() / defined.len() as f64;
    values
        .iter()
        .zip(support)
        .map(|(&x, &s)| {
            if x.is_finite() && s > 0.0 {
                (x * s + prior * m) / (s + prior)
            } else {
                m
            }
        })
        .collect()
}

/// IQR / 1.349 (the normal-equivalent standard deviation), but never below half the standard
/// deviation: a share that is 0 for most customers has a tiny IQR, and dividing by it would let that
/// one feature dominate every distance. 1 when the feature is constant.
fn robust_scale(x: &[f64]) -> f64 {
    let q1 = quantile(x, 0.25).unwrap_or(0.0);
    let q3 = quantile(x, 0.75).unwrap_or(0.0);
    let iqr = (q3 - q1) / 1.349;
    let n = x.len().max(1) as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let s = iqr.max(sd / 2.0);
    if s > 1e-9 {
        s
    } else {
        1.0
    }
}

/// Linear-interpolated quantile of unsorted values.
pub fn quantile(x: &[f64], q: f64) -> Option<f64> {
    if x.is_empty() {
        return None;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn shrinkage_pulls_thin_rates_to_the_mean() {
        // Mean of defined values = (1 + 0) / 2 = 0.5; prior of 2 pseudo-observations.
        let v = shrink(&[1.0, 0.0, f64::NAN], Some(&[1.0, 98.0, 0.0]), 2.0);
        assert!((v[0] - (1.0 + 1.0) / 3.0).abs() < 1e-12);
        assert!((v[1] - 1.0 / 100.0).abs() < 1e-12);
        assert!((v[2] - 0.5).abs() < 1e-12);
        assert_eq!(shrink(&[1.0, 0.0], Some(&[1.0, 1.0]), 0.0), vec![1.0, 0.0]);
        assert_eq!(shrink(&[1.0, 0.0], None, 2.0), vec![1.0, 0.0]);
    }

    #[test]
    fn robust_scale_fallbacks() {
        assert!((robust_scale(&[1.0, 2.0, 3.0, 4.0, 5.0]) - 2.0 / 1.349).abs() < 1e-12);
        // Mostly zeros: IQR is 0, half the standard deviation (3.307 / 2) is the floor.
        let s = robust_scale(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0]);
        assert!((s - 3.307_189_138_830_738 / 2.0).abs() < 1e-9, "{s}");
        assert_eq!(robust_scale(&[2.0, 2.0]), 1.0);
    }
}
