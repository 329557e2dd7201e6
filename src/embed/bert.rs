//! The BERT encoder behind sentence embeddings, in two shapes over the same safetensors weights.
//!
//! - [`PackedBert`] (CPU): sequences are packed end to end without padding, so a batch is one
//!   `[tokens, hidden]` matrix. The dense layers are candle matrix products with the weights
//!   pre-transposed once; everything between them is fused into three candle custom ops
//!   (attention per sequence and head with the QKV bias folded in, bias + activation, and
//!   bias + residual + LayerNorm), each one pass over memory, parallel over rows, the last two in
//!   place. The kernels themselves live in [`super::kernels`].
//! - [`PaddedBert`] (GPU, and a cross-check on CPU in tests): candle-transformers' `BertModel` on
//!   padded batches with an attention mask.
//!
//! Both return mean-pooled, L2-normalised vectors, as sentence-transformers does.

use std::path::Path;

use candle_core::{
    CpuStorage, CustomOp1, DType, Device, InplaceOp1, InplaceOp2, Layout, Shape, Tensor,
};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, HiddenAct};
use rayon::prelude::*;

use super::kernels::{self, AttnScratch, Norm};

/// Rows handed to one rayon task in the row-wise ops.
const ROWS_PER_TASK: usize = 16;

/// Weights of one encoder layer, transposed to `[in, out]` for row-major products.
struct Layer {
    wqkv: Tensor,
    bqkv: Vec<f32>,
    wo: Tensor,
    bo: Vec<f32>,
    ln1: Norm,
    wi: Tensor,
    bi: Vec<f32>,
    wo2: Tensor,
    bo2: Vec<f32>,
    ln2: Norm,
}

/// BERT on packed, unpadded sequences (CPU).
pub struct PackedBert {
    hidden: usize,
    heads: usize,
    act: HiddenAct,
    word: Vec<f32>,
    pos: Vec<f32>,
    type0: Vec<f32>,
    max_pos: usize,
    emb_norm: Norm,
    layers: Vec<Layer>,
}

fn vec1(vb: &VarBuilder, name: &str, len: usize) -> candle_core::Result<Vec<f32>> {
    vb.get(len, name)?.to_vec1::<f32>()
}

fn norm(vb: &VarBuilder, hidden: usize, eps: f64) -> candle_core::Result<Norm> {
    Ok(Norm {
        gamma: vec1(vb, "weight", hidden)?,
        beta: vec1(vb, "bias", hidden)?,
        eps: eps as f32,
    })
}

/// `[out, in]` weight as a contiguous `[in, out]` tensor.
fn transposed(vb: &VarBuilder, out: usize, inp: usize) -> candle_core::Result<Tensor> {
    vb.get((out, inp), "weight")?.t()?.contiguous()
}

/// Finds the prefix under which the encoder's tensors are stored ("", "bert", or the model type).
fn root<'a>(vb: VarBuilder<'a>, config: &Config) -> VarBuilder<'a> {
    let probe = "embeddings.word_embeddings.weight";
    if vb.contains_tensor(probe) {
        return vb;
    }
    for prefix in ["bert", config.model_type.as_deref().unwrap_or("bert")] {
        let sub = vb.pp(prefix);
        if sub.contains_tensor(probe) {
            return sub;
        }
    }
    vb
}

/// Loads the safetensors file through candle's memory map.
pub fn var_builder<'a>(weights: &Path, device: &Device) -> candle_core::Result<VarBuilder<'a>> {
    // SAFETY: the file is memory-mapped read-only; seglens never writes model files while running.
    unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, device) }
}

