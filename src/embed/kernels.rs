//! Row kernels of the packed CPU encoder: bias + GELU, bias + residual + LayerNorm, and attention
//! over one packed sequence. Written so LLVM vectorises them (branch-free exp and erf, sums in
//! eight lanes, inner loops over contiguous memory) and compiled twice: for the baseline target
//! and for AVX2 + FMA, picked at run time. The matrix products stay with candle (gemm).

use candle_transformers::models::bert::HiddenAct;

/// Whether the AVX2 + FMA versions can run on this CPU (checked once).
pub fn simd() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// e^x for f32 (Cephes expf scheme, relative error about 1e-7), branch-free.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.3, 88.376_26);
    let fx = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - fx * 0.693_359_4 + fx * 2.121_944_4e-4;
    let r2 = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * r2 + r + 1.0;
    let bits = ((fx as i32 + 127) as u32) << 23;
    y * f32::from_bits(bits)
}

/// erf for f32 (Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7 in exact arithmetic,
/// 5e-7 in f32), branch-free.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = ((((1.061_405_4 * t - 1.453_152_1) * t + 1.421_413_7) * t - 0.284_496_72) * t
        + 0.254_829_6)
        * t;
    (1.0 - poly * exp(-a * a)).copysign(x)
}

#[inline(always)]
fn sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = x.chunks_exact(8);
    let rest: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    acc.iter().sum::<f32>() + rest
}

#[inline(always)]
fn centred_sq_sum(x: &[f32], mean: f32) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = x.chunks_exact(8);
    let rest: f32 = chunks
        .remainder()
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum();
    for c in chunks {
        for k in 0..8 {
            let d = c[k] - mean;
            acc[k] += d * d;
        }
    }
    acc.iter().sum::<f32>() + rest
}

#[inline(always)]
fn max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    for c in chunks {
        for k in 0..8 {
            acc[k] = if c[k] > acc[k] { c[k] } else { acc[k] };
        }
    }
    acc.iter().fold(rest, |a, &b| a.max(b))
}

/// LayerNorm parameters.
pub struct Norm {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
    pub eps: f32,
}

#[inline(always)]
fn layer_norm_row_impl(row: &mut [f32], n: &Norm) {
    let len = row.len() as f32;
    let mean = sum(row) / len;
    let var = centred_sq_sum(row, mean) / len;
    let inv = 1.0 / (var + n.eps).sqrt();
    for ((v, g), b) in row.iter_mut().zip(&n.gamma).zip(&n.beta) {
        *v = (*v - mean) * inv * g + b;
    }
}

#[inline(always)]
fn add_norm_impl(rows: &mut [f32], res: &[f32], bias: &[f32], n: &Norm) {
    let w = bias.len();
    for (row, rr) in rows.chunks_exact_mut(w).zip(res.chunks_exact(w)) {
        for ((v, b), r) in row.iter_mut().zip(bias).zip(rr) {
            *v += b + r;
        }
        layer_norm_row_impl(row, n);
    }
}

#[inline(always)]
fn bias_act_impl(rows: &mut [f32], bias: &[f32], act: HiddenAct) {
    let w = bias.len();
    for row in rows.chunks_exact_mut(w) {
        match act {
            HiddenAct::Gelu => {
                for (v, b) in row.iter_mut().zip(bias) {
                    let y = *v + b;
                    *v = 0.5 * y * (1.0 + erf(y * std::f32::consts::FRAC_1_SQRT_2));
                }
            }
            HiddenAct::GeluApproximate => {
                for (v, b) in row.iter_mut().zip(bias) {
                    let y = *v + b;
                    // tanh(u) = 1 - 2 / (e^{2u} + 1)
                    let u = 0.797_884_6 * (y + 0.044_715 * y * y * y);
                    *v = 0.5 * y * (2.0 - 2.0 / (exp(2.0 * u) + 1.0));
                }
            }
            HiddenAct::Relu => {
                for (v, b) in row.iter_mut().zip(bias) {
                    *v = (*v + b).max(0.0);
                }
            }
        }
    }
}

/// Scratch space of the attention kernel, reused across heads and sequences.
#[derive(Default)]
pub struct AttnScratch {
    q: Vec<f32>,
    kt: Vec<f32>,
    s: Vec<f32>,
}

