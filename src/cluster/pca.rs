//! A 2-D principal-component projection of every customer, for the segment map.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::Serialize;

/// Map coordinates plus how much of the variance the two axes explain.
#[derive(Debug, Clone, Serialize)]
pub struct Projection {
    #[serde(skip)]
    pub x: Vec<f64>,
    #[serde(skip)]
    pub y: Vec<f64>,
    /// Share of total variance on each axis.
    pub explained: [f64; 2],
}

/// Projects rows of `data` onto its first two principal components. Component signs are fixed so
/// each component's largest loading is positive, which keeps maps identical across runs.
pub fn pca_2d(data: ArrayView2<f64>) -> Projection {
    let n = data.nrows();
    let p = data.ncols();
    if n == 0 || p == 0 {
        return Projection {
            x: vec![0.0; n],
            y: vec![0.0; n],
            explained: [0.0, 0.0],
        };
    }
    let mean = data.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p));
    let centered = &data - &mean;
    let cov = centered.t().dot(&centered) / (n.max(2) - 1) as f64;
    let (values, vectors) = jacobi_eigen(cov);
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum::<f64>().max(1e-12);
    let mut axes = Vec::new();
    let mut explained = [0.0; 2];
    for (slot, &j) in order.iter().take(2).enumerate() {
        let mut v = vectors.column(j).to_owned();
        let lead = v
            .iter()
            .fold(0.0f64, |a, &b| if b.abs() > a.abs() { b } else { a });
        if lead < 0.0 {
            v.mapv_inplace(|x| -x);
        }
        explained[slot] = values[j].max(0.0) / total;
        axes.push(centered.dot(&v).to_vec());
    }
    let y = if axes.len() > 1 {
        axes.pop().unwrap_or_default()
    } else {
        vec![0.0; n]
    };
    let x = axes.pop().unwrap_or_else(|| vec![0.0; n]);
    Projection { x, y, explained }
}

/// Leading principal components of a data matrix.
#[derive(Debug, Clone)]
pub struct Components {
    /// Column means the components are centred on.
    pub mean: Array1<f64>,
    /// `k x p`, unit rows, strongest first.
    pub components: Array2<f64>,
    /// Variance along each component.
    pub variances: Vec<f64>,
    /// Share of the total variance the components keep.
    pub explained: f64,
}

/// The `k` leading principal components of `data` (rows are observations), by subspace iteration
/// on the covariance with a Rayleigh-Ritz step: exact to rounding for the leading axes, and cheap
/// when `k` is much smaller than the number of columns. Deterministic for a given `seed`.
pub fn top_components(data: ArrayView2<f64>, k: usize, seed: u64) -> Components {
    use rand::{Rng, SeedableRng};
    let (n, p) = data.dim();
    let k = k.min(p);
    let mean = data.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p));
    if n < 2 || k == 0 {
        return Components {
            mean,
            components: Array2::zeros((0, p)),
            variances: vec![],
            explained: 0.0,
        };
    }
    let centered = &data - &mean;
    let cov = centered.t().dot(&centered) / (n - 1) as f64;
    let total: f64 = cov.diag().iter().sum::<f64>().max(1e-300);
    let width = (k + 6).min(p);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut q = Array2::from_shape_fn((p, width), |_| rng.gen::<f64>() - 0.5);
    orthonormalise(&mut q);
    for _ in 0..300 {
        let mut z = cov.dot(&q);
        orthonormalise(&mut z);
        // Converged when the new basis spans the old one (|Q^T Z| has unit singular values).
        let overlap = q.t().dot(&z);
        let drift: f64 = (0..width)
            .map(|j| 1.0 - overlap.column(j).iter().map(|x| x * x).sum::<f64>())
            .fold(0.0, f64::max);
        q = z;
        if drift < 1e-12 {
            break;
        }
    }
    let small = q.t().dot(&cov).dot(&q);
    let (values, vectors) = jacobi_eigen(small);
    let mut order: Vec<usize> = (0..width).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut components = Array2::zeros((k, p));
    let mut variances = Vec::with_capacity(k);
    for (row, &j) in order.iter().take(k).enumerate() {
        let mut v = q.dot(&vectors.column(j));
        let lead = v
            .iter()
            .fold(0.0f64, |a, &b| if b.abs() > a.abs() { b } else { a });
        if lead < 0.0 {
            v.mapv_inplace(|x| -x);
        }
        components.row_mut(row).assign(&v);
        variances.push(values[j].max(0.0));
    }
    let explained = variances.iter().sum::<f64>() / total;
    Components {
        mean,
        components,
        variances,
        explained,
    }
}

/// Modified Gram-Schmidt on the columns of `m`, in place.
fn orthonormalise(m: &mut Array2<f64>) {
    let cols = m.ncols();
    for j in 0..cols {
        for i in 0..j {
            let d = m.column(i).dot(&m.column(j));
            let ci = m.column(i).to_owned();
            m.column_mut(j).scaled_add(-d, &ci);
        }
        let norm = m.column(j).dot(&m.column(j)).sqrt();
        if norm > 1e-300 {
            m.column_mut(j).mapv_inplace(|x| x / norm);
        }
    }
}

/// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations.
fn jacobi_eigen(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut v = Array2::<f64>::eye(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]] * a[[i, j]])
            .sum();
        if off < 1e-20 {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                if a[[p, q]].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[[i, i]]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn eigen_of_known_matrix() {
        let (vals, vecs) = jacobi_eigen(array![[2.0, 1.0], [1.0, 2.0]]);
        let mut v = vals.clone();
        v.sort_by(f64::total_cmp);
        assert!((v[0] - 1.0).abs() < 1e-10 && (v[1] - 3.0).abs() < 1e-10);
        let i = if vals[0] > vals[1] { 0 } else { 1 };
        assert!((vecs[[0, i]].abs() - 0.5f64.sqrt()).abs() < 1e-10);
    }

    #[test]
    fn top_components_match_full_eigen() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        // 40 columns with decreasing spread, mixed by a fixed rotation of the first two.
        let data = Array2::from_shape_fn((500, 40), |(_, j)| {
            (rng.gen::<f64>() - 0.5) * (40 - j) as f64
        });
        let c = top_components(data.view(), 3, 1);
        let mean = data.mean_axis(Axis(0)).unwrap();
        let centered = &data - &mean;
        let cov = centered.t().dot(&centered) / 499.0;
        let (vals, _) = jacobi_eigen(cov);
        let mut vals = vals;
        vals.sort_by(|a, b| b.total_cmp(a));
        for i in 0..3 {
            assert!((c.variances[i] - vals[i]).abs() < 1e-6 * vals[0], "{i}");
        }
        assert!(c.explained > 0.0 && c.explained < 1.0);
        let again = top_components(data.view(), 3, 1);
        assert_eq!(c.components, again.components);
    }

    #[test]
    fn first_axis_follows_the_spread() {
        // Points along the line y = x with small noise: PC1 explains almost everything.
        let data = array![[0.0, 0.1], [1.0, 0.9], [2.0, 2.1], [3.0, 2.9], [4.0, 4.0]];
        let p = pca_2d(data.view());
        assert!(p.explained[0] > 0.98, "{:?}", p.explained);
        assert!(p.x[4] > p.x[0]);
        let again = pca_2d(data.view());
        assert_eq!(p.x, again.x);
    }
}
