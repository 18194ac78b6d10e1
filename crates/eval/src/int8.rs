//! Integer-exact evaluation: the lowered TOSA graph run by the bit-exact interpreter, so the
//! reported PSNR / accuracy is what the deployed model computes.

use candle_core::{Device, Tensor as CTensor};
use vgforge_graph::Task;
use vgforge_lower::IoQuant;
use vgforge_train::data::make_batch;
use vgforge_train::model::upsample;
use vgforge_train::{EvalOptions, ImageSet, Metrics, Target};

use crate::error::{Error, Result};

/// NCHW f32 -> quantized NHWC int8.
pub fn quantize_nchw(x: &[f32], [n, c, h, w]: [usize; 4], io: &IoQuant) -> Vec<i8> {
    let mut out = Vec::with_capacity(x.len());
    for b in 0..n {
        for y in 0..h {
            for xx in 0..w {
                for ch in 0..c {
                    out.push(io.quantize_input(x[((b * c + ch) * h + y) * w + xx]));
                }
            }
        }
    }
    out
}

/// Dequantized NHWC int8 -> NCHW f32 (rank-2 outputs keep their order).
pub fn dequantize_to_nchw(q: &[i8], shape: &[usize], scale: f32, zp: i32) -> Vec<f32> {
    let deq = |v: i8| scale * (i32::from(v) - zp) as f32;
    match *shape {
        [n, h, w, c] => {
            let mut out = vec![0f32; q.len()];
            for b in 0..n {
                for y in 0..h {
                    for xx in 0..w {
                        for ch in 0..c {
                            out[((b * c + ch) * h + y) * w + xx] =
                                deq(q[((b * h + y) * w + xx) * c + ch]);
                        }
                    }
                }
            }
            out
        }
        _ => q.iter().map(|&v| deq(v)).collect(),
    }
}

/// Quantize the NCHW f32 `input` with `io`, run it through `exec` (int8 NHWC in, int8 out) and
/// return the dequantized output, NCHW, with the output's own shape.
pub fn run_quantized(
    exec: &mut Exec<'_>,
    io: &IoQuant,
    input: &CTensor,
) -> Result<(Vec<f32>, Vec<usize>)> {
    let dims: [usize; 4] = input
        .dims()
        .try_into()
        .map_err(|_| Error::Data(format!("model input must be NCHW, got {:?}", input.dims())))?;
    let x = input.flatten_all()?.to_vec1::<f32>()?;
    let q = quantize_nchw(&x, dims, io);
    let [n, c, h, w] = dims;
    let y = exec(&vgforge_tosa::Tensor::i8(vec![n, h, w, c], q)?)?;
    let vgforge_tosa::TensorData::I8(v) = &y.data else {
        return Err(Error::Data(format!("the model output is {}, not int8", y.dtype)));
    };
    Ok((dequantize_to_nchw(v, &y.shape, io.output_scale, io.output_zp), y.shape.clone()))
}

/// Run `tosa` in the interpreter on the NCHW f32 `input` (quantized with `io`) and return the
/// dequantized output, NCHW, with its NHWC shape.
pub fn run_int8(
    tosa: &vgforge_tosa::Graph,
    io: &IoQuant,
    input: &CTensor,
) -> Result<(Vec<f32>, Vec<usize>)> {
    run_quantized(&mut interpreter(tosa), io, input)
}

/// Something that runs a deployed int8 model: one int8 NHWC batch in, its int8 output out.
pub type Exec<'a> = dyn FnMut(&vgforge_tosa::Tensor) -> Result<vgforge_tosa::Tensor> + 'a;

fn interpreter(
    tosa: &vgforge_tosa::Graph,
) -> impl FnMut(&vgforge_tosa::Tensor) -> Result<vgforge_tosa::Tensor> + '_ {
    move |x| {
        let out = vgforge_tosa::interp::run_batched(tosa, std::slice::from_ref(x))?;
        out.into_iter().next().ok_or_else(|| Error::Data("the tosa graph has no output".into()))
    }
}

