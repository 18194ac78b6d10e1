//! Helpers shared by the runner's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use vgforge_runner::{Backend, DeviceSelector, Error, Runner, RunnerOptions};
use vgforge_tosa::{DType, Tensor, TensorData};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/arm").join(name)
}

/// Opens a runner, or prints `skipped: <reason>` and returns None when the machine has
/// no usable Vulkan device / layers for it.
pub fn runner(backend: Backend, validation: bool) -> Option<Runner> {
    runner_with(backend, RunnerOptions { validation, ..Default::default() })
}

/// [`runner`] with full options.
pub fn runner_with(backend: Backend, opts: RunnerOptions) -> Option<Runner> {
    match Runner::with_options(backend, DeviceSelector::Auto, &opts) {
        Ok(r) => Some(r),
        Err(
            e @ (Error::NoLoader(_)
            | Error::NoDevice
            | Error::MissingFeature { .. }
            | Error::MissingExtension { .. }),
        ) => {
            println!("skipped: {e}");
            None
        }
        Err(e) => panic!("opening the {} backend: {e}", backend.name()),
    }
}

/// Minimal `.npy` reader (little-endian i8 / i32 / f32, C order), enough for the fixtures.
pub fn read_npy(name: &str) -> Tensor {
    let bytes = std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{name}: not an npy file");
    let (hlen, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).expect("header");
    let data = &bytes[start + hlen..];
    assert!(header.contains("'fortran_order': False"), "{name}: fortran order");
    let shape_txt =
        header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).expect("shape");
    let shape: Vec<usize> = shape_txt.split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let n: usize = shape.iter().product();
    if header.contains("'|i1'") {
        Tensor::new(
            DType::Int8,
            shape,
            TensorData::I8(data[..n].iter().map(|&b| b as i8).collect()),
        )
        .unwrap()
    } else if header.contains("'<f4'") {
        let v = data[..n * 4]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Tensor::new(DType::Fp32, shape, TensorData::F32(v)).unwrap()
    } else if header.contains("'<i4'") {
        let v = data[..n * 4]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Tensor::new(DType::Int32, shape, TensorData::I32(v)).unwrap()
    } else {
        panic!("{name}: unsupported dtype in {header}")
    }
}

/// Deterministic pseudo-random stream (xorshift64*), so inputs are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn i8s(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| (self.next() >> 56) as u8 as i8).collect()
    }
    /// `n` values mapped into `lo..=hi` (both ends included).
    pub fn i8s_in(&mut self, n: usize, (lo, hi): (i8, i8)) -> Vec<i8> {
        let span = i64::from(hi) - i64::from(lo) + 1;
        self.i8s(n)
            .into_iter()
            .map(|v| (i64::from(lo) + (i64::from(v) + 128) % span) as i8)
            .collect()
    }
    pub fn f32s(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n)
            .map(|_| lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32))
            .collect()
    }
}

/// A random input of `k` inferences for a model input of `dtype` x `shape`.
pub fn random_input(rng: &mut Rng, dtype: DType, shape: &[usize], k: usize) -> Tensor {
    let mut s = shape.to_vec();
    s[0] *= k;
    let n: usize = s.iter().product();
    match dtype {
        DType::Int8 => Tensor::new(dtype, s, TensorData::I8(rng.i8s(n))).unwrap(),
        DType::Fp32 => Tensor::new(dtype, s, TensorData::F32(rng.f32s(n, -1.0, 1.0))).unwrap(),
        other => panic!("no random generator for {other}"),
    }
}

/// Number of int elements that differ, and the largest difference in LSB.
pub fn int_diff(a: &Tensor, b: &Tensor) -> (usize, i64) {
    assert_eq!(a.shape, b.shape, "shapes differ");
    let (x, y) = (a.data.to_i64_vec().expect("int"), b.data.to_i64_vec().expect("int"));
    let mut count = 0;
    let mut max = 0;
    for (p, q) in x.iter().zip(&y) {
        if p != q {
            count += 1;
            max = max.max((p - q).abs());
        }
    }
    (count, max)
}

/// Largest relative difference |a-b| / max(|b|, 1e-3) of two f32 tensors.
pub fn f32_rel_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape, b.shape, "shapes differ");
    let (TensorData::F32(x), TensorData::F32(y)) = (&a.data, &b.data) else { panic!("not f32") };
    x.iter().zip(y).map(|(p, q)| (p - q).abs() / q.abs().max(1e-3)).fold(0.0, f32::max)
}

