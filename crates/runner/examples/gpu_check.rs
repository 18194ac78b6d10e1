//! Device check for a lent GPU machine (run by `tools/gpu-check.sh`): the compute backend
//! bit-exact with the TOSA interpreter on the reference `.vgf` files (batch 1 and 64), the
//! int8 upscaler's throughput at batch 1 and a large batch, and with `--datagraph` the
//! data-graph backend at batch 1. Prints one line per result and writes `--json PATH`.
//!
//! `--blocked-conv on|off` forces the compute backend's CONV2D kernel family (default: the
//! device's own choice; `on` checks the CPU-tuned register-blocked kernels on a GPU).
//!
//! `gpu_check --fixtures DIR [--json PATH] [--big-batch N] [--device SEL] [--datagraph]
//! [--blocked-conv on|off]`

use std::path::PathBuf;
use std::time::Instant;

use vgforge_runner::{Backend, DeviceSelector, Model, Runner, RunnerOptions};
use vgforge_tosa::{DType, Tensor, TensorData};

const MODELS: [&str; 4] = ["conv_i8.vgf", "conv_f32.vgf", "minicnn_i8.vgf", "upscaler_i8.vgf"];

struct Args {
    fixtures: PathBuf,
    json: Option<PathBuf>,
    big_batch: usize,
    device: DeviceSelector,
    datagraph: bool,
    blocked_conv: Option<bool>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        fixtures: PathBuf::from("fixtures/arm"),
        json: None,
        big_batch: 256,
        device: DeviceSelector::Auto,
        datagraph: false,
        blocked_conv: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--fixtures" => a.fixtures = PathBuf::from(val()?),
            "--json" => a.json = Some(PathBuf::from(val()?)),
            "--big-batch" => {
                a.big_batch = val()?.parse().map_err(|e| format!("--big-batch: {e}"))?
            }
            "--device" => a.device = DeviceSelector::parse(&val()?),
            "--datagraph" => a.datagraph = true,
            "--blocked-conv" => {
                a.blocked_conv = match val()?.as_str() {
                    "on" => Some(true),
                    "off" => Some(false),
                    other => return Err(format!("--blocked-conv: '{other}' is not on/off")),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// Deterministic random input of `k` inferences.
fn random(dtype: DType, shape: &[usize], k: usize, seed: u64) -> Tensor {
    let mut s = shape.to_vec();
    s[0] *= k;
    let n: usize = s.iter().product();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let data = match dtype {
        DType::Int8 => TensorData::I8((0..n).map(|_| (next() >> 56) as u8 as i8).collect()),
        _ => TensorData::F32(
            (0..n).map(|_| ((next() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0).collect(),
        ),
    };
    Tensor::new(dtype, s, data).expect("input")
}

/// (elements differing, max LSB) for ints, or (elements over 1e-5 relative, 0) for f32.
fn diff(a: &Tensor, b: &Tensor) -> (usize, f64) {
    match (&a.data, &b.data) {
        (TensorData::F32(x), TensorData::F32(y)) => {
            let rel: Vec<f64> = x
                .iter()
                .zip(y)
                .map(|(p, q)| f64::from((p - q).abs() / q.abs().max(1e-3)))
                .collect();
            (rel.iter().filter(|&&r| r > 1e-5).count(), rel.iter().copied().fold(0.0, f64::max))
        }
        _ => {
            let (x, y) =
                (a.data.to_i64_vec().unwrap_or_default(), b.data.to_i64_vec().unwrap_or_default());
            let n = x.iter().zip(&y).filter(|(p, q)| p != q).count() + x.len().abs_diff(y.len());
            (n, x.iter().zip(&y).map(|(p, q)| (p - q).abs()).max().unwrap_or(0) as f64)
        }
    }
}

fn check_model(
    r: &Runner,
    fixtures: &std::path::Path,
    name: &str,
    batches: &[usize],
    report: &mut Vec<String>,
) -> Result<bool, String> {
    let path = fixtures.join(name);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vgf =
        vgforge_vgf::read_vgf(&bytes, &path.display().to_string()).map_err(|e| e.to_string())?;
    let graph = vgf.to_tosa().map_err(|e| e.to_string())?;
    let mut m = r.load(&vgf).map_err(|e| e.to_string())?;
    let decl = graph.input_decls().first().map(|d| (d.dtype, d.shape.clone())).ok_or("no input")?;
    let mut ok = true;
    for &k in batches {
        let x = random(decl.0, &decl.1, k, 42 + k as u64);
        let want = vgforge_tosa::interp::run_batched(&graph, std::slice::from_ref(&x))
            .map_err(|e| e.to_string())?;
        let got = m.run(std::slice::from_ref(&x), k).map_err(|e| e.to_string())?;
        for (g, w) in got.iter().zip(&want) {
            let (n, max) = diff(g, w);
            ok &= n == 0 && g.shape == w.shape;
            let line = format!(
                "{{\"check\":\"bitexact\",\"backend\":\"{}\",\"model\":\"{name}\",\"batch\":{k},\"elements\":{},\"differ\":{n},\"max_diff\":{max}}}",
                r.backend().name(),
                w.numel()
            );
            println!("{line}");
            report.push(line);
        }
    }
    Ok(ok)
}

fn time_upscaler(
    r: &Runner,
    fixtures: &std::path::Path,
    k: usize,
    report: &mut Vec<String>,
) -> Result<(), String> {
    let path = fixtures.join("upscaler_i8.vgf");
    let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
    let vgf =
        vgforge_vgf::read_vgf(&bytes, &path.display().to_string()).map_err(|e| e.to_string())?;
    let mut m: Model = r.load(&vgf).map_err(|e| e.to_string())?;
    let p = m.inputs()[0].clone();
    let x = random(p.dtype, &p.shape, k, 7);
    let t0 = Instant::now();
    m.run(std::slice::from_ref(&x), k).map_err(|e| e.to_string())?;
    let first = t0.elapsed();
    let iters = if k == 1 { 50 } else { 10 };
    let t = m.time(std::slice::from_ref(&x), k, 2, iters).map_err(|e| e.to_string())?;
    let line = format!(
        "{{\"check\":\"throughput\",\"backend\":\"{}\",\"model\":\"upscaler_i8\",\"batch\":{k},\"first_run_ms\":{:.3},\"median_ms\":{:.3},\"min_ms\":{:.3},\"ms_per_image\":{:.4},\"images_per_s\":{:.1},\"device\":\"{}\"}}",
        r.backend().name(),
        first.as_secs_f64() * 1e3,
        t.median.as_secs_f64() * 1e3,
        t.min.as_secs_f64() * 1e3,
        t.per_inference().as_secs_f64() * 1e3,
        t.throughput(),
        r.device_name().unwrap_or("?")
    );
    println!("{line}");
    report.push(line);
    Ok(())
}

fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gpu_check: {e}");
            std::process::exit(2);
        }
    };
    let mut report = Vec::new();
    let mut ok = true;
    let backend = if a.datagraph { Backend::DataGraph } else { Backend::Compute };
    let options = RunnerOptions { blocked_conv: a.blocked_conv, ..Default::default() };
    match Runner::with_options(backend, a.device.clone(), &options) {
        Err(e) => {
            println!(
                "{{\"check\":\"open\",\"backend\":\"{}\",\"error\":\"{}\"}}",
                backend.name(),
                e.to_string().replace('"', "'")
            );
            report.push(format!(
                "{{\"check\":\"open\",\"backend\":\"{}\",\"error\":\"{}\"}}",
                backend.name(),
                e.to_string().replace('"', "'")
            ));
            ok = false;
        }
        Ok(r) => {
            println!("# device: {}", r.device_name().unwrap_or("?"));
            let batches: &[usize] = if a.datagraph { &[1] } else { &[1, 64] };
            for name in MODELS {
                match check_model(&r, &a.fixtures, name, batches, &mut report) {
                    Ok(pass) => ok &= pass,
                    Err(e) => {
                        println!(
                            "{{\"check\":\"bitexact\",\"model\":\"{name}\",\"error\":\"{}\"}}",
                            e.replace('"', "'")
                        );
                        ok = false;
                    }
                }
            }
            let sizes: Vec<usize> = if a.datagraph { vec![1] } else { vec![1, a.big_batch] };
            for k in sizes {
                if let Err(e) = time_upscaler(&r, &a.fixtures, k, &mut report) {
                    println!(
                        "{{\"check\":\"throughput\",\"batch\":{k},\"error\":\"{}\"}}",
                        e.replace('"', "'")
                    );
                    ok = false;
                }
            }
        }
    }
    if let Some(path) = a.json {
        let text = format!("[\n{}\n]\n", report.join(",\n"));
        let tmp = path.with_extension("json.tmp");
        if std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path)).is_err() {
            eprintln!("gpu_check: cannot write {}", path.display());
            ok = false;
        }
    }
    println!("# result: {}", if ok { "PASS" } else { "FAIL" });
    std::process::exit(if ok { 0 } else { 1 });
}
