//! Compute-backend throughput per operator and for the int8 upscaler (batch 1 and 64), then
//! Arm's scenario_runner + ML emulation layer on the same `.vgf`, and the ratio.
//!
//! `cargo bench -p vgforge-runner`; set `VGFORGE_BENCH_BATCH` to change the large batch
//! (default 64) and `VGFORGE_VENV` to point at Arm's tools.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use vgforge_runner::{Backend, DeviceSelector, Model, Runner};
use vgforge_tosa::{
    Builder, DType, Graph, NanMode, Op, ResizeMode, RoundingMode, Tensor, TensorData,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/arm").join(name)
}

fn big_batch() -> usize {
    std::env::var("VGFORGE_BENCH_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

/// Deterministic bytes (xorshift) for inputs and weights.
fn bytes(n: usize, seed: u64) -> Vec<i8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as i8
        })
        .collect()
}

fn input_for(m: &Model, k: usize) -> Vec<Tensor> {
    m.inputs()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut shape = p.shape.clone();
            shape[0] *= k;
            let n: usize = shape.iter().product();
            let data = match p.dtype {
                DType::Int8 => TensorData::I8(bytes(n, 7 + i as u64)),
                DType::Int32 => {
                    TensorData::I32(bytes(n, 7 + i as u64).into_iter().map(i32::from).collect())
                }
                _ => TensorData::F32(
                    bytes(n, 7 + i as u64).into_iter().map(|b| f32::from(b) / 128.0).collect(),
                ),
            };
            Tensor::new(p.dtype, shape, data).expect("input")
        })
        .collect()
}

fn rescale(b: &mut Builder, x: &str, c: usize, shape: &[usize]) -> String {
    let m = b.add_const("m", Tensor::i32(vec![c], vec![1_400_000_000; c]).unwrap());
    let s = b.add_const("s", Tensor::i8(vec![c], vec![38; c]).unwrap());
    let izp = b.add_scalar_const("izp", DType::Int32, 0);
    let ozp = b.add_scalar_const("ozp", DType::Int8, -128);
    let op = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::SingleRound,
        per_channel: true,
        input_unsigned: false,
        output_unsigned: false,
    };
    b.add_op(op, &[x, &m, &s, &izp, &ozp], DType::Int8, shape)
}

