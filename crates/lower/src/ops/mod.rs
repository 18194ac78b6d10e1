//! One lowering per layer kind.

mod add;
mod conv;
mod pool;
mod relu;
mod resize;
mod shape;

use vgforge_graph::{Graph, Node, Op};
use vgforge_tosa::DType;

use crate::Precision;
use crate::ctx::{Lowerer, Q, Value};
use crate::error::{Error, Result};

/// Reject layers that have no lowering, naming the layer and the reason, before anything is
/// built.
pub(crate) fn check_supported(g: &Graph, precision: Precision) -> Result<()> {
    for n in &g.nodes {
        let kind = n.op.kind();
        let fail = |reason: String| Err(Error::unsupported(&n.name, kind, reason));
        match &n.op {
            Op::Conv2d { groups, .. } if *groups != 1 => {
                return fail(format!("grouped convolution (groups = {groups}) is not supported"));
            }
            Op::BatchNorm { .. } if precision == Precision::Int8 => {
                return fail(
                    "batch norm must be folded into the preceding convolution before int8 lowering"
                        .into(),
                );
            }
            Op::AvgPool2d { padding, .. } if padding.iter().any(|&p| p > 0) => {
                return fail(
                    "average pooling with padding counts padded zeros in the model but not in TOSA"
                        .into(),
                );
            }
            Op::Upsample { scale, .. } if *scale > 16 => {
                return fail(format!("upsampling by {scale} exceeds the TOSA limit of 16"));
            }
            _ => {}
        }
        if n.outputs.len() != 1 {
            return fail(format!(
                "has {} outputs; every layer must have exactly one",
                n.outputs.len()
            ));
        }
    }
    Ok(())
}

pub(crate) fn lower_node(cx: &mut Lowerer<'_>, n: &Node) -> Result<()> {
    match &n.op {
        Op::Conv2d { stride, padding, dilation, .. } => {
            conv::conv2d(cx, n, *stride, *padding, *dilation)
        }
        Op::Linear => conv::linear(cx, n),
        Op::BatchNorm { eps, .. } => shape::batch_norm(cx, n, *eps),
        Op::Relu => relu::relu(cx, n),
        Op::MaxPool2d { kernel, stride, padding } => {
            pool::max_pool(cx, n, *kernel, *stride, *padding)
        }
        Op::AvgPool2d { kernel, stride, .. } => pool::avg_pool(cx, n, *kernel, *stride),
        Op::GlobalAvgPool => pool::global_avg_pool(cx, n),
        Op::Upsample { scale, mode } => resize::upsample(cx, n, *scale, *mode),
        Op::Flatten => shape::flatten(cx, n),
        Op::Add => add::add(cx, n),
    }
}

/// The first input of a layer, which every layer has.
pub(crate) fn input0(cx: &Lowerer<'_>, n: &Node) -> Result<Value> {
    let name =
        n.inputs.first().ok_or_else(|| cx.gerr(format!("layer '{}' has no input", n.name)))?;
    cx.value(name)
}

/// `[N, H, W, C]` of an NHWC value.
pub(crate) fn nhwc(n: &Node, v: &Value) -> Result<[usize; 4]> {
    v.shape.as_slice().try_into().map_err(|_| {
        Error::unsupported(
            &n.name,
            n.op.kind(),
            format!("expects a 4-d feature map, got shape {:?}", v.shape),
        )
    })
}

/// Re-quantise an int8 value from `from` to `to` (no op when they are equal).
pub(crate) fn requant(cx: &mut Lowerer<'_>, v: Value, from: Q, to: Q) -> Result<Value> {
    if from.scale == to.scale && from.zp == to.zp {
        return Ok(v);
    }
    let scale = f64::from(from.scale) / f64::from(to.scale);
    let name = cx.rescale(&v.name, DType::Int8, DType::Int8, &v.shape, &[scale], from.zp, to.zp)?;
    Ok(Value { name, ..v })
}

/// Padding `(before, after)` for one spatial axis such that TOSA's exact output-size rule gives
/// `out`, trimming the trailing padding that PyTorch's floor division would not read anyway.
pub(crate) fn fit_pad(
    n: &Node,
    size: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    out: usize,
) -> Result<(i32, i32)> {
    let span = dilation * (kernel.max(1) - 1) + 1;
    let bad = |why: String| Error::unsupported(&n.name, n.op.kind(), why);
    if stride == 0 || size + 2 * pad < span {
        return Err(bad(format!(
            "kernel span {span} and stride {stride} do not fit input size {size}"
        )));
    }
    let total = size + 2 * pad - span;
    let rem = total % stride;
    if rem > pad {
        return Err(bad(format!(
            "input size {size} leaves {rem} unread rows/columns at stride {stride}, more than the padding {pad}; TOSA needs an exact fit"
        )));
    }
    let after = pad - rem;
    if (size + pad + after - span) / stride + 1 != out {
        return Err(bad(format!("computed output size does not match the declared {out}")));
    }
    Ok((pad as i32, after as i32))
}
