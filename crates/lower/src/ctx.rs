//! Lowering state: the TOSA builder, the value of every lowered graph tensor, and helpers that
//! emit the constant operands TOSA wants (zero points, multipliers, shapes).

use std::collections::{BTreeMap, HashMap};

use vgforge_graph::{Graph, QuantParams, Tensor, TensorData};
use vgforge_tosa::{Builder, DType, Op, RoundingMode, Tensor as TTensor};

use crate::error::{Error, Result};
use crate::io::IoQuant;
use crate::scale::quantize_scale;
use crate::{Lowered, Precision};

/// Per-tensor affine quantization of an activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Q {
    pub scale: f32,
    pub zp: i32,
    pub qmin: i32,
    pub qmax: i32,
}

/// A lowered activation.
#[derive(Debug, Clone)]
pub(crate) struct Value {
    /// TOSA tensor name.
    pub name: String,
    /// NHWC (rank 4) or `[N, F]` (rank 2).
    pub shape: Vec<usize>,
    /// Set on `[N, F]` values made by flattening an NHWC tensor: `(C, H, W)` of the source,
    /// whose features are therefore in HWC order rather than PyTorch's CHW order.
    pub hwc_of: Option<[usize; 3]>,
}

pub(crate) struct Lowerer<'g> {
    pub g: &'g Graph,
    pub b: Builder,
    pub precision: Precision,
    pub layer: String,
    values: HashMap<String, Value>,
    layer_outputs: BTreeMap<String, String>,
}

impl<'g> Lowerer<'g> {
    pub fn new(g: &'g Graph, precision: Precision, batch: Option<usize>) -> Result<Self> {
        let mut cx = Lowerer {
            g,
            b: Builder::new("main"),
            precision,
            layer: String::new(),
            values: HashMap::new(),
            layer_outputs: BTreeMap::new(),
        };
        let input = &g.inputs[0];
        let t = cx.tensor(input)?;
        let shape = match t.shape.as_slice() {
            [n, c, h, w] => vec![batch.unwrap_or(*n), *h, *w, *c],
            [n, f] => vec![batch.unwrap_or(*n), *f],
            s => {
                return Err(
                    cx.gerr(format!("input '{input}' has shape {s:?}; expected NCHW or [N, F]"))
                );
            }
        };
        if shape[0] == 0 {
            return Err(cx.gerr("batch size must be at least 1".into()));
        }
        let name = cx.b.add_input(input, cx.act_dtype(), &shape);
        cx.values.insert(input.clone(), Value { name, shape, hwc_of: None });
        Ok(cx)
    }

    pub fn set_layer(&mut self, layer: &str) {
        self.layer = layer.to_string();
        self.b.set_location(Some(layer));
    }

    pub fn is_int(&self) -> bool {
        self.precision == Precision::Int8
    }

    /// Element type of activations between layers.
    pub fn act_dtype(&self) -> DType {
        if self.is_int() { DType::Int8 } else { DType::Fp32 }
    }

    pub fn gerr(&self, message: String) -> Error {
        Error::Graph { graph: self.g.name.clone(), message }
    }

