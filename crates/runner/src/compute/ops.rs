//! Lowering of the element-wise, pooling, resize and matmul operators.

use vgforge_tosa::{DType, NanMode, Op, Operator, ResizeMode};

use super::lower::{Lowerer, bad_op, numel, storage, unsupported_op};
use super::plan::Storage;
use crate::error::Result;
use crate::vk::Kernel;

fn io<'g>(
    l: &Lowerer<'g>,
    op: &Operator,
) -> Result<(&'g vgforge_tosa::TensorDecl, &'g vgforge_tosa::TensorDecl)> {
    let x = l.h_decl(op, l.h_input(op, 0)?)?;
    let out = op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?;
    Ok((x, l.h_decl(op, out)?))
}

fn nhwc(op: &Operator, shape: &[usize], what: &str) -> Result<[usize; 4]> {
    <[usize; 4]>::try_from(shape)
        .map_err(|_| bad_op(op, format!("{what} shape {shape:?} is not NHWC")))
}

pub(super) fn clamp(l: &mut Lowerer<'_>, op: &Operator) -> Result<()> {
    let Op::Clamp { min_val, max_val, nan_mode } = &op.op else {
        return Err(bad_op(op, "not CLAMP"));
    };
    let (xd, od) = io(l, op)?;
    if xd.shape != od.shape || xd.dtype != od.dtype {
        return Err(bad_op(op, "output differs from input in shape or type"));
    }
    let (kernel, st) = match xd.dtype {
        DType::Int8 => (Kernel::ClampI8, Storage::I8),
        DType::Int16 | DType::Int32 => (Kernel::ClampI32, Storage::I32),
        DType::Fp32 => (Kernel::ClampF32, Storage::F32),
        other => return Err(unsupported_op(op, format!("type {other}"))),
    };
    let (lo, hi, flo, fhi) = match (min_val.as_i64(), max_val.as_i64()) {
        (Some(a), Some(b)) if st != Storage::F32 => (a, b, 0.0f32, 0.0f32),
        _ if st == Storage::F32 => (0, 0, min_val.as_f64() as f32, max_val.as_f64() as f32),
        _ => return Err(bad_op(op, "bounds do not match the input type")),
    };
    if lo > hi || flo > fhi || flo.is_nan() || fhi.is_nan() {
        return Err(bad_op(op, "min_val > max_val or NaN bound"));
    }
    let x = l.h_batched(op, l.h_input(op, 0)?)?;
    let (y, _) = l.h_out(op, st)?;
    let count = numel(&xd.shape)?;
    let push = vec![
        count as i64,
        lo,
        hi,
        i64::from(flo.to_bits()),
        i64::from(fhi.to_bits()),
        i64::from(*nan_mode == NanMode::Ignore),
    ];
    l.h_push(kernel, vec![x, y], push, count, 1, op.describe());
    Ok(())
}

/// Output rows per invocation of `pool_fast.comp` (its `P`, whose default `build.sh`
/// keeps). 2x2/2 max and avg pools of 32x32x32 on lavapipe, batch 64, CPU ms per
/// inference: 0.027 / 0.031 at 4 rows, 0.023 / 0.027 at 8, 0.035 / 0.039 at 16.
const POOL_ROWS: usize = 8;