/// Evaluate the int8 TOSA graph on `set` in file order: PSNR (mean over batches of
/// `10 log10(1 / MSE)`, next to the bilinear baseline) for upscalers, top-1 accuracy for
/// classifiers, exactly as `vgforge_train::evaluate_set` does for fp32.
pub fn eval_int8(
    tosa: &vgforge_tosa::Graph,
    io: &IoQuant,
    set: &ImageSet,
    task: Task,
    opts: EvalOptions,
) -> Result<Metrics> {
    eval_int8_with(&mut interpreter(tosa), io, set, task, opts)
}

/// [`eval_int8`] with any executor of the deployed model (the Vulkan runner, say), so every
/// backend is measured by the same metric code.
pub fn eval_int8_with(
    exec: &mut Exec<'_>,
    io: &IoQuant,
    set: &ImageSet,
    task: Task,
    opts: EvalOptions,
) -> Result<Metrics> {
    if opts.batch_size == 0 {
        return Err(Error::Data("eval.batch_size: must be at least 1".into()));
    }
    let idx: Vec<usize> = (0..set.len()).collect();
    let mut chunks: Vec<&[usize]> = idx.chunks(opts.batch_size).collect();
    if let Some(m) = opts.max_batches {
        chunks.truncate(m);
    }
    if chunks.is_empty() {
        return Err(Error::Data("the evaluation split holds no images".into()));
    }
    let (mut loss_sum, mut psnr_sum, mut base_sum, mut hits, mut samples) =
        (0f64, 0f64, 0f64, 0usize, 0usize);
    for chunk in &chunks {
        let batch = make_batch(set, chunk, task, &Device::Cpu)?;
        let (y, _) = run_quantized(exec, io, &batch.input)?;
        samples += chunk.len();
        match (&batch.target, task) {
            (Target::Image(t), Task::Upscale { scale }) => {
                let t = t.flatten_all()?.to_vec1::<f32>()?;
                if t.len() != y.len() {
                    return Err(Error::Data(format!(
                        "model output has {} values, target {}",
                        y.len(),
                        t.len()
                    )));
                }
                let err = mse(&y, &t);
                loss_sum += err;
                psnr_sum += 10.0 * (1.0 / err).log10();
                let base = upsample::bilinear(&batch.input, scale, false)?
                    .flatten_all()?
                    .to_vec1::<f32>()?;
                base_sum += 10.0 * (1.0 / mse(&base, &t)).log10();
            }
            (Target::Labels(l), Task::Classify { classes }) => {
                let labels = l.to_vec1::<u32>()?;
                if y.len() != labels.len() * classes {
                    return Err(Error::Data(format!(
                        "model output has {} values for {} images of {classes} classes",
                        y.len(),
                        labels.len()
                    )));
                }
                let mut ce = 0f64;
                for (row, &lab) in y.chunks(classes).zip(&labels) {
                    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let lse = f64::from(m)
                        + row.iter().map(|&v| f64::from(v - m).exp()).sum::<f64>().ln();
                    ce += lse - f64::from(row[lab as usize]);
                    let arg =
                        row.iter().enumerate().fold(0, |b, (i, &v)| if v > row[b] { i } else { b });
                    hits += usize::from(arg == lab as usize);
                }
                loss_sum += ce / labels.len() as f64;
            }
            _ => return Err(Error::Data("the batch target does not match the task".into())),
        }
    }
    let nb = chunks.len() as f64;
    let upscale = matches!(task, Task::Upscale { .. });
    Ok(Metrics {
        loss: loss_sum / nb,
        psnr_db: upscale.then_some(psnr_sum / nb),
        bilinear_psnr_db: upscale.then_some(base_sum / nb),
        accuracy: (!upscale).then_some(hits as f64 / samples as f64),
        samples,
        batches: chunks.len(),
    })
}

fn mse(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>()
        / a.len().max(1) as f64
}