    pub fn tensor(&self, name: &str) -> Result<&'g Tensor> {
        self.g.tensor(name).ok_or_else(|| self.gerr(format!("tensor '{name}' is not declared")))
    }

    pub fn value(&self, name: &str) -> Result<Value> {
        self.values.get(name).cloned().ok_or_else(|| {
            self.gerr(format!("layer '{}' reads '{name}', which has not been computed", self.layer))
        })
    }

    /// Record the lowered value of graph tensor `name` (a layer output).
    pub fn define(&mut self, name: &str, v: Value) {
        self.layer_outputs.insert(self.layer.clone(), v.name.clone());
        self.values.insert(name.to_string(), v);
    }

    /// Per-tensor activation quantization of graph tensor `name`.
    pub fn act_q(&self, name: &str) -> Result<Q> {
        let t = self.tensor(name)?;
        let q = t.quant.as_ref().ok_or_else(|| {
            self.gerr(format!("activation '{name}' has no quantization parameters"))
        })?;
        per_tensor(q)
            .ok_or_else(|| self.gerr(format!("activation '{name}' must be quantized per tensor")))
    }

    /// Constant f32 data of `name`.
    pub fn f32_data(&self, name: &str) -> Result<&'g [f32]> {
        match &self.tensor(name)?.data {
            Some(TensorData::F32(v)) => Ok(v),
            Some(d) => {
                Err(self
                    .gerr(format!("tensor '{name}' holds {} data, expected f32", d.dtype().name())))
            }
            None => Err(self.gerr(format!("tensor '{name}' has no data"))),
        }
    }

    pub fn add_const(&mut self, base: &str, t: TTensor) -> String {
        self.b.add_const(base, t)
    }

    /// A `[1]` zero-point constant of `dtype` (f32 zero for floating-point operators).
    pub fn zp(&mut self, dtype: DType, v: i32) -> String {
        let base = format!("{}_zp", self.layer);
        self.b.add_scalar_const(&base, dtype, i64::from(v))
    }

    pub fn op(&mut self, op: Op, inputs: &[&str], dtype: DType, shape: &[usize]) -> String {
        self.b.add_op(op, inputs, dtype, shape)
    }

    pub fn reshape(&mut self, input: &str, dtype: DType, shape: &[usize]) -> String {
        let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let s = self.b.add_const_shape(&format!("{}_shape", self.layer), &dims);
        self.op(Op::Reshape, &[input, &s], dtype, shape)
    }

    /// RESCALE with SINGLE_ROUND and 32-bit multipliers, one scale per innermost channel (or
    /// one for the whole tensor when `scales.len() == 1`).
    #[allow(clippy::too_many_arguments)]
    pub fn rescale(
        &mut self,
        input: &str,
        in_dtype: DType,
        out_dtype: DType,
        shape: &[usize],
        scales: &[f64],
        in_zp: i32,
        out_zp: i32,
    ) -> Result<String> {
        let mut mults = Vec::with_capacity(scales.len());
        let mut shifts = Vec::with_capacity(scales.len());
        for &s in scales {
            let m = quantize_scale(&self.layer, s, true)?;
            mults.push(m.multiplier);
            shifts.push(m.shift);
        }
        let n = scales.len();
        let layer = self.layer.clone();
        let mult = self.add_const(&format!("{layer}_multiplier"), TTensor::i32(vec![n], mults)?);
        let shift = self.add_const(&format!("{layer}_shift"), TTensor::i8(vec![n], shifts)?);
        let izp = self.zp(in_dtype, in_zp);
        let ozp = self.zp(out_dtype, out_zp);
        let op = Op::Rescale {
            scale32: true,
            rounding_mode: RoundingMode::SingleRound,
            per_channel: n > 1,
            input_unsigned: false,
            output_unsigned: false,
        };
        Ok(self.op(op, &[input, &mult, &shift, &izp, &ozp], out_dtype, shape))
    }

    pub fn finish(mut self) -> Result<Lowered> {
        let g = self.g;
        let [out] = g.outputs.as_slice() else {
            return Err(
                self.gerr(format!("expected exactly one output, found {}", g.outputs.len()))
            );
        };
        self.layer = "<output>".into();
        let v = self.value(out)?;
        if let (Some([_, h, w]), true) = (v.hwc_of, v.shape.len() == 2)
            && h * w > 1
        {
            return Err(self.gerr(format!(
                "output '{out}' is a flattened {h}x{w} feature map; its element order would differ from the model's (CHW) without a TRANSPOSE"
            )));
        }
        self.b.set_outputs(&[&v.name]);
        let io = match self.precision {
            Precision::Int8 => Some(IoQuant::from_graph(g)?),
            Precision::Fp32 => None,
        };
        Ok(Lowered {
            graph: self.b.finish(),
            precision: self.precision,
            io,
            layer_outputs: self.layer_outputs,
        })
    }
}

/// The single scale and zero point of per-tensor parameters.
pub(crate) fn per_tensor(q: &QuantParams) -> Option<Q> {
    match (q.axis, q.scale.as_slice(), q.zero_point.as_slice()) {
        (None, [s], [z]) => Some(Q { scale: *s, zp: *z, qmin: q.qmin, qmax: q.qmax }),
        _ => None,
    }
}

/// OIHW (row-major) -> OHWI.
pub(crate) fn oihw_to_ohwi<T: Copy>(w: &[T], o: usize, i: usize, h: usize, k: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(w.len());
    for oc in 0..o {
        for y in 0..h {
            for x in 0..k {
                for ic in 0..i {
                    out.push(w[((oc * i + ic) * h + y) * k + x]);
                }
            }
        }
    }
    out
}
