//! Per-layer error report: SQNR of every layer output against fp32, for the fake-quant (q/dq)
//! simulation and for the integer TOSA graph run in the interpreter, weakest layer first.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::Device;
use serde::{Deserialize, Serialize};
use vgforge_graph::{Graph, Op};
use vgforge_train::data::make_batch;
use vgforge_train::{ImageSet, Model, NoHooks};

use vgforge_quant::bnfold::fold_batchnorm;
use vgforge_quant::convert::dequantize_graph;
use vgforge_quant::hooks::{Capture, FakeQuantHooks};
use vgforge_quant::qparams::sqnr_db;
use vgforge_quant::scheme::QSources;

use crate::error::{Error, Result};
use crate::int8::{dequantize_to_nchw, quantize_nchw};

mod png_chart;

/// One layer's errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerRow {
    /// Layer (tensor) name; `input` for the quantized model input.
    pub layer: String,
    /// Layer kind, `conv2d+relu` for a fused pair.
    pub op: String,
    /// SQNR of the q/dq simulation against fp32, dB.
    pub fake_quant_sqnr_db: f64,
    /// SQNR of the integer graph against fp32, dB.
    pub int_sqnr_db: f64,
    /// Largest absolute difference integer vs fp32.
    pub int_max_abs_err: f64,
    /// TOSA tensor the integer value was read from.
    pub tosa_tensor: String,
}

/// The report: rows sorted weakest (lowest integer SQNR) first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerReport {
    pub samples: usize,
    pub rows: Vec<LayerRow>,
}

/// For every layer of `int8`, the TOSA tensor holding its output: the output of the last
/// operator whose `location` is the layer; a layer without operators (a ReLU folded into the
/// previous rescale) takes its input's tensor.
pub fn layer_tensors(int8: &Graph, tosa: &vgforge_tosa::Graph) -> Result<BTreeMap<String, String>> {
    let mut last: HashMap<&str, &str> = HashMap::new();
    for op in &tosa.operators {
        if let (Some(loc), Some(out)) = (&op.location, op.outputs.first())
            && !matches!(op.op, vgforge_tosa::Op::Const | vgforge_tosa::Op::ConstShape)
        {
            last.insert(loc, out);
        }
    }
    let mut map = BTreeMap::new();
    for i in &int8.inputs {
        let t =
            tosa.inputs.first().ok_or_else(|| Error::Data("the tosa graph has no input".into()))?;
        map.insert(i.clone(), t.clone());
    }
    for n in &int8.nodes {
        let t = match last.get(n.name.as_str()) {
            Some(t) => t.to_string(),
            None => map.get(&n.inputs[0]).cloned().ok_or_else(|| Error::Graph {
                graph: int8.name.clone(),
                message: format!("layer '{}' has no tosa operators and no mapped input", n.name),
            })?,
        };
        map.insert(n.outputs[0].clone(), t);
    }
    Ok(map)
}