/// Single-operator graphs at the upscaler's sizes (32x32x32 int8 activations).
fn op_graphs() -> Vec<(&'static str, Graph)> {
    let mut out = Vec::new();
    let zp = |b: &mut Builder, n: &str| b.add_scalar_const(n, DType::Int8, 0);
    let conv = |depthwise: bool, fused: bool| {
        let mut b = Builder::new("conv");
        let x = b.add_input("x", DType::Int8, &[1, 32, 32, 32]);
        let (wshape, op) = if depthwise {
            (
                vec![3, 3, 32, 1],
                Op::DepthwiseConv2d {
                    pad: [1; 4],
                    stride: [1, 1],
                    dilation: [1, 1],
                    local_bound: false,
                    acc_type: DType::Int32,
                },
            )
        } else {
            (
                vec![32, 3, 3, 32],
                Op::Conv2d {
                    pad: [1; 4],
                    stride: [1, 1],
                    dilation: [1, 1],
                    local_bound: false,
                    acc_type: DType::Int32,
                },
            )
        };
        let n = wshape.iter().product();
        let w = b.add_const("w", Tensor::i8(wshape, bytes(n, 3)).unwrap());
        let bias = b.add_const("b", Tensor::i32(vec![32], vec![100; 32]).unwrap());
        let (izp, wzp) = (zp(&mut b, "izp"), zp(&mut b, "wzp"));
        let y = b.add_op(op, &[&x, &w, &bias, &izp, &wzp], DType::Int32, &[1, 32, 32, 32]);
        let y = if fused { rescale(&mut b, &y, 32, &[1, 32, 32, 32]) } else { y };
        b.set_outputs(&[&y]);
        b.finish()
    };
    out.push(("conv2d_i8_rescale", conv(false, true)));
    out.push(("conv2d_i8", conv(false, false)));
    out.push(("depthwise_i8_rescale", conv(true, true)));
    {
        let mut b = Builder::new("rescale");
        let x = b.add_input("x", DType::Int8, &[1, 32, 32, 32]);
        let m = b.add_const("m", Tensor::i32(vec![1], vec![1 << 30]).unwrap());
        let s = b.add_const("s", Tensor::i8(vec![1], vec![30]).unwrap());
        let (izp, ozp) = (zp(&mut b, "izp"), zp(&mut b, "ozp"));
        let op = Op::Rescale {
            scale32: true,
            rounding_mode: RoundingMode::SingleRound,
            per_channel: false,
            input_unsigned: false,
            output_unsigned: false,
        };
        let y = b.add_op(op, &[&x, &m, &s, &izp, &ozp], DType::Int8, &[1, 32, 32, 32]);
        b.set_outputs(&[&y]);
        out.push(("rescale_i8", b.finish()));
    }
    for avg in [false, true] {
        let mut b = Builder::new("pool");
        let x = b.add_input("x", DType::Int8, &[1, 32, 32, 32]);
        let y = if avg {
            let (izp, ozp) = (zp(&mut b, "izp"), zp(&mut b, "ozp"));
            b.add_op(
                Op::AvgPool2d {
                    kernel: [2, 2],
                    stride: [2, 2],
                    pad: [0; 4],
                    acc_type: DType::Int32,
                },
                &[&x, &izp, &ozp],
                DType::Int8,
                &[1, 16, 16, 32],
            )
        } else {
            b.add_op(
                Op::MaxPool2d {
                    kernel: [2, 2],
                    stride: [2, 2],
                    pad: [0; 4],
                    nan_mode: NanMode::Propagate,
                },
                &[&x],
                DType::Int8,
                &[1, 16, 16, 32],
            )
        };
        b.set_outputs(&[&y]);
        out.push((if avg { "avg_pool2d_i8" } else { "max_pool2d_i8" }, b.finish()));
    }
    {
        let mut b = Builder::new("resize");
        let x = b.add_input("x", DType::Int8, &[1, 16, 16, 3]);
        let scale = b.add_const_shape("scale", &[4, 2, 4, 2]);
        let offset = b.add_const_shape("offset", &[-1, -1]);
        let border = b.add_const_shape("border", &[1, 1]);
        let y = b.add_op(
            Op::Resize { mode: ResizeMode::Bilinear },
            &[&x, &scale, &offset, &border],
            DType::Int32,
            &[1, 32, 32, 3],
        );
        b.set_outputs(&[&y]);
        out.push(("resize_bilinear_i8", b.finish()));
    }
    {
        let mut b = Builder::new("matmul");
        let a = b.add_input("a", DType::Int8, &[1, 64, 256]);
        let w = b.add_const("w", Tensor::i8(vec![1, 256, 64], bytes(256 * 64, 5)).unwrap());
        let (azp, bzp) = (zp(&mut b, "azp"), zp(&mut b, "bzp"));
        let y = b.add_op(Op::MatMul, &[&a, &w, &azp, &bzp], DType::Int32, &[1, 64, 64]);
        b.set_outputs(&[&y]);
        out.push(("matmul_i8", b.finish()));
    }
    {
        let mut b = Builder::new("add");
        let x = b.add_input("x", DType::Int32, &[1, 32, 32, 32]);
        let c = b.add_const("c", Tensor::i32(vec![1, 1, 1, 32], vec![3; 32]).unwrap());
        let y = b.add_op(Op::Add, &[&x, &c], DType::Int32, &[1, 32, 32, 32]);
        b.set_outputs(&[&y]);
        out.push(("add_i32", b.finish()));
    }
    {
        let mut b = Builder::new("table");
        let x = b.add_input("x", DType::Int8, &[1, 32, 32, 32]);
        let t = b.add_const("t", Tensor::i8(vec![256], bytes(256, 9)).unwrap());
        let y = b.add_op(Op::Table, &[&x, &t], DType::Int8, &[1, 32, 32, 32]);
        b.set_outputs(&[&y]);
        out.push(("table_i8", b.finish()));
    }
    out
}

fn bench_ops(c: &mut Criterion, r: &Runner) {
    let k = big_batch();
    let mut group = c.benchmark_group("op");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, g) in op_graphs() {
        let mut m = r.load(&g).unwrap_or_else(|e| panic!("{name}: {e}"));
        for batch in [1, k] {
            let x = input_for(&m, batch);
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(BenchmarkId::new(name, format!("batch{batch}")), |b| {
                b.iter(|| m.run(&x, batch).expect("run"))
            });
        }
    }
    group.finish();
}

fn upscaler() -> vgforge_vgf::VgfFile {
    let path = fixture("upscaler_i8.vgf");
    let bytes = std::fs::read(&path).expect("upscaler_i8.vgf");
    vgforge_vgf::read_vgf(&bytes, &path.display().to_string()).expect("read vgf")
}

fn bench_model(c: &mut Criterion, r: &Runner) {
    let vgf = upscaler();
    let mut group = c.benchmark_group("upscaler_i8");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for k in [1, big_batch()] {
        let mut m = r.load(&vgf).expect("load");
        let x = input_for(&m, k);
        group.throughput(Throughput::Elements(k as u64));
        group.bench_function(BenchmarkId::new("compute", format!("batch{k}")), |b| {
            b.iter(|| m.run(&x, k).expect("run"))
        });
        if k > 1 {
            // One inference per dispatch, to show what whole-batch dispatches buy.
            m.set_inferences_per_dispatch(Some(1));
            let label = format!("batch{k}_per_dispatch1");
            group.bench_function(BenchmarkId::new("compute", label), |b| {
                b.iter(|| m.run(&x, k).expect("run"))
            });
        }
    }
    group.finish();
}