/// Reads a `.vgf` fixture.
pub fn read_vgf(name: &str) -> vgforge_vgf::VgfFile {
    let path = fixture(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    vgforge_vgf::read_vgf(&bytes, &path.display().to_string())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

const CHILD: &str = "VGFORGE_RUNNER_EMULATION_CHILD";

/// The Vulkan loader finds the ML emulation layers only through environment variables,
/// which a running test must not change; so the test re-runs itself in a child process
/// with that environment. Returns true in the child (which runs the body), false in the
/// parent (after checking the child passed) or when the layers are not installed.
pub fn in_emulation_child(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let venv = vgforge_runner::env::venv_dir();
    let deploy = match vgforge_runner::env::emulation_layer_dir(&venv) {
        Ok(d) => d,
        Err(e) => {
            println!("skipped: no ML emulation layer: {e}");
            return false;
        }
    };
    let scratch =
        std::env::temp_dir().join(format!("vgforge-runner-layers-{}", std::process::id()));
    let vars = vgforge_runner::env::emulation_env(&deploy, &scratch).expect("layer manifests");
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .envs(
            vars.iter()
                .filter(|(k, _)| k != "VK_INSTANCE_LAYERS")
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .env(CHILD, "1")
        .output()
        .expect("spawn child test");
    let _ = std::fs::remove_dir_all(&scratch);
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    assert!(out.status.success(), "child test {test} failed");
    assert!(text.contains("1 passed"), "child test {test} did not run");
    false
}

/// The reference models: `.vgf` fixture and its Arm input.
pub const MODELS: [(&str, &str); 4] = [
    ("conv_i8.vgf", "conv_i8_input.npy"),
    ("conv_f32.vgf", "conv_f32_input.npy"),
    ("minicnn_i8.vgf", "minicnn_i8_input.npy"),
    ("upscaler_i8.vgf", "upscaler_input_0.npy"),
];

/// Runs `model` on the fixture input (batch 1) and on `batch` random inferences from a
/// fixed seed, and compares every output with the TOSA interpreter: 0 LSB for integer
/// outputs, 1e-5 relative for f32. Returns a summary line.
pub fn compare_with_interpreter(
    vgf: &str,
    input: &str,
    model: &mut vgforge_runner::Model,
    batch: usize,
    seed: u64,
) -> String {
    let graph = read_vgf(vgf).to_tosa().unwrap_or_else(|e| panic!("{vgf}: to_tosa: {e}"));
    let decl = graph.input_decls()[0].clone();
    let mut rng = Rng::new(seed);
    let cases = [
        (read_npy(input), 1usize),
        (random_input(&mut rng, decl.dtype, &decl.shape, batch), batch),
    ];
    let mut summary = String::new();
    for (x, k) in cases {
        let want = vgforge_tosa::interp::run_batched(&graph, std::slice::from_ref(&x))
            .expect("interpreter");
        let got = model
            .run(std::slice::from_ref(&x), k)
            .unwrap_or_else(|e| panic!("{vgf}: run batch {k}: {e}"));
        assert_eq!(got.len(), want.len(), "{vgf}: output count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.shape, w.shape, "{vgf}: output shape at batch {k}");
            if w.dtype == DType::Fp32 {
                let rel = f32_rel_diff(g, w);
                assert!(rel <= 1e-5, "{vgf} batch {k}: relative difference {rel}");
                summary += &format!("{vgf} batch {k}: max rel diff {rel:.1e}; ");
            } else {
                let (n, max) = int_diff(g, w);
                assert_eq!(
                    n,
                    0,
                    "{vgf} batch {k}: {n} of {} elements differ (max {max} LSB)",
                    w.numel()
                );
                summary += &format!("{vgf} batch {k}: 0/{} differ; ", w.numel());
            }
        }
    }
    summary
}

/// Output length of a convolution or pool along one axis.
#[allow(dead_code)]
pub fn out_dim(i: usize, k: usize, pa: i32, pb: i32, s: i32, d: i32) -> usize {
    ((i as i64 - 1 + i64::from(pa + pb) - (k as i64 - 1) * i64::from(d)) / i64::from(s) + 1)
        as usize
}

/// The compute backend with the register-blocked CPU kernels forced on.
#[allow(dead_code)]
pub fn blocked_runner() -> Option<Runner> {
    runner_with(Backend::Compute, RunnerOptions { blocked_conv: Some(true), ..Default::default() })
}

/// Asserts that dispatch label `k` names kernel `name`.
#[allow(dead_code)]
pub fn ran(k: &str, name: &str) {
    assert!(k.starts_with(&format!("{name}:")), "expected {name}, got {k}");
}

/// Runs single-input, single-output `g` (which must lower to exactly one dispatch) on
/// `batch` inferences in one submission and then one at a time, inputs drawn from `x_range`,
/// and asserts 0 LSB against the interpreter. Returns the dispatch label.
#[allow(dead_code)]
pub fn check_single_dispatch(
    r: &Runner,
    g: &vgforge_tosa::Graph,
    name: &str,
    seed: u64,
    x_range: (i8, i8),
    batch: usize,
) -> String {
    let mut m = r.load(g).unwrap_or_else(|e| panic!("{name}: load: {e}"));
    let d = m.dispatches();
    assert_eq!(d.len(), 1, "{name}: fused into one dispatch: {d:?}");
    let mut rng = Rng::new(seed);
    let mut shape = g.input_decls()[0].shape.clone();
    shape[0] *= batch;
    let x = Tensor::i8(shape.clone(), rng.i8s_in(shape.iter().product(), x_range)).expect("input");
    let want = vgforge_tosa::interp::run_batched(g, std::slice::from_ref(&x)).expect("interp");
    for b in [batch, 1] {
        let got = m.run(std::slice::from_ref(&x), b).expect("run");
        let (n, max) = int_diff(&got[0], &want[0]);
        assert_eq!(n, 0, "{name} (batch {b}, {}): {n} elements differ (max {max})", d[0]);
    }
    d[0].clone()
}
