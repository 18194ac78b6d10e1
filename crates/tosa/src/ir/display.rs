//! A readable, MLIR-like listing of a graph, used by golden tests and `--dump` output.
//!
//! It is a printout only; nothing parses it back.

use std::fmt::{self, Write as _};

use super::{Graph, Op, TensorData};

/// Constants longer than this print their first elements and a count.
const MAX_PRINTED_ELEMS: usize = 16;

fn type_str(g: &Graph, name: &str) -> String {
    match g.tensor(name) {
        Some(d) => {
            let mut s = String::from("tensor<");
            for dim in &d.shape {
                let _ = write!(s, "{dim}x");
            }
            s.push_str(d.dtype.short_name());
            s.push('>');
            s
        }
        None => "<undeclared>".to_string(),
    }
}

fn data_str(d: &TensorData) -> String {
    fn list<T: fmt::Debug>(v: &[T]) -> String {
        let shown: Vec<String> =
            v.iter().take(MAX_PRINTED_ELEMS).map(|x| format!("{x:?}")).collect();
        if v.len() > MAX_PRINTED_ELEMS {
            format!("[{}, ... ({} values)]", shown.join(", "), v.len())
        } else {
            format!("[{}]", shown.join(", "))
        }
    }
    match d {
        TensorData::Bool(v) => list(v),
        TensorData::I8(v) => list(v),
        TensorData::I16(v) => list(v),
        TensorData::I32(v) => list(v),
        TensorData::I64(v) => list(v),
        TensorData::F16(v) => list(&v.iter().map(|x| x.to_f32()).collect::<Vec<_>>()),
        TensorData::Bf16(v) => list(&v.iter().map(|x| x.to_f32()).collect::<Vec<_>>()),
        TensorData::F32(v) => list(v),
    }
}

