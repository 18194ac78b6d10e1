//! Batch normalisation. Training mode normalises with the batch statistics
//! and updates the running ones (PyTorch: unbiased variance, `momentum` is
//! the weight of the new value); the running statistics are written with
//! `Var::set` and never reach an optimizer.

use candle_core::{Tensor, Var};

/// `p` is γ, β, running mean, running var.
pub fn forward(
    x: &Tensor,
    p: [&Var; 4],
    eps: f64,
    momentum: f64,
    train: bool,
) -> Result<Tensor, String> {
    inner(x, p, eps, momentum, train).map_err(|e| e.to_string())
}

fn channel_mean(t: &Tensor) -> candle_core::Result<Tensor> {
    let (n, c, h, w) = t.dims4()?;
    // Reduce the contiguous spatial axis first; Candle's multi-axis
    // reductions over strided axes are much slower.
    t.reshape((n, c, h * w))?.mean(2)?.mean(0)
}

fn inner(
    x: &Tensor,
    [gamma, beta, rmean, rvar]: [&Var; 4],
    eps: f64,
    momentum: f64,
    train: bool,
) -> candle_core::Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let shape = (1, c, 1, 1);
    let (mean, var) = if train {
        let count = n * h * w;
        if count < 2 {
            candle_core::bail!(
                "training needs more than one value per channel, got input {:?}",
                x.dims()
            )
        }
        let mean = channel_mean(x)?;
        let centred = x.broadcast_sub(&mean.reshape(shape)?)?;
        let var = channel_mean(&centred.sqr()?)?;
        let unbiased = (var.detach() * (count as f64 / (count - 1) as f64))?;
        rmean.set(
            &((rmean.as_tensor().detach() * (1.0 - momentum))? + (mean.detach() * momentum)?)?,
        )?;
        rvar.set(&((rvar.as_tensor().detach() * (1.0 - momentum))? + (unbiased * momentum)?)?)?;
        (mean, var)
    } else {
        (rmean.as_tensor().clone(), rvar.as_tensor().clone())
    };
    let inv = (var + eps)?.sqrt()?.recip()?;
    let scale = (gamma.as_tensor() * inv)?;
    let shift = (beta.as_tensor() - (&mean * &scale)?)?;
    x.broadcast_mul(&scale.reshape(shape)?)?.broadcast_add(&shift.reshape(shape)?)
}
