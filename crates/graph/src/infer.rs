//! Output shapes of layers, shared by spec building and validation.

use crate::{Error, Op, Result};

fn conv_out(
    node: &str,
    op: &Op,
    size: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
) -> Result<usize> {
    let span = d * (k - 1) + 1;
    if s == 0 || k == 0 || d == 0 {
        return Err(invalid(node, op, "kernel, stride and dilation must be at least 1".into()));
    }
    if size + 2 * p < span {
        return Err(invalid(
            node,
            op,
            format!("input size {size} with padding {p} is smaller than the kernel span {span}"),
        ));
    }
    Ok((size + 2 * p - span) / s + 1)
}

fn invalid(node: &str, op: &Op, msg: String) -> Error {
    Error::Invalid { node: node.into(), op: op.kind(), msg }
}

/// Shape of the node's output, given the shapes of its inputs in operand order.
pub fn output_shape(node: &str, op: &Op, inputs: &[&[usize]]) -> Result<Vec<usize>> {
    let need = |n: usize, m: usize| {
        if inputs.len() < n || inputs.len() > m {
            Err(invalid(node, op, format!("takes {n}..={m} inputs, got {}", inputs.len())))
        } else {
            Ok(())
        }
    };
    let nchw = |s: &[usize]| -> Result<[usize; 4]> {
        s.try_into()
            .map_err(|_| invalid(node, op, format!("expects an NCHW input, got shape {s:?}")))
    };
    match op {
        Op::Conv2d { kernel, stride, padding, dilation, groups } => {
            need(2, 3)?;
            let [n, c, h, w] = nchw(inputs[0])?;
            let wt = inputs[1];
            if wt.len() != 4 || wt[2] != kernel[0] || wt[3] != kernel[1] {
                return Err(invalid(
                    node,
                    op,
                    format!("weight shape {wt:?} does not match kernel {kernel:?}"),
                ));
            }
            if *groups == 0
                || !c.is_multiple_of(*groups)
                || !wt[0].is_multiple_of(*groups)
                || wt[1] * groups != c
            {
                return Err(invalid(
                    node,
                    op,
                    format!("weight {wt:?} with {groups} groups does not fit {c} input channels"),
                ));
            }
            if inputs.len() == 3 && inputs[2] != [wt[0]] {
                return Err(invalid(
                    node,
                    op,
                    format!("bias shape {:?}, expected [{}]", inputs[2], wt[0]),
                ));
            }
            let oh = conv_out(node, op, h, kernel[0], stride[0], padding[0], dilation[0])?;
            let ow = conv_out(node, op, w, kernel[1], stride[1], padding[1], dilation[1])?;
            Ok(vec![n, wt[0], oh, ow])
        }
        Op::BatchNorm { eps, momentum } => {
            need(5, 5)?;
            let [_, c, _, _] = nchw(inputs[0])?;
            if eps.is_nan() || *eps <= 0.0 || !(0.0..=1.0).contains(momentum) {
                return Err(invalid(
                    node,
                    op,
                    format!("eps {eps} must be > 0 and momentum {momentum} in [0,1]"),
                ));
            }
            for s in &inputs[1..] {
                if *s != [c] {
                    return Err(invalid(
                        node,
                        op,
                        format!("parameter shape {s:?}, expected [{c}]"),
                    ));
                }
            }
            Ok(inputs[0].to_vec())
        }
        Op::Relu => {
            need(1, 1)?;
            Ok(inputs[0].to_vec())
        }
        Op::MaxPool2d { kernel, stride, padding } | Op::AvgPool2d { kernel, stride, padding } => {
            need(1, 1)?;
            let [n, c, h, w] = nchw(inputs[0])?;
            if padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1] {
                return Err(invalid(node, op, "padding must be at most half the kernel".into()));
            }
            let oh = conv_out(node, op, h, kernel[0], stride[0], padding[0], 1)?;
            let ow = conv_out(node, op, w, kernel[1], stride[1], padding[1], 1)?;
            Ok(vec![n, c, oh, ow])
        }
        Op::GlobalAvgPool => {
            need(1, 1)?;
            let [n, c, _, _] = nchw(inputs[0])?;
            Ok(vec![n, c, 1, 1])
        }
        Op::Upsample { scale, .. } => {
            need(1, 1)?;
            let [n, c, h, w] = nchw(inputs[0])?;
            if *scale == 0 {
                return Err(invalid(node, op, "scale must be at least 1".into()));
            }
            Ok(vec![n, c, h * scale, w * scale])
        }
        Op::Flatten => {
            need(1, 1)?;
            let s = inputs[0];
            if s.is_empty() {
                return Err(invalid(node, op, "cannot flatten a scalar".into()));
            }
            Ok(vec![s[0], s[1..].iter().product()])
        }
        Op::Linear => {
            need(2, 3)?;
            let x = inputs[0];
            let wt = inputs[1];
            if x.len() != 2 || wt.len() != 2 || wt[1] != x[1] {
                return Err(invalid(
                    node,
                    op,
                    format!(
                        "input {x:?} and weight {wt:?} do not fit (expects [N,in] and [out,in])"
                    ),
                ));
            }
            if inputs.len() == 3 && inputs[2] != [wt[0]] {
                return Err(invalid(
                    node,
                    op,
                    format!("bias shape {:?}, expected [{}]", inputs[2], wt[0]),
                ));
            }
            Ok(vec![x[0], wt[0]])
        }
        Op::Add => {
            need(2, 2)?;
            if inputs[0] != inputs[1] {
                return Err(invalid(
                    node,
                    op,
                    format!("operand shapes differ: {:?} and {:?}", inputs[0], inputs[1]),
                ));
            }
            Ok(inputs[0].to_vec())
        }
    }
}