pub(super) fn pool(l: &mut Lowerer<'_>, op: &Operator) -> Result<()> {
    let (kernel, stride, pad, avg, nan_ignore) = match &op.op {
        Op::MaxPool2d { kernel, stride, pad, nan_mode } => {
            (*kernel, *stride, *pad, false, *nan_mode == NanMode::Ignore)
        }
        Op::AvgPool2d { kernel, stride, pad, .. } => (*kernel, *stride, *pad, true, false),
        _ => return Err(bad_op(op, "not a pool")),
    };
    let (xd, od) = io(l, op)?;
    let [n, ih, iw, c] = nhwc(op, &xd.shape, "input")?;
    let [on, oh, ow, oc] = nhwc(op, &od.shape, "output")?;
    if on != n || oc != c || xd.dtype != od.dtype {
        return Err(bad_op(op, "output batch, channels or type differ from the input"));
    }
    if kernel.iter().any(|&k| k < 1) || stride.iter().any(|&s| s < 1) || pad.iter().any(|&p| p < 0)
    {
        return Err(bad_op(op, "kernel/stride/pad out of range"));
    }
    if pad[0] >= kernel[0] || pad[1] >= kernel[0] || pad[2] >= kernel[1] || pad[3] >= kernel[1] {
        return Err(bad_op(op, "padding must be smaller than the kernel"));
    }
    let check = |inp: usize, p: i32, k: i32, s: i32| {
        let span = inp as i64 + i64::from(p) - i64::from(k);
        (span >= 0 && span % i64::from(s) == 0).then(|| (span / i64::from(s) + 1) as usize)
    };
    if check(ih, pad[0] + pad[1], kernel[0], stride[0]) != Some(oh)
        || check(iw, pad[2] + pad[3], kernel[1], stride[1]) != Some(ow)
    {
        return Err(bad_op(op, format!("output {oh}x{ow} does not follow from input {ih}x{iw}")));
    }
    let st = storage(xd.dtype).ok_or_else(|| unsupported_op(op, format!("type {}", xd.dtype)))?;
    let k = match (avg, st) {
        (false, Storage::I8) => Kernel::MaxPoolI8,
        (false, Storage::I32) => Kernel::MaxPoolI32,
        (false, Storage::F32) => Kernel::MaxPoolF32,
        (true, Storage::I8) => Kernel::AvgPoolI8,
        (true, Storage::I32) => Kernel::AvgPoolI32,
        (true, Storage::F32) => Kernel::AvgPoolF32,
    };
    if xd.dtype == DType::Int32 {
        return Err(unsupported_op(op, "i32 pooling is not a TOSA type"));
    }
    let (in_zp, out_zp) =
        if avg && st != Storage::F32 { (l.h_scalar(op, 1)?, l.h_scalar(op, 2)?) } else { (0, 0) };
    let (lo, hi) = xd.dtype.int_range().unwrap_or((0, 0));
    let x = l.h_batched(op, l.h_input(op, 0)?)?;
    let (y, _) = l.h_out(op, st)?;
    let mut push: Vec<i64> = [ih, iw, c, oh, ow].map(|v| v as i64).to_vec();
    push.extend([kernel[0], kernel[1], stride[0], stride[1], pad[0], pad[2]].map(i64::from));
    push.extend([in_zp, out_zp, lo, hi, i64::from(nan_ignore)]);
    // Int8 with whole words per pixel: the blocked kernel (`pool_fast.comp`) on CPU devices.
    if st == Storage::I8 && c.is_multiple_of(4) && l.h_options().blocked_conv {
        let fast = match (avg, c.is_multiple_of(16)) {
            (false, true) => Kernel::MaxPoolFastV16,
            (false, false) => Kernel::MaxPoolFastW4,
            (true, true) => Kernel::AvgPoolFastV16,
            (true, false) => Kernel::AvgPoolFastW4,
        };
        let threads = ow * oh.div_ceil(POOL_ROWS);
        l.h_push(fast, vec![x, y], push, threads, n, op.describe());
        l.h_set_groups_y(c.div_ceil(16));
        return Ok(());
    }
    l.h_push(k, vec![x, y], push, oh * ow * c, n, op.describe());
    Ok(())
}

