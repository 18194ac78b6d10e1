//! Our kernels against Candle's independent implementations, and bad input.

mod common;

use candle_core::{Device, Tensor};
use common::{graph, layer};
use vgforge_graph::{Op, Task};
use vgforge_train::model::conv::{Conv2dOp, ConvGeom};
use vgforge_train::model::{pool, upsample};
use vgforge_train::rng::Rng;
use vgforge_train::{Error, ForwardHooks, Model};

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::new(seed);
    let n: usize = shape.iter().product();
    Tensor::from_vec(
        (0..n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect::<Vec<_>>(),
        shape,
        &Device::Cpu,
    )
    .unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    a.sub(b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

#[test]
fn conv_matches_candle_conv2d() {
    let x = random(&[2, 4, 9, 8], 1);
    let w = random(&[6, 2, 3, 3], 2);
    let b = random(&[6], 3);
    for (s, p, d, g) in [(1, 1, 1, 1), (2, 0, 1, 2), (1, 2, 2, 1)] {
        let w = if g == 1 { random(&[6, 4, 3, 3], 4) } else { w.clone() };
        let geom = ConvGeom { stride: [s, s], padding: [p, p], dilation: [d, d], groups: g };
        let ours = x.apply_op3(&w, &b, Conv2dOp::new(geom)).unwrap();
        let reference = x
            .conv2d(&w, p, s, d, g)
            .unwrap()
            .broadcast_add(&b.reshape((1, 6, 1, 1)).unwrap())
            .unwrap();
        assert!(max_diff(&ours, &reference) < 1e-5, "s{s} p{p} d{d} g{g}");
    }
}

#[test]
fn conv_in_batch_chunks_matches_one_pass() {
    let geom = ConvGeom { stride: [1, 2], padding: [1, 0], dilation: [1, 1], groups: 2 };
    let x = candle_core::Var::from_tensor(&random(&[5, 4, 6, 7], 7)).unwrap();
    let w = candle_core::Var::from_tensor(&random(&[6, 2, 3, 2], 8)).unwrap();
    let b = candle_core::Var::from_tensor(&random(&[6], 9)).unwrap();
    let run = |budget: usize| {
        let op = Conv2dOp { geom, cols_budget: budget };
        let y = x.as_tensor().apply_op3(w.as_tensor(), b.as_tensor(), op).unwrap();
        let r = random(y.dims(), 10);
        let grads = (&y * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let g = |v: &candle_core::Var| grads.get(v.as_tensor()).unwrap().clone();
        (y, g(&x), g(&w), g(&b))
    };
    // A 1-byte budget forces one image per chunk.
    let (whole, chunked) = (run(usize::MAX), run(1));
    assert!(max_diff(&whole.0, &chunked.0) < 1e-6);
    assert!(max_diff(&whole.1, &chunked.1) < 1e-6);
    assert!(max_diff(&whole.2, &chunked.2) < 1e-5);
    assert!(max_diff(&whole.3, &chunked.3) < 1e-5);
}

#[test]
fn bilinear_matmul_form_matches_candle_kernel() {
    let x = random(&[2, 3, 5, 7], 5);
    for align in [false, true] {
        let a = upsample::bilinear_matmul(&x, 2, align).unwrap();
        let b = x.upsample_bilinear2d(10, 14, align).unwrap();
        assert!(max_diff(&a, &b) < 1e-6, "align_corners {align}");
    }
}

#[test]
fn pooling_custom_path_matches_reshape_path() {
    let x = random(&[2, 3, 8, 6], 6);
    for kind in [pool::PoolKind::Max, pool::PoolKind::Avg] {
        let fast = pool::pool2d(
            &x,
            pool::PoolGeom { kind, kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
        )
        .unwrap();
        // Candle's forward kernels are right; only their backward is not.
        let reference = match kind {
            pool::PoolKind::Max => x.max_pool2d(2).unwrap(),
            pool::PoolKind::Avg => x.avg_pool2d(2).unwrap(),
        };
        assert!(max_diff(&fast, &reference) < 1e-6);
        let general = pool::pool2d(
            &x,
            pool::PoolGeom { kind, kernel: [3, 3], stride: [2, 2], padding: [0, 0] },
        )
        .unwrap();
        let reference = match kind {
            pool::PoolKind::Max => x.max_pool2d_with_stride(3, 2).unwrap(),
            pool::PoolKind::Avg => x.avg_pool2d_with_stride(3, 2).unwrap(),
        };
        assert!(max_diff(&general, &reference) < 1e-6);
    }
    // Padded average pooling divides by the in-image count (TOSA semantics).
    let ones = Tensor::ones((1, 1, 4, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
    let g = pool::PoolGeom {
        kind: pool::PoolKind::Avg,
        kernel: [3, 3],
        stride: [2, 2],
        padding: [1, 1],
    };
    let y = pool::pool2d(&ones, g).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(y, vec![1.0; 4]);
}

struct Recorder(Vec<String>);

impl ForwardHooks for Recorder {
    fn activation(&mut self, node: &str, t: Tensor) -> vgforge_train::Result<Tensor> {
        self.0.push(format!("act:{node}"));
        Ok(t)
    }
    fn weight(&mut self, node: &str, w: Tensor) -> vgforge_train::Result<Tensor> {
        self.0.push(format!("w:{node}"));
        Ok((w * 0.0).unwrap())
    }
}

#[test]
fn hooks_see_every_activation_and_weight() {
    let g = graph(
        [2, 4, 4],
        Task::Classify { classes: 2 },
        vec![
            layer(
                "conv",
                common::conv(3, 1, 1),
                &["input"],
                &[("weight", vec![3, 2, 3, 3]), ("bias", vec![3])],
            ),
            layer("relu", Op::Relu, &["conv"], &[]),
            layer("gap", Op::GlobalAvgPool, &["relu"], &[]),
            layer("flat", Op::Flatten, &["gap"], &[]),
            layer("fc", Op::Linear, &["flat"], &[("weight", vec![2, 3])]),
        ],
    );
    let m = Model::new(&g, 0).unwrap();
    let mut rec = Recorder(vec![]);
    let y = m.forward_with(&random(&[1, 2, 4, 4], 1), false, &mut rec).unwrap();
    assert_eq!(
        rec.0,
        ["act:input", "w:conv", "act:conv", "act:relu", "act:gap", "act:flat", "w:fc", "act:fc"]
    );
    // The zeroed weights reached the layers: with no fc bias the output is 0.
    assert_eq!(y.flatten_all().unwrap().to_vec1::<f32>().unwrap(), vec![0.0, 0.0]);
}

#[test]
fn wrong_input_shape_is_an_error_naming_the_graph() {
    let g = graph(
        [2, 4, 4],
        Task::Classify { classes: 1 },
        vec![layer("relu", Op::Relu, &["input"], &[])],
    );
    let m = Model::new(&g, 0).unwrap();
    let err = m.forward(&random(&[1, 3, 4, 4], 1), false).unwrap_err();
    assert!(matches!(err, Error::Model { .. }), "{err}");
}
