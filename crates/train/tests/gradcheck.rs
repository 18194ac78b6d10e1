//! Every layer's gradients against central finite differences in f64.

mod common;

use candle_core::{DType, Device, Tensor, Var};
use common::{conv, graph, layer};
use vgforge_graph::{Graph, Op, Task, UpsampleMode};
use vgforge_train::Model;
use vgforge_train::rng::Rng;

fn random(shape: &[usize], rng: &mut Rng) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.flatten_all().unwrap().to_vec1::<f64>().unwrap()
}

/// Checks d(Σ out·R)/d(x and every trainable tensor) against finite
/// differences at up to 12 positions per tensor.
fn check(g: &Graph, batch: usize, train: bool) {
    let model = Model::new_with_dtype(g, 5, DType::F64).unwrap();
    let input = g.tensor("input").unwrap().shape.clone();
    let mut rng = Rng::new(11);
    let mut xshape = input.clone();
    xshape[0] = batch;
    let x = Var::from_tensor(&random(&xshape, &mut rng)).unwrap();
    let out_shape = model.forward(x.as_tensor(), train).unwrap().dims().to_vec();
    let r = random(&out_shape, &mut rng);
    let loss = |m: &Model| -> f64 {
        let y = m.forward(x.as_tensor(), train).unwrap();
        (y * &r).unwrap().sum_all().unwrap().to_scalar::<f64>().unwrap()
    };
    let y = model.forward(x.as_tensor(), train).unwrap();
    let grads = (y * &r).unwrap().sum_all().unwrap().backward().unwrap();
    let mut targets: Vec<(String, Var)> = vec![("input".into(), x.clone())];
    targets.extend(model.trainable().map(|p| (p.name.clone(), p.var.clone())));
    for (name, var) in targets {
        let analytic =
            values(grads.get(var.as_tensor()).unwrap_or_else(|| panic!("no gradient for {name}")));
        let base = values(var.as_tensor());
        let n = base.len();
        for k in 0..n.min(12) {
            let i = if n <= 12 { k } else { rng.below(n) };
            let eps = 1e-6;
            let at = |delta: f64| {
                let mut v = base.clone();
                v[i] += delta;
                var.set(&Tensor::from_vec(v, var.dims(), &Device::Cpu).unwrap()).unwrap();
                loss(&model)
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
            at(0.0);
            let a = analytic[i];
            let err = (a - numeric).abs() / (1.0 + a.abs().max(numeric.abs()));
            assert!(
                err < 1e-6,
                "{}: d/d{name}[{i}] analytic {a} vs numeric {numeric}",
                g.nodes[0].name
            );
        }
    }
}

#[test]
fn conv_with_stride_padding_groups_and_dilation() {
    let g = graph(
        [4, 7, 6],
        Task::Classify { classes: 1 },
        vec![layer(
            "conv",
            Op::Conv2d {
                kernel: [3, 2],
                stride: [2, 1],
                padding: [1, 2],
                dilation: [1, 2],
                groups: 2,
            },
            &["input"],
            &[("weight", vec![6, 2, 3, 2]), ("bias", vec![6])],
        )],
    );
    check(&g, 2, true);
    let g = graph(
        [3, 5, 5],
        Task::Classify { classes: 1 },
        vec![layer("conv", conv(3, 1, 1), &["input"], &[("weight", vec![4, 3, 3, 3])])],
    );
    check(&g, 2, true);
}

#[test]
fn batchnorm_in_train_and_eval_mode() {
    let g = graph(
        [3, 4, 4],
        Task::Classify { classes: 1 },
        vec![layer(
            "bn",
            Op::BatchNorm { eps: 1e-5, momentum: 0.1 },
            &["input"],
            &[
                ("weight", vec![3]),
                ("bias", vec![3]),
                ("running_mean", vec![3]),
                ("running_var", vec![3]),
            ],
        )],
    );
    check(&g, 3, true);
    check(&g, 3, false);
}

#[test]
fn relu_and_add_on_a_residual_dag() {
    let g = graph(
        [2, 3, 3],
        Task::Classify { classes: 1 },
        vec![
            layer("relu", Op::Relu, &["input"], &[]),
            layer("add", Op::Add, &["input", "relu"], &[]),
        ],
    );
    check(&g, 2, true);
}

#[test]
fn maxpool_fast_path_and_overlapping_padded_windows() {
    let pool = |k, s, p| Op::MaxPool2d { kernel: [k, k], stride: [s, s], padding: [p, p] };
    for op in [pool(2, 2, 0), pool(3, 2, 1), pool(2, 1, 0)] {
        let g = graph(
            [2, 5, 6],
            Task::Classify { classes: 1 },
            vec![layer("pool", op, &["input"], &[])],
        );
        check(&g, 2, true);
    }
}

#[test]
fn avgpool_fast_path_and_padded_windows() {
    let pool = |k, s, p| Op::AvgPool2d { kernel: [k, k], stride: [s, s], padding: [p, p] };
    for op in [pool(2, 2, 0), pool(3, 2, 1)] {
        let g = graph(
            [2, 5, 6],
            Task::Classify { classes: 1 },
            vec![layer("pool", op, &["input"], &[])],
        );
        check(&g, 2, true);
    }
}

#[test]
fn global_avgpool_flatten_and_linear() {
    let g = graph(
        [3, 4, 5],
        Task::Classify { classes: 4 },
        vec![
            layer("gap", Op::GlobalAvgPool, &["input"], &[]),
            layer("flat", Op::Flatten, &["gap"], &[]),
            layer("fc", Op::Linear, &["flat"], &[("weight", vec![4, 3]), ("bias", vec![4])]),
        ],
    );
    check(&g, 2, true);
    let g = graph(
        [2, 3, 2],
        Task::Classify { classes: 3 },
        vec![
            layer("flat", Op::Flatten, &["input"], &[]),
            layer("fc", Op::Linear, &["flat"], &[("weight", vec![3, 12])]),
        ],
    );
    check(&g, 2, true);
}

#[test]
fn bilinear_and_nearest_upsample() {
    for mode in [
        UpsampleMode::Bilinear { align_corners: false },
        UpsampleMode::Bilinear { align_corners: true },
        UpsampleMode::Nearest,
    ] {
        let g = graph(
            [2, 3, 4],
            Task::Upscale { scale: 2 },
            vec![layer("up", Op::Upsample { scale: 2, mode }, &["input"], &[])],
        );
        check(&g, 2, true);
    }
}