pub(super) fn resize(l: &mut Lowerer<'_>, idx: usize, op: &Operator) -> Result<()> {
    let Op::Resize { mode } = op.op else { return Err(bad_op(op, "not RESIZE")) };
    let (xd, od) = io(l, op)?;
    let [n, ih, iw, c] = nhwc(op, &xd.shape, "input")?;
    let [on, oh, ow, oc] = nhwc(op, &od.shape, "output")?;
    if on != n || oc != c {
        return Err(bad_op(op, "output batch or channels differ from the input"));
    }
    let bilinear = mode == ResizeMode::Bilinear;
    let k = match (xd.dtype, od.dtype, bilinear) {
        (DType::Int8, DType::Int32, true) => Kernel::ResizeI8I32,
        (DType::Int8, DType::Int8, false) => Kernel::ResizeI8I8,
        (DType::Int16, DType::Int16, false) => Kernel::ResizeI32I32,
        (DType::Fp32, DType::Fp32, _) => Kernel::ResizeF32,
        (a, b, _) => return Err(unsupported_op(op, format!("{} {a} -> {b}", mode.name()))),
    };
    let scale = l.h_ints(op, 1)?;
    let offset = l.h_ints(op, 2)?;
    let border = l.h_ints(op, 3)?;
    let ([sy_n, sy_d, sx_n, sx_d], [off_y, off_x], [b_y, b_x]) = (
        <[i64; 4]>::try_from(scale.as_slice()).map_err(|_| bad_op(op, "scale needs 4 values"))?,
        <[i64; 2]>::try_from(offset.as_slice()).map_err(|_| bad_op(op, "offset needs 2 values"))?,
        <[i64; 2]>::try_from(border.as_slice()).map_err(|_| bad_op(op, "border needs 2 values"))?,
    );
    if sy_n <= 0
        || sy_d <= 0
        || sx_n <= 0
        || sx_d <= 0
        || sy_n > 2048
        || sx_n > 2048
        || sy_d >= 16 * sy_n
        || sx_d >= 16 * sx_n
    {
        return Err(bad_op(op, format!("scale {scale:?} out of range")));
    }
    if !(-sy_n..16 * sy_n).contains(&off_y)
        || !(-sx_n..16 * sx_n).contains(&off_x)
        || !(-16 * sy_n..sy_n).contains(&b_y)
        || !(-16 * sx_n..sx_n).contains(&b_x)
    {
        return Err(bad_op(op, "offset/border out of range"));
    }
    let expect = |inp: usize, s_n: i64, s_d: i64, off: i64, border: i64| {
        let span = (inp as i64 - 1) * s_n - off + border;
        (span >= 0 && span % s_d == 0).then(|| (span / s_d + 1) as usize)
    };
    if expect(ih, sy_n, sy_d, off_y, b_y) != Some(oh)
        || expect(iw, sx_n, sx_d, off_x, b_x) != Some(ow)
    {
        return Err(bad_op(
            op,
            format!("output {oh}x{ow} does not follow from input {ih}x{iw} and scale {scale:?}"),
        ));
    }
    let st_out = storage(od.dtype).ok_or_else(|| unsupported_op(op, "type"))?;
    let mut push: Vec<i64> = [ih, iw, c, oh, ow].map(|v| v as i64).to_vec();
    push.extend([sy_n, sy_d, sx_n, sx_d, off_y, off_x, i64::from(bilinear)]);
    // The int8 bilinear RESIZE is followed by the RESCALE back to int8: one dispatch
    // for both saves a launch and the int32 intermediate.
    let out_name = op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?;
    if k == Kernel::ResizeI8I32
        && let Some(j) = l.h_sole_consumer(out_name, idx)
        && let r = &l.g().operators[j]
        && matches!(r.op, Op::Rescale { input_unsigned: false, .. })
        && r.inputs.first() == Some(out_name)
        && let Some(rout) = r.outputs.first()
        && l.h_decl(r, rout)?.dtype == DType::Int8
        && l.h_decl(r, rout)?.shape == od.shape
    {
        let mut p = super::rescale::params(l, r, c)?;
        let name = super::rescale::fold_clamp(l, j, r, &mut p)?;
        l.h_skip(j);
        let x = l.h_batched(op, l.h_input(op, 0)?)?;
        // A CONV2D consumer with 3 input channels reads whole words if each pixel gets 4.
        let cstride = super::conv::padded_input_channels(l, &name, j, c)?;
        let y = match cstride {
            Some(cp) => l.h_out_padded(r, c, cp)?,
            None => l.h_out(r, Storage::I8)?.0,
        };
        if name != r.outputs[0] {
            l.h_alias(&name, y);
        }
        push.extend([
            p.in_zp,
            p.out_zp,
            i64::from(p.per_channel),
            i64::from(p.double_round),
            p.lo,
            p.hi,
            cstride.unwrap_or(c) as i64,
        ]);
        let label = format!("{} + {}", op.describe(), r.describe());
        l.h_push(
            Kernel::ResizeI8RescaleI8,
            vec![x, y, p.mult, p.shift],
            push,
            oh * ow * c,
            n,
            label,
        );
        return Ok(());
    }
    let x = l.h_batched(op, l.h_input(op, 0)?)?;
    let (y, _) = l.h_out(op, st_out)?;
    l.h_push(k, vec![x, y], push, oh * ow * c, n, op.describe());
    Ok(())
}

pub(super) fn matmul(l: &mut Lowerer<'_>, op: &Operator) -> Result<()> {
    let a_name = l.h_input(op, 0)?;
    let b_name = l.h_input(op, 1)?;
    let ad = l.h_decl(op, a_name)?;
    let bd = l.h_decl(op, b_name)?;
    let od = l.h_decl(op, op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?)?;
    let ([n, h, c], [bn, bc, w], [on, oh, ow]) = (
        <[usize; 3]>::try_from(ad.shape.as_slice()).map_err(|_| bad_op(op, "A is not rank 3"))?,
        <[usize; 3]>::try_from(bd.shape.as_slice()).map_err(|_| bad_op(op, "B is not rank 3"))?,
        <[usize; 3]>::try_from(od.shape.as_slice())
            .map_err(|_| bad_op(op, "output is not rank 3"))?,
    );
    if bn != n || bc != c || (on, oh, ow) != (n, h, w) {
        return Err(bad_op(
            op,
            format!("shapes {:?} x {:?} -> {:?} do not match", ad.shape, bd.shape, od.shape),
        ));
    }
    let (k, st) = match (ad.dtype, bd.dtype, od.dtype) {
        (DType::Int8, DType::Int8, DType::Int32) => (Kernel::MatMulI8, Storage::I32),
        (DType::Fp32, DType::Fp32, DType::Fp32) => (Kernel::MatMulF32, Storage::F32),
        (a, b, o) => return Err(unsupported_op(op, format!("{a} x {b} -> {o}"))),
    };
    let (a_zp, b_zp) =
        if st == Storage::I32 { (l.h_scalar(op, 2)?, l.h_scalar(op, 3)?) } else { (0, 0) };
    let a = l.h_slot(op, a_name)?;
    let b = l.h_slot(op, b_name)?;
    let stride =
        |l: &Lowerer<'_>, s: usize, elems: usize| if l.h_is_constant(s) { 0 } else { elems as i64 };
    let a_stride = stride(l, a, n * h * c);
    let b_stride = stride(l, b, n * c * w);
    let (y, _) = l.h_out(op, st)?;
    let push = vec![n as i64, h as i64, c as i64, w as i64, a_zp, b_zp, a_stride, b_stride];
    l.h_push(k, vec![a, b, y], push, n * h * w, 1, op.describe());
    Ok(())
}