/// Median per-dispatch time Arm's scenario_runner reports for the upscaler with the ML
/// emulation layer (`--repeat n`, `--profiling-dump-path`), or why it could not run.
fn scenario_runner_ms(repeat: usize) -> Result<f64, String> {
    let venv = vgforge_runner::env::venv_dir();
    let sr = vgforge_runner::env::scenario_runner(&venv).map_err(|e| e.to_string())?;
    let deploy = vgforge_runner::env::emulation_layer_dir(&venv).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("vgforge-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("out")).map_err(|e| e.to_string())?;
    let env = vgforge_runner::env::emulation_env(&deploy, &dir.join("layers"))
        .map_err(|e| e.to_string())?;
    std::fs::copy(fixture("upscaler_i8.vgf"), dir.join("model.vgf")).map_err(|e| e.to_string())?;
    std::fs::copy(fixture("upscaler_input_0.npy"), dir.join("input.npy"))
        .map_err(|e| e.to_string())?;
    let scenario = serde_json::json!({
        "commands": [{"dispatch_vgf": {"bindings": [
            {"id": 0, "resource_ref": "input_0_ref", "set": 0},
            {"id": 1, "resource_ref": "output_0_ref", "set": 0}],
            "graph_ref": "vgf_graph_ref", "shader_substitutions": []}}],
        "resources": [
            {"graph": {"src": "model.vgf", "uid": "vgf_graph_ref"}},
            {"tensor": {"dims": [1, 16, 16, 3], "format": "VK_FORMAT_R8_SINT", "shader_access": "readonly", "src": "input.npy", "uid": "input_0_ref"}},
            {"tensor": {"dims": [1, 32, 32, 3], "dst": "output.npy", "format": "VK_FORMAT_R8_SINT", "shader_access": "writeonly", "uid": "output_0_ref"}}]
    });
    std::fs::write(dir.join("scenario.json"), scenario.to_string()).map_err(|e| e.to_string())?;
    let profile = dir.join("profile.json");
    let out = Command::new(&sr)
        .arg("--scenario")
        .arg(dir.join("scenario.json"))
        .arg("--output")
        .arg(dir.join("out"))
        .arg("--repeat")
        .arg(repeat.to_string())
        .arg("--profiling-dump-path")
        .arg(&profile)
        .args(["--log-level", "error"])
        .envs(env)
        .output()
        .map_err(|e| format!("{}: {e}", sr.display()))?;
    if !out.status.success() {
        return Err(format!("scenario_runner failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = std::fs::read_to_string(&profile).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    median_command_ms(&text)
}

fn median_command_ms(text: &str) -> Result<f64, String> {
    // The profile ends with a NUL byte: parse the first JSON value only.
    let mut de = serde_json::Deserializer::from_str(text.trim_end_matches('\0'))
        .into_iter::<serde_json::Value>();
    let v = de.next().ok_or("empty profile")?.map_err(|e| e.to_string())?;
    let mut ms: Vec<f64> = v["Timestamps"]
        .as_array()
        .ok_or("no Timestamps in profile")?
        .iter()
        .filter_map(|t| t["Time for command [ms]"].as_f64())
        .collect();
    if ms.is_empty() {
        return Err("no command times in profile".into());
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms[ms.len() / 2])
}

fn compare_with_scenario_runner(r: &Runner) {
    let vgf = upscaler();
    let k = big_batch();
    let mut ours = Vec::new();
    for batch in [1, k] {
        let mut m = r.load(&vgf).expect("load");
        let x = input_for(&m, batch);
        let t = m.time(&x, batch, 2, 10).expect("time");
        ours.push((batch, t.per_inference().as_secs_f64() * 1e3, t.throughput()));
    }
    for (batch, ms, ips) in &ours {
        println!(
            "vgforge compute upscaler_i8 batch {batch}: {ms:.3} ms/inference ({ips:.1} inferences/s) on {}",
            r.device_name().unwrap_or("?")
        );
    }
    match scenario_runner_ms(20) {
        Ok(arm) => {
            println!(
                "Arm scenario_runner + emulation layer upscaler_i8: {arm:.3} ms/inference (median dispatch of --repeat 20)"
            );
            for (batch, ms, _) in &ours {
                println!("speed-up of vgforge compute at batch {batch}: {:.1}x", arm / ms);
            }
        }
        Err(e) => println!("scenario_runner comparison skipped: {e}"),
    }
}

fn main() {
    let r = match Runner::new(Backend::Compute, DeviceSelector::Auto) {
        Ok(r) => r,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    let mut c = Criterion::default().configure_from_args();
    bench_ops(&mut c, &r);
    bench_model(&mut c, &r);
    c.final_summary();
    if Path::new(&fixture("upscaler_i8.vgf")).is_file() {
        compare_with_scenario_runner(&r);
    }
}