impl PackedBert {
    /// Loads the weights for the packed CPU encoder.
    pub fn load(weights: &Path, config: &Config) -> candle_core::Result<Self> {
        let vb = root(var_builder(weights, &Device::Cpu)?, config);
        let h = config.hidden_size;
        let inter = config.intermediate_size;
        let emb = vb.pp("embeddings");
        let word = emb
            .pp("word_embeddings")
            .get((config.vocab_size, h), "weight")?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let pos = emb
            .pp("position_embeddings")
            .get((config.max_position_embeddings, h), "weight")?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let type0 = match emb
            .pp("token_type_embeddings")
            .get((config.type_vocab_size, h), "weight")
        {
            Ok(t) => t.get(0)?.to_vec1::<f32>()?,
            Err(_) => vec![0.0; h],
        };
        let emb_norm = norm(&emb.pp("LayerNorm"), h, config.layer_norm_eps)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let att = l.pp("attention");
            let sa = att.pp("self");
            let (q, k, v) = (sa.pp("query"), sa.pp("key"), sa.pp("value"));
            let wqkv = Tensor::cat(
                &[
                    transposed(&q, h, h)?,
                    transposed(&k, h, h)?,
                    transposed(&v, h, h)?,
                ],
                1,
            )?
            .contiguous()?;
            let mut bqkv = vec1(&q, "bias", h)?;
            bqkv.extend(vec1(&k, "bias", h)?);
            bqkv.extend(vec1(&v, "bias", h)?);
            let out = att.pp("output");
            let inter_vb = l.pp("intermediate").pp("dense");
            let out2 = l.pp("output");
            layers.push(Layer {
                wqkv,
                bqkv,
                wo: transposed(&out.pp("dense"), h, h)?,
                bo: vec1(&out.pp("dense"), "bias", h)?,
                ln1: norm(&out.pp("LayerNorm"), h, config.layer_norm_eps)?,
                wi: transposed(&inter_vb, inter, h)?,
                bi: vec1(&inter_vb, "bias", inter)?,
                wo2: transposed(&out2.pp("dense"), h, inter)?,
                bo2: vec1(&out2.pp("dense"), "bias", h)?,
                ln2: norm(&out2.pp("LayerNorm"), h, config.layer_norm_eps)?,
            });
        }
        Ok(Self {
            hidden: h,
            heads: config.num_attention_heads,
            act: config.hidden_act,
            word,
            pos,
            type0,
            max_pos: config.max_position_embeddings,
            emb_norm,
            layers,
        })
    }

    /// Embeds token sequences: `[n, hidden]` mean-pooled, L2-normalised vectors, row-major.
    pub fn embed(&self, seqs: &[&[u32]]) -> candle_core::Result<Vec<f32>> {
        let h = self.hidden;
        let mut offsets = Vec::with_capacity(seqs.len() + 1);
        offsets.push(0usize);
        for s in seqs {
            let len = s.len().min(self.max_pos);
            offsets.push(offsets[offsets.len() - 1] + len);
        }
        let total = offsets[offsets.len() - 1];
        if total == 0 {
            return Ok(vec![0.0; seqs.len() * h]);
        }
        let vocab = self.word.len() / h;
        let mut x = vec![0f32; total * h];
        split_by_offsets(&mut x, &offsets, h)
            .into_par_iter()
            .zip(seqs.par_iter())
            .for_each(|(rows, ids)| {
                for (p, (row, &id)) in rows.chunks_mut(h).zip(ids.iter()).enumerate() {
                    let id = (id as usize).min(vocab - 1);
                    let w = &self.word[id * h..(id + 1) * h];
                    let pe = &self.pos[p * h..(p + 1) * h];
                    for (((o, a), b), c) in row.iter_mut().zip(w).zip(pe).zip(&self.type0) {
                        *o = a + b + c;
                    }
                    kernels::layer_norm_row(row, &self.emb_norm);
                }
            });
        let mut x = Tensor::from_vec(x, (total, h), &Device::Cpu)?;
        for l in &self.layers {
            let qkv = x.matmul(&l.wqkv)?;
            let ctx = qkv.apply_op1_no_bwd(&Attention {
                bias: &l.bqkv,
                offsets: &offsets,
                heads: self.heads,
                hidden: h,
            })?;
            let x1 = ctx.matmul(&l.wo)?;
            x1.inplace_op2(
                &x,
                &AddNorm {
                    bias: &l.bo,
                    norm: &l.ln1,
                },
            )?;
            let inter = x1.matmul(&l.wi)?;
            inter.inplace_op1(&BiasAct {
                bias: &l.bi,
                act: self.act,
            })?;
            let x2 = inter.matmul(&l.wo2)?;
            x2.inplace_op2(
                &x1,
                &AddNorm {
                    bias: &l.bo2,
                    norm: &l.ln2,
                },
            )?;
            x = x2;
        }
        let x = x.flatten_all()?.to_vec1::<f32>()?;
        let mut out = vec![0f32; seqs.len() * h];
        out.par_chunks_mut(h)
            .enumerate()
            .for_each(|(i, o)| mean_pool(&x[offsets[i] * h..offsets[i + 1] * h], h, o));
        Ok(out)
    }
}

/// Mean of `rows` (`[n, h]`) into `out`, then L2 normalisation.
fn mean_pool(rows: &[f32], h: usize, out: &mut [f32]) {
    let n = rows.len() / h;
    if n == 0 {
        return;
    }
    for row in rows.chunks_exact(h) {
        for (o, v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
    normalise(out);
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

/// Splits a packed `[tokens, h]` buffer into one mutable slice per sequence.
fn split_by_offsets<'a>(mut buf: &'a mut [f32], offsets: &[usize], h: usize) -> Vec<&'a mut [f32]> {
    let mut parts = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (head, tail) = buf.split_at_mut((w[1] - w[0]) * h);
        parts.push(head);
        buf = tail;
    }
    parts
}

fn contiguous_f32<'a>(
    s: &'a CpuStorage,
    l: &Layout,
    op: &'static str,
) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("{op}: expected f32 storage")
    };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&v[a..b]),
        None => candle_core::bail!("{op}: expected a contiguous tensor"),
    }
}