/// Self-attention of one packed sequence: `qkv` holds its `n` rows of `[Q | K | V]` (width 3h,
/// bias not yet added); `ctx` (`n x h`, zeroed) receives the context vectors.
///
/// Keys are stored transposed with the sequence padded to a multiple of 8, so scores are
/// computed as whole-vector multiply-adds over the sequence; V is read in place, its bias added
/// once at the end (the attention weights sum to 1).
#[inline(always)]
fn attention_impl(
    qkv: &[f32],
    bias: &[f32],
    heads: usize,
    ctx: &mut [f32],
    scratch: &mut AttnScratch,
) {
    let h = bias.len() / 3;
    let n = ctx.len() / h;
    if n == 0 {
        return;
    }
    let d = h / heads;
    let n8 = n.div_ceil(8) * 8;
    let scale = 1.0 / (d as f32).sqrt();
    let AttnScratch { q, kt, s } = scratch;
    q.resize(n * d, 0.0);
    kt.clear();
    kt.resize(d * n8, 0.0);
    s.resize(n8, 0.0);
    let (bq, rest) = bias.split_at(h);
    let (bk, bv) = rest.split_at(h);
    for head in 0..heads {
        let c = head * d;
        let (bq, bk, bv) = (&bq[c..c + d], &bk[c..c + d], &bv[c..c + d]);
        for (t, row) in qkv.chunks_exact(3 * h).enumerate() {
            let qt = &mut q[t * d..(t + 1) * d];
            for ((o, x), b) in qt.iter_mut().zip(&row[c..c + d]).zip(bq) {
                *o = (x + b) * scale;
            }
            for (j, (x, b)) in row[h + c..h + c + d].iter().zip(bk).enumerate() {
                kt[j * n8 + t] = x + b;
            }
        }
        for (t, qt) in q.chunks_exact(d).enumerate() {
            s.fill(0.0);
            for (qv, krow) in qt.iter().zip(kt.chunks_exact(n8)) {
                for (x, k) in s.iter_mut().zip(krow) {
                    *x += qv * k;
                }
            }
            for x in &mut s[n..] {
                *x = f32::NEG_INFINITY;
            }
            let m = max(s);
            for x in s.iter_mut() {
                *x = exp(*x - m);
            }
            let inv = 1.0 / sum(s);
            let o = &mut ctx[t * h + c..t * h + c + d];
            for (p, row) in s.iter().zip(qkv.chunks_exact(3 * h)) {
                let w = p * inv;
                for (o, x) in o.iter_mut().zip(&row[2 * h + c..2 * h + c + d]) {
                    *o += w * x;
                }
            }
            for (o, b) in o.iter_mut().zip(bv) {
                *o += b;
            }
        }
    }
}

macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident, $avx:ident, $imp:ident, ($($arg:ident : $ty:ty),*)) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx($($arg: $ty),*) {
            $imp($($arg),*)
        }

        $(#[$doc])*
        pub fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if simd() {
                // SAFETY: the CPU supports AVX2 and FMA (checked by `simd`).
                return unsafe { $avx($($arg),*) };
            }
            $imp($($arg),*)
        }
    };
}

dispatch!(
    /// `rows = LayerNorm(rows + bias + res)`, row by row.
    add_norm, add_norm_avx2, add_norm_impl,
    (rows: &mut [f32], res: &[f32], bias: &[f32], n: &Norm)
);
dispatch!(
    /// `rows = act(rows + bias)`, row by row.
    bias_act, bias_act_avx2, bias_act_impl,
    (rows: &mut [f32], bias: &[f32], act: HiddenAct)
);
dispatch!(
    /// LayerNorm of one row in place.
    layer_norm_row, layer_norm_row_avx2, layer_norm_row_impl,
    (row: &mut [f32], n: &Norm)
);
dispatch!(
    /// Self-attention of one packed sequence (see `attention_impl`).
    attention, attention_avx2, attention_impl,
    (qkv: &[f32], bias: &[f32], heads: usize, ctx: &mut [f32], scratch: &mut AttnScratch)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        for x in [-20.0f32, -3.3, -1.0, -0.1, 0.0, 0.5, 1.0, 4.2, 30.0] {
            let want = x.exp();
            assert!(
                ((exp(x) - want) / want).abs() < 3e-7,
                "exp({x}) = {} vs {want}",
                exp(x)
            );
        }
        assert!(exp(-200.0) < 1e-37);
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0f32, 0.0f32),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-1.5, -0.966_105_1),
            (3.0, 0.999_977_9),
        ] {
            assert!((erf(x) - want).abs() < 5e-7, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn simd_and_plain_kernels_agree() {
        let n = Norm {
            gamma: (0..24).map(|i| 1.0 + i as f32 * 0.01).collect(),
            beta: (0..24).map(|i| i as f32 * 0.001).collect(),
            eps: 1e-12,
        };
        let rows: Vec<f32> = (0..48).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.3).collect();
        let res: Vec<f32> = (0..48).map(|i| (i % 5) as f32 * 0.1).collect();
        let bias = vec![0.05f32; 24];
        let mut a = rows.clone();
        let mut b = rows.clone();
        add_norm(&mut a, &res, &bias, &n);
        add_norm_impl(&mut b, &res, &bias, &n);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5);
        }
        let mut a = rows.clone();
        let mut b = rows;
        bias_act(&mut a, &bias, HiddenAct::Gelu);
        bias_act_impl(&mut b, &bias, HiddenAct::Gelu);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-6);
        }
    }

    #[test]
    fn attention_of_one_token_returns_its_value() {
        // One token, one head of width 2: softmax over a single key is 1, so ctx = v + bias.
        let qkv = [0.3f32, -0.2, 1.0, 2.0, 5.0, 7.0];
        let bias = [0.0f32, 0.0, 0.0, 0.0, 1.0, -1.0];
        let mut ctx = [0f32; 2];
        attention(&qkv, &bias, 1, &mut ctx, &mut AttnScratch::default());
        assert!((ctx[0] - 6.0).abs() < 1e-6 && (ctx[1] - 6.0).abs() < 1e-6);
    }
}