pub(super) fn binary(l: &mut Lowerer<'_>, op: &Operator) -> Result<()> {
    let a_name = l.h_input(op, 0)?;
    let b_name = l.h_input(op, 1)?;
    let ad = l.h_decl(op, a_name)?;
    let bd = l.h_decl(op, b_name)?;
    let od = l.h_decl(op, op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?)?;
    let (k, st) = match (ad.dtype, bd.dtype, od.dtype) {
        (DType::Int32, DType::Int32, DType::Int32) => (Kernel::BinaryI32, Storage::I32),
        (DType::Fp32, DType::Fp32, DType::Fp32) => (Kernel::BinaryF32, Storage::F32),
        (a, b, o) => return Err(unsupported_op(op, format!("{a}, {b} -> {o}"))),
    };
    let rank = od.shape.len();
    if ad.shape.len() != rank || bd.shape.len() != rank || rank > 6 {
        return Err(bad_op(
            op,
            format!("ranks {}/{}/{rank} differ or exceed 6", ad.shape.len(), bd.shape.len()),
        ));
    }
    for i in 0..rank {
        let (x, y, o) = (ad.shape[i], bd.shape[i], od.shape[i]);
        if !((x == o || x == 1) && (y == o || y == 1) && (x == o || y == o)) {
            return Err(bad_op(op, format!("dimension {i}: {x} and {y} do not broadcast to {o}")));
        }
    }
    // Right-align into 6 dims; a broadcast dim gets stride 0.
    let strides = |shape: &[usize]| {
        let mut s = vec![0i64; rank];
        let mut acc = 1i64;
        for i in (0..rank).rev() {
            s[i] = if shape[i] == 1 { 0 } else { acc };
            acc *= shape[i] as i64;
        }
        s
    };
    let pad = 6 - rank;
    let mut dims = vec![1i64; 6];
    let mut sa = vec![0i64; 6];
    let mut sb = vec![0i64; 6];
    let (xa, xb) = (strides(&ad.shape), strides(&bd.shape));
    for i in 0..rank {
        dims[pad + i] = od.shape[i] as i64;
        sa[pad + i] = xa[i];
        sb[pad + i] = xb[i];
    }
    let a = l.h_slot(op, a_name)?;
    let b = l.h_slot(op, b_name)?;
    let a_batch = if l.h_is_constant(a) { 0 } else { numel(&ad.shape)? as i64 };
    let b_batch = if l.h_is_constant(b) { 0 } else { numel(&bd.shape)? as i64 };
    let (y, _) = l.h_out(op, st)?;
    let count = numel(&od.shape)?;
    let mut push = dims;
    push.extend(sa);
    push.extend(sb);
    push.extend([a_batch, b_batch, count as i64, i64::from(matches!(op.op, Op::Sub))]);
    l.h_push(k, vec![a, b, y], push, count, 1, op.describe());
    Ok(())
}

pub(super) fn table(l: &mut Lowerer<'_>, op: &Operator) -> Result<()> {
    let (xd, od) = io(l, op)?;
    let t_name = l.h_input(op, 1)?;
    let td = l.h_decl(op, t_name)?;
    if xd.dtype != DType::Int8 || od.dtype != DType::Int8 || td.dtype != DType::Int8 {
        return Err(unsupported_op(
            op,
            format!("{} with {} table -> {}", xd.dtype, td.dtype, od.dtype),
        ));
    }
    if numel(&td.shape)? != 256 || xd.shape != od.shape {
        return Err(bad_op(op, "i8 TABLE needs a 256-entry table and equal input/output shapes"));
    }
    let x = l.h_batched(op, l.h_input(op, 0)?)?;
    let t = l.h_slot(op, t_name)?;
    let (y, _) = l.h_out(op, Storage::I8)?;
    let count = numel(&xd.shape)?;
    l.h_push(Kernel::TableI8, vec![x, t, y], vec![count as i64], count, 1, op.describe());
    Ok(())
}
