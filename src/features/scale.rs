//! Turning features into the clustering matrix: log1p for skewed counts and money, median imputation
//! of missing values, robust standardisation ((x - median) / (IQR / 1.349)), clipping, and weights.

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
        let mut x: Vec<f64> = f
            .values
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

/// IQR / 1.349 (the normal-equivalent standard deviation); falls back to the standard deviation when
/// most values are equal, and to 1 when the feature is constant.
fn robust_scale(x: &[f64]) -> f64 {
    let q1 = quantile(x, 0.25).unwrap_or(0.0);
    let q3 = quantile(x, 0.75).unwrap_or(0.0);
    let iqr = (q3 - q1) / 1.349;
    if iqr > 1e-9 {
        return iqr;
    }
    let n = x.len().max(1) as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd > 1e-9 {
        sd
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
    fn robust_scale_fallbacks() {
        assert!((robust_scale(&[1.0, 2.0, 3.0, 4.0, 5.0]) - 2.0 / 1.349).abs() < 1e-12);
        // Mostly zeros: IQR is 0, the standard deviation is used.
        let s = robust_scale(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0]);
        assert!(s > 3.0 && s < 3.5, "{s}");
        assert_eq!(robust_scale(&[2.0, 2.0]), 1.0);
    }
}