fn contiguous_f32_mut<'a>(
    s: &'a mut CpuStorage,
    l: &Layout,
    op: &'static str,
) -> candle_core::Result<&'a mut [f32]> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("{op}: expected f32 storage")
    };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&mut v[a..b]),
        None => candle_core::bail!("{op}: expected a contiguous tensor"),
    }
}

/// Multi-head self-attention over packed sequences; input `[T, 3H]` (Q | K | V without bias).
struct Attention<'a> {
    bias: &'a [f32],
    offsets: &'a [usize],
    heads: usize,
    hidden: usize,
}

impl CustomOp1 for Attention<'_> {
    fn name(&self) -> &'static str {
        "seglens-packed-attention"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let qkv = contiguous_f32(s, l, self.name())?;
        let h = self.hidden;
        let total = self.offsets[self.offsets.len() - 1];
        let mut out = vec![0f32; total * h];
        let starts = &self.offsets[..self.offsets.len() - 1];
        split_by_offsets(&mut out, self.offsets, h)
            .into_par_iter()
            .zip(starts.par_iter())
            .for_each_init(AttnScratch::default, |scratch, (ctx, &start)| {
                let n = ctx.len() / h;
                let rows = &qkv[start * 3 * h..(start + n) * 3 * h];
                kernels::attention(rows, self.bias, self.heads, ctx, scratch);
            });
        Ok((CpuStorage::F32(out), Shape::from((total, h))))
    }
}

/// `act(x + bias)` in place, row by row.
struct BiasAct<'a> {
    bias: &'a [f32],
    act: HiddenAct,
}

impl InplaceOp1 for BiasAct<'_> {
    fn name(&self) -> &'static str {
        "seglens-bias-act"
    }

    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> candle_core::Result<()> {
        let x = contiguous_f32_mut(s, l, self.name())?;
        let w = self.bias.len();
        x.par_chunks_mut(w * ROWS_PER_TASK)
            .for_each(|rows| kernels::bias_act(rows, self.bias, self.act));
        Ok(())
    }
}

/// `LayerNorm(x + bias + residual)` in place, row by row.
struct AddNorm<'a> {
    bias: &'a [f32],
    norm: &'a Norm,
}

impl InplaceOp2 for AddNorm<'_> {
    fn name(&self) -> &'static str {
        "seglens-add-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        let r = contiguous_f32(s2, l2, self.name())?;
        let x = contiguous_f32_mut(s1, l1, self.name())?;
        if x.len() != r.len() {
            candle_core::bail!("{}: shape mismatch", self.name());
        }
        let w = self.bias.len();
        x.par_chunks_mut(w * ROWS_PER_TASK)
            .zip(r.par_chunks(w * ROWS_PER_TASK))
            .for_each(|(rows, res)| kernels::add_norm(rows, res, self.bias, self.norm));
        Ok(())
    }
}

/// candle-transformers' BERT on padded batches: the GPU path.
pub struct PaddedBert {
    model: BertModel,
    device: Device,
    max_pos: usize,
}

impl PaddedBert {
    /// Loads the weights onto `device`.
    pub fn load(weights: &Path, config: &Config, device: &Device) -> candle_core::Result<Self> {
        let vb = var_builder(weights, device)?;
        let model = BertModel::load(vb, config)?;
        Ok(Self {
            model,
            device: device.clone(),
            max_pos: config.max_position_embeddings,
        })
    }

    /// Same contract as [`PackedBert::embed`].
    pub fn embed(&self, seqs: &[&[u32]]) -> candle_core::Result<Vec<f32>> {
        let n = seqs.len();
        let len = seqs
            .iter()
            .map(|s| s.len().min(self.max_pos))
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = vec![0u32; n * len];
        let mut mask = vec![0f32; n * len];
        for (i, s) in seqs.iter().enumerate() {
            for (j, &t) in s.iter().take(len).enumerate() {
                ids[i * len + j] = t;
                mask[i * len + j] = 1.0;
            }
        }
        let ids = Tensor::from_vec(ids, (n, len), &self.device)?;
        let types = ids.zeros_like()?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        let summed = hidden.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
        let counts = mask.sum_keepdim(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        mean.broadcast_div(&norm)?
            .to_device(&Device::Cpu)?
            .flatten_all()?
            .to_vec1::<f32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_by_offsets_gives_each_sequence_its_rows() {
        let mut buf = vec![0f32; 6 * 2];
        let parts = split_by_offsets(&mut buf, &[0, 1, 1, 6], 2);
        let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lens, vec![2, 0, 10]);
    }

    #[test]
    fn mean_pool_normalises() {
        let mut out = vec![0f32; 2];
        mean_pool(&[3.0, 0.0, 1.0, 4.0], 2, &mut out);
        let n = (out[0] * out[0] + out[1] * out[1]).sqrt();
        assert!((n - 1.0).abs() < 1e-6);
        assert!((out[0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }
}