/// Compare `fp32`, the q/dq simulation of `int8` and the integer `tosa` graph on the first
/// `samples` images of `set`.
pub fn report(
    fp32: &Graph,
    int8: &Graph,
    tosa: &vgforge_tosa::Graph,
    set: &ImageSet,
    samples: usize,
) -> Result<LayerReport> {
    let n = samples.min(set.len());
    if n == 0 {
        return Err(Error::Data("no samples to report on".into()));
    }
    int8.validate()?;
    // Layer by layer, int8 compares against the fp32 graph it was converted from.
    let folded = vgforge_quant::equalize::apply(
        &fold_batchnorm(fp32)?,
        &vgforge_quant::equalize::recorded(int8)?,
    )?;
    let sources = QSources::new(&folded)?;
    let idx: Vec<usize> = (0..n).collect();
    let batch = make_batch(set, &idx, folded.task, &Device::Cpu)?;

    let model = Model::from_graph(&folded)?;
    let mut none = NoHooks;
    let mut cap = Capture { inner: &mut none, values: HashMap::new() };
    model.forward_with(&batch.input, false, &mut cap)?;
    let reference = cap.values;

    let mut act: BTreeMap<String, (f32, i32)> = BTreeMap::new();
    for t in &int8.tensors {
        if let Some(q) = &t.quant
            && t.data.is_none()
            && q.scale.len() == 1
        {
            act.insert(t.name.clone(), (q.scale[0], q.zero_point[0]));
        }
    }
    let mut dq = dequantize_graph(int8)?;
    for t in &mut dq.tensors {
        t.quant = None;
    }
    let sim = Model::from_graph(&dq)?;
    let mut fq = FakeQuantHooks::fixed(sources.clone(), act.clone(), false);
    let mut cap = Capture { inner: &mut fq, values: HashMap::new() };
    sim.forward_with(&batch.input, false, &mut cap)?;
    let simulated = cap.values;

    let map = layer_tensors(int8, tosa)?;
    let mut probe = tosa.clone();
    let mut wanted: Vec<String> = map.values().cloned().collect();
    wanted.sort();
    wanted.dedup();
    probe.outputs = wanted.clone();
    let io = vgforge_lower::IoQuant::from_graph(int8)?;
    let dims: [usize; 4] = batch
        .input
        .dims()
        .try_into()
        .map_err(|_| Error::Data("model input must be NCHW".into()))?;
    let x = batch.input.flatten_all()?.to_vec1::<f32>()?;
    let q = quantize_nchw(&x, dims, &io);
    let [b, c, h, w] = dims;
    let outs = vgforge_tosa::interp::run_batched(
        &probe,
        &[vgforge_tosa::Tensor::i8(vec![b, h, w, c], q)?],
    )?;
    let by_name: HashMap<&str, &vgforge_tosa::Tensor> =
        wanted.iter().map(String::as_str).zip(outs.iter()).collect();

    let mut rows = Vec::new();
    let mut layers: Vec<(String, String)> =
        int8.inputs.iter().map(|i| (i.clone(), "input".to_string())).collect();
    for node in &folded.nodes {
        let out = &node.outputs[0];
        if sources.is_fused(out) {
            continue;
        }
        let fused_in = matches!(node.op, Op::Relu) && sources.is_fused(&node.inputs[0]);
        let kind = if fused_in {
            let prev = folded
                .nodes
                .iter()
                .find(|p| p.outputs.contains(&node.inputs[0]))
                .map_or("?", |p| p.op.kind());
            format!("{prev}+relu")
        } else {
            node.op.kind().to_string()
        };
        layers.push((out.clone(), kind));
    }
    for (tensor, kind) in layers {
        let (Some(r), Some(s), Some(tt), Some(&(scale, zp))) =
            (reference.get(&tensor), simulated.get(&tensor), map.get(&tensor), act.get(&tensor))
        else {
            continue;
        };
        let Some(t) = by_name.get(tt.as_str()) else { continue };
        let vgforge_tosa::TensorData::I8(v) = &t.data else { continue };
        let mut iv = dequantize_to_nchw(v, &t.shape, scale, zp);
        if let Some(perm) = flatten_perm(&folded, &tensor) {
            iv = perm.iter().map(|&i| iv[i]).collect();
        }
        if iv.len() != r.len() || s.len() != r.len() {
            continue;
        }
        let max_err = r.iter().zip(&iv).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
        rows.push(LayerRow {
            layer: tensor.clone(),
            op: kind,
            fake_quant_sqnr_db: sqnr_db(r, s),
            int_sqnr_db: sqnr_db(r, &iv),
            int_max_abs_err: max_err,
            tosa_tensor: tt.clone(),
        });
    }
    rows.sort_by(|a, b| a.int_sqnr_db.total_cmp(&b.int_sqnr_db));
    Ok(LayerReport { samples: n, rows })
}

/// For the output of a flatten of a `C x H x W` map (lowered as HWC order), the index map from
/// CHW order to the integer tensor's order.
fn flatten_perm(g: &Graph, tensor: &str) -> Option<Vec<usize>> {
    let node = g.nodes.iter().find(|n| n.outputs.first().is_some_and(|o| o == tensor))?;
    if !matches!(node.op, Op::Flatten) {
        return None;
    }
    let s = &g.tensor(&node.inputs[0])?.shape;
    let [n, c, h, w] = <[usize; 4]>::try_from(s.as_slice()).ok()?;
    if h * w == 1 || c == 1 {
        return None;
    }
    let f = c * h * w;
    let mut perm = Vec::with_capacity(n * f);
    for b in 0..n {
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    perm.push(b * f + (y * w + x) * c + ch);
                }
            }
        }
    }
    Some(perm)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io { path: path.into(), source };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

impl LayerReport {
    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        // Infinite SQNR (a bit-exact layer) is not JSON; it is written as a large number.
        let mut r = self.clone();
        for row in &mut r.rows {
            row.fake_quant_sqnr_db = row.fake_quant_sqnr_db.min(999.0);
            row.int_sqnr_db = row.int_sqnr_db.min(999.0);
        }
        serde_json::to_string_pretty(&r).unwrap_or_default()
    }

    /// A markdown table.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "Per-layer SQNR against fp32 on {} samples, weakest first.\n\n| layer | op | fake-quant SQNR (dB) | integer SQNR (dB) | integer max abs err | TOSA tensor |\n|---|---|---:|---:|---:|---|\n",
            self.samples
        );
        for r in &self.rows {
            s += &format!(
                "| {} | {} | {:.2} | {:.2} | {:.4} | `{}` |\n",
                r.layer,
                r.op,
                r.fake_quant_sqnr_db,
                r.int_sqnr_db,
                r.int_max_abs_err,
                r.tosa_tensor
            );
        }
        s
    }

    /// Write the JSON report atomically.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        write_atomic(path, (self.to_json() + "\n").as_bytes())
    }

    /// Write the markdown report atomically.
    pub fn write_markdown(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_markdown().as_bytes())
    }

    /// A bar chart (fake-quant and integer SQNR per layer), as PNG, written atomically.
    pub fn write_png(&self, path: &Path) -> Result<()> {
        let bytes =
            png_chart::render(self).map_err(|m| Error::Png { path: path.into(), message: m })?;
        write_atomic(path, &bytes)
    }
}
