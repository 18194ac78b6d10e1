//! The model's input/output quantization and its JSON sidecar (`MODEL.tosa.json`).
//!
//! TOSA 1.0 flatbuffers have no metadata field, so the scale and zero point that a caller needs
//! to quantise inputs and dequantise outputs are written next to the `.tosa` file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vgforge_graph::Graph;

use crate::ctx::per_tensor;
use crate::error::{Error, Result};

/// `real = scale * (q - zp)` for the model input and output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IoQuant {
    pub input_scale: f32,
    pub input_zp: i32,
    pub output_scale: f32,
    pub output_zp: i32,
}

/// `model.tosa` -> `model.tosa.json`.
pub fn sidecar_path(tosa: &Path) -> PathBuf {
    let mut s = tosa.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

impl IoQuant {
    /// The quantization of the (single) input and output of an int8 graph.
    pub fn from_graph(g: &Graph) -> Result<IoQuant> {
        let get = |names: &[String], what: &str| -> Result<(f32, i32)> {
            let gerr = |m: String| Error::Graph { graph: g.name.clone(), message: m };
            let [n] = names else {
                return Err(gerr(format!("expected one {what}, found {}", names.len())));
            };
            let t = g.tensor(n).ok_or_else(|| gerr(format!("{what} '{n}' is not declared")))?;
            let q = t.quant.as_ref().and_then(per_tensor).ok_or_else(|| {
                gerr(format!("{what} '{n}' has no per-tensor quantization parameters"))
            })?;
            Ok((q.scale, q.zp))
        };
        let (input_scale, input_zp) = get(&g.inputs, "input")?;
        let (output_scale, output_zp) = get(&g.outputs, "output")?;
        Ok(IoQuant { input_scale, input_zp, output_scale, output_zp })
    }

    /// Quantise one real input value (round half to even, as torch does, then saturate).
    pub fn quantize_input(&self, x: f32) -> i8 {
        let q = (x * (1.0 / self.input_scale)).round_ties_even() + self.input_zp as f32;
        q.clamp(-128.0, 127.0) as i8
    }

    /// Dequantise one output value.
    pub fn dequantize_output(&self, q: i8) -> f32 {
        self.output_scale * (i32::from(q) - self.output_zp) as f32
    }

    /// Write `path` atomically (temporary file in the same directory, then rename).
    pub fn write_sidecar(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Sidecar { path: path.into(), message: e.to_string() })?;
        let io = |source| Error::Io { path: path.into(), source };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }

    /// Read a sidecar written by [`IoQuant::write_sidecar`].
    pub fn read_sidecar(path: &Path) -> Result<IoQuant> {
        let meta =
            std::fs::metadata(path).map_err(|source| Error::Io { path: path.into(), source })?;
        // A sidecar is four numbers; anything large is not one.
        if meta.len() > 64 * 1024 {
            return Err(Error::Sidecar {
                path: path.into(),
                message: format!("{} bytes is too large", meta.len()),
            });
        }
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Io { path: path.into(), source })?;
        let q: IoQuant = serde_json::from_str(&text)
            .map_err(|e| Error::Sidecar { path: path.into(), message: e.to_string() })?;
        for (what, s, z) in
            [("input", q.input_scale, q.input_zp), ("output", q.output_scale, q.output_zp)]
        {
            if !(s.is_finite() && s > 0.0 && (-128..=127).contains(&z)) {
                return Err(Error::Sidecar {
                    path: path.into(),
                    message: format!("{what} scale {s} / zero point {z} out of range"),
                });
            }
        }
        Ok(q)
    }
}
