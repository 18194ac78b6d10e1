//! Arm's `conv_i8.mlir` rebuilt with the TOSA builder: CONV2D 3x3 (input zp -3) ->
//! per-channel RESCALE (DOUBLE_ROUND) -> CLAMP, checked against Arm's numpy reference,
//! both fused (one dispatch) and unfused (the accumulator also a graph output).

mod common;

use common::{int_diff, read_npy, runner};
use vgforge_runner::Backend;
use vgforge_tosa::{Builder, DType, Graph, Op, RoundingMode, Scalar, Tensor};

const WEIGHTS: &str = "3A3B367A737E887A012C697C7701D4E134BC5EABFC5DD96C0EBE5A9AD2C67EC2049E07A3C6D830D17AF6BA099FBABB9E07D13D4BD2E564BD1B72BA4906F00BD15CCBA24B3C654D767B8ED575360DFEC3B05FBC0E774665F082B8B5C1CDFEA01CDDC6286588C9965DF428DE25";

pub fn conv_i8_graph(expose_acc: bool) -> Graph {
    let w: Vec<i8> = (0..WEIGHTS.len() / 2)
        .map(|i| u8::from_str_radix(&WEIGHTS[2 * i..2 * i + 2], 16).unwrap() as i8)
        .collect();
    let mut b = Builder::new("conv_i8");
    b.set_location(Some("conv"));
    let x = b.add_input("input_0", DType::Int8, &[1, 8, 8, 3]);
    let wt = b.add_const("w", Tensor::i8(vec![4, 3, 3, 3], w).unwrap());
    let bias = b.add_const("b", Tensor::i32(vec![4], vec![363, 18, 174, 455]).unwrap());
    let izp = b.add_scalar_const("izp", DType::Int8, -3);
    let wzp = b.add_scalar_const("wzp", DType::Int8, 0);
    let conv = Op::Conv2d {
        pad: [1, 1, 1, 1],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let acc = b.add_op(conv, &[&x, &wt, &bias, &izp, &wzp], DType::Int32, &[1, 8, 8, 4]);
    let m = b.add_const(
        "m",
        Tensor::i32(vec![4], vec![1518500250, 1299709397, 1431655765, 1717986918]).unwrap(),
    );
    let s = b.add_const("s", Tensor::i8(vec![4], vec![38, 37, 39, 38]).unwrap());
    let rizp = b.add_scalar_const("rizp", DType::Int32, 0);
    let rozp = b.add_scalar_const("rozp", DType::Int8, -128);
    let rescale = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::DoubleRound,
        per_channel: true,
        input_unsigned: false,
        output_unsigned: false,
    };
    let q = b.add_op(rescale, &[&acc, &m, &s, &rizp, &rozp], DType::Int8, &[1, 8, 8, 4]);
    let clamp = Op::Clamp {
        min_val: Scalar::I8(-128),
        max_val: Scalar::I8(100),
        nan_mode: vgforge_tosa::NanMode::Propagate,
    };
    let r = b.add_op(clamp, &[&q], DType::Int8, &[1, 8, 8, 4]);
    if expose_acc {
        b.set_outputs(&[&r, &acc]);
    } else {
        b.set_outputs(&[&r]);
    }
    b.finish()
}

#[test]
fn conv_i8_fused_matches_reference() {
    let Some(r) = runner(Backend::Compute, false) else { return };
    let mut m = r.load(&conv_i8_graph(false)).expect("load");
    let d = m.dispatches();
    assert_eq!(d.len(), 1, "conv, rescale and clamp should be one dispatch: {d:?}");
    let got = m.run(&[read_npy("conv_i8_input.npy")], 1).expect("run");
    let (n, max) = int_diff(&got[0], &read_npy("conv_i8_expected.npy"));
    assert_eq!(n, 0, "{n} elements differ (max {max} LSB)");
}

#[test]
fn conv_i8_unfused_matches_reference() {
    let Some(r) = runner(Backend::Compute, false) else { return };
    let mut m = r.load(&conv_i8_graph(true)).expect("load");
    let d = m.dispatches();
    assert_eq!(d.len(), 2, "conv alone, then rescale with the clamp folded in: {d:?}");
    let got = m.run(&[read_npy("conv_i8_input.npy")], 1).expect("run");
    let (n, max) = int_diff(&got[0], &read_npy("conv_i8_expected.npy"));
    assert_eq!(n, 0, "{n} elements differ (max {max} LSB)");
    assert_eq!(got[1].dtype, DType::Int32);
}