fn attr_str(op: &Op) -> String {
    match op {
        Op::Conv2d { pad, stride, dilation, local_bound, acc_type }
        | Op::DepthwiseConv2d { pad, stride, dilation, local_bound, acc_type } => format!(
            " {{pad = {pad:?}, stride = {stride:?}, dilation = {dilation:?}, acc_type = {acc_type}, local_bound = {local_bound}}}"
        ),
        Op::TransposeConv2d { out_pad, stride, local_bound, acc_type } => format!(
            " {{out_pad = {out_pad:?}, stride = {stride:?}, acc_type = {acc_type}, local_bound = {local_bound}}}"
        ),
        Op::MaxPool2d { kernel, stride, pad, nan_mode } => format!(
            " {{kernel = {kernel:?}, stride = {stride:?}, pad = {pad:?}, nan_mode = {}}}",
            nan_mode.name()
        ),
        Op::AvgPool2d { kernel, stride, pad, acc_type } => format!(
            " {{kernel = {kernel:?}, stride = {stride:?}, pad = {pad:?}, acc_type = {acc_type}}}"
        ),
        Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned } => {
            format!(
                " {{scale32 = {scale32}, rounding_mode = {}, per_channel = {per_channel}, input_unsigned = {input_unsigned}, output_unsigned = {output_unsigned}}}",
                rounding_mode.name()
            )
        }
        Op::Clamp { min_val, max_val, nan_mode } => {
            format!(" {{min_val = {min_val}, max_val = {max_val}, nan_mode = {}}}", nan_mode.name())
        }
        Op::Maximum { nan_mode } | Op::Minimum { nan_mode } => {
            format!(" {{nan_mode = {}}}", nan_mode.name())
        }
        Op::Resize { mode } => format!(" {{mode = {}}}", mode.name()),
        Op::Transpose { perms } => format!(" {{perms = {perms:?}}}"),
        Op::Concat { axis } | Op::ReduceSum { axis } => format!(" {{axis = {axis}}}"),
        Op::ReduceMax { axis, nan_mode } | Op::ArgMax { axis, nan_mode } => {
            format!(" {{axis = {axis}, nan_mode = {}}}", nan_mode.name())
        }
        _ => String::new(),
    }
}

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<String> =
            self.inputs.iter().map(|n| format!("%{n}: {}", type_str(self, n))).collect();
        let rets: Vec<String> = self.outputs.iter().map(|n| type_str(self, n)).collect();
        writeln!(f, "tosa.graph @{}({}) -> ({}) {{", self.name, args.join(", "), rets.join(", "))?;
        for o in &self.operators {
            let outs: Vec<String> = o.outputs.iter().map(|n| format!("%{n}")).collect();
            let ins: Vec<String> = o.inputs.iter().map(|n| format!("%{n}")).collect();
            let ty: Vec<String> = o.outputs.iter().map(|n| type_str(self, n)).collect();
            write!(
                f,
                "  {} = tosa.{}({}){} : {}",
                outs.join(", "),
                o.op.name().to_ascii_lowercase(),
                ins.join(", "),
                attr_str(&o.op),
                ty.join(", ")
            )?;
            if matches!(o.op, Op::Const | Op::ConstShape)
                && let Some(d) = o.outputs.first().and_then(|n| self.tensor(n)?.data.as_ref())
            {
                write!(f, " = {}", data_str(d))?;
            }
            if let Some(l) = &o.location {
                write!(f, " loc(\"{l}\")")?;
            }
            writeln!(f)?;
        }
        let outs: Vec<String> = self.outputs.iter().map(|n| format!("%{n}")).collect();
        writeln!(f, "  return {}", outs.join(", "))?;
        writeln!(f, "}}")
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{Builder, DType, NanMode, Op, Scalar, Tensor};

    #[test]
    fn golden_listing() {
        let mut b = Builder::new("main");
        let x = b.add_input("x", DType::Int8, &[1, 4, 4, 2]);
        b.set_location(Some("pool"));
        let p = b.add_op(
            Op::MaxPool2d {
                kernel: [2, 2],
                stride: [2, 2],
                pad: [0; 4],
                nan_mode: NanMode::Propagate,
            },
            &[&x],
            DType::Int8,
            &[1, 2, 2, 2],
        );
        b.set_location(None);
        let s = b.add_const_shape("shape", &[1, 8]);
        let r = b.add_op(Op::Reshape, &[&p, &s], DType::Int8, &[1, 8]);
        let t = b.add_const("t", Tensor::i8(vec![20], (0..20).collect()).unwrap());
        let clamp = Op::Clamp {
            min_val: Scalar::I8(-3),
            max_val: Scalar::I8(9),
            nan_mode: NanMode::Propagate,
        };
        let c = b.add_op(clamp, &[&r], DType::Int8, &[1, 8]);
        b.set_outputs(&[&c, &t]);
        let want = r#"tosa.graph @main(%x: tensor<1x4x4x2xi8>) -> (tensor<1x8xi8>, tensor<20xi8>) {
  %pool = tosa.max_pool2d(%x) {kernel = [2, 2], stride = [2, 2], pad = [0, 0, 0, 0], nan_mode = PROPAGATE} : tensor<1x2x2x2xi8> loc("pool")
  %shape = tosa.const_shape() : tensor<2xshape> = [1, 8]
  %reshape = tosa.reshape(%pool, %shape) : tensor<1x8xi8>
  %t = tosa.const() : tensor<20xi8> = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, ... (20 values)]
  %clamp = tosa.clamp(%reshape) {min_val = -3 : i8, max_val = 9 : i8, nan_mode = PROPAGATE} : tensor<1x8xi8>
  return %clamp, %t
}
"#;
        assert_eq!(b.finish().to_string(), want);
    }

    #[test]
    fn builder_names_are_unique() {
        let mut b = Builder::new("g");
        let a = b.add_input("x", DType::Int32, &[1]);
        let c = b.add_input("x", DType::Int32, &[1]);
        let d = b.add_op(Op::Add, &[&a, &c], DType::Int32, &[1]);
        let e = b.add_op(Op::Add, &[&d, &c], DType::Int32, &[1]);
        assert_eq!(a, "x");
        assert_ne!(a, c);
        assert_ne!(d, e);
        assert_eq!(b.graph().tensors.len(), 4);
    }
}
