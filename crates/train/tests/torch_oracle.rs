//! Upscaler pairs and upsample layers against PyTorch's `F.interpolate`
//! (values recorded in fixtures/train/torch_interp.json).

use candle_core::{Device, Tensor, Var};
use vgforge_train::data::downsample_bilinear;
use vgforge_train::model::upsample;

#[derive(serde::Deserialize)]
struct Oracle {
    shape: Vec<usize>,
    input: Vec<f32>,
    down_half: Vec<f32>,
    up2: Vec<f32>,
    up2_align: Vec<f32>,
    up2_nearest: Vec<f32>,
}

fn oracle() -> Oracle {
    serde_json::from_str(include_str!("../../../fixtures/train/torch_interp.json")).unwrap()
}

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() < 1e-6, "{what}[{i}]: {x} vs torch {y}");
    }
}

#[test]
fn half_scale_pairs_match_torch() {
    let o = oracle();
    let (planes, h, w) = (o.shape[0] * o.shape[1], o.shape[2], o.shape[3]);
    close(&downsample_bilinear(&o.input, planes, h, w, 2), &o.down_half, "down_half");
}

#[test]
fn upsample_layers_match_torch() {
    let o = oracle();
    let x = Tensor::from_vec(o.input.clone(), o.shape.as_slice(), &Device::Cpu).unwrap();
    let var = Var::from_tensor(&x).unwrap();
    let flat = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (align, want, what) in [(false, &o.up2, "up2"), (true, &o.up2_align, "up2_align")] {
        // Plain input: Candle's kernel; a variable: our matmul form.
        close(&flat(upsample::bilinear(&x, 2, align).unwrap()), want, what);
        close(&flat(upsample::bilinear(var.as_tensor(), 2, align).unwrap()), want, what);
    }
    close(&flat(upsample::nearest(&x, 2).unwrap()), &o.up2_nearest, "up2_nearest");
}
