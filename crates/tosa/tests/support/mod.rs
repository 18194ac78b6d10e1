//! Test support: a parser for the small TOSA-MLIR subset of the Arm reference models, which
//! rebuilds each model with [`Builder`] so the interpreter can be checked against Arm's outputs.

#![allow(dead_code)]

use vgforge_tosa::{Builder, DType, Graph, NanMode, Op, RoundingMode, Scalar, Tensor, TensorData};

pub use vgforge_testkit::arm_fixture as fixture;

fn parse_type(s: &str) -> (DType, Vec<usize>) {
    let inner = s.trim().trim_start_matches("tensor<").trim_end_matches('>');
    let mut parts: Vec<&str> = inner.split('x').collect();
    let et = parts.pop().expect("element type");
    let dtype = match et {
        "i1" => DType::Bool,
        "i8" => DType::Int8,
        "i16" => DType::Int16,
        "i32" => DType::Int32,
        "i48" => DType::Int48,
        "f16" => DType::Fp16,
        "f32" => DType::Fp32,
        other => panic!("unknown element type {other}"),
    };
    (dtype, parts.iter().map(|d| d.parse().expect("dimension")).collect())
}

fn dense(text: &str, dtype: DType, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let text = text.trim();
    let data = if let Some(hex) = text.strip_prefix("\"0x") {
        let hex = hex.trim_end_matches('"');
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        TensorData::from_le_bytes(dtype, &bytes, n).expect("hex constant")
    } else {
        let items: Vec<&str> =
            text.trim_start_matches('[').trim_end_matches(']').split(',').map(str::trim).collect();
        let items: Vec<&str> = if items.len() == 1 { vec![items[0]; n] } else { items };
        assert_eq!(items.len(), n, "dense element count");
        match dtype {
            DType::Int8 => TensorData::I8(items.iter().map(|v| v.parse().unwrap()).collect()),
            DType::Int16 => TensorData::I16(items.iter().map(|v| v.parse().unwrap()).collect()),
            DType::Int32 => TensorData::I32(items.iter().map(|v| v.parse().unwrap()).collect()),
            DType::Fp32 => TensorData::F32(items.iter().map(|v| v.parse().unwrap()).collect()),
            other => panic!("list constant of {other}"),
        }
    };
    Tensor::new(dtype, shape.to_vec(), data).expect("constant tensor")
}

/// Attribute text of `key` inside `{...}`.
fn attr<'a>(attrs: &'a str, key: &str) -> Option<&'a str> {
    let at = attrs.find(&format!("{key} = "))? + key.len() + 3;
    let rest = &attrs[at..];
    let end = if rest.starts_with("array<") {
        rest.find('>').map(|i| i + 1)
    } else {
        rest.find([',', '}'])
    }
    .unwrap_or(rest.len());
    Some(rest[..end].trim())
}

fn ints(attrs: &str, key: &str) -> Vec<i32> {
    let v = attr(attrs, key).unwrap_or_else(|| panic!("attribute {key}"));
    let v = v.trim_start_matches("array<i64:").trim_end_matches('>');
    v.split(',').map(|x| x.trim().parse().unwrap()).collect()
}

fn acc(attrs: &str) -> DType {
    match attr(attrs, "acc_type").expect("acc_type") {
        "i32" => DType::Int32,
        "i48" => DType::Int48,
        "f32" => DType::Fp32,
        "f16" => DType::Fp16,
        other => panic!("acc_type {other}"),
    }
}

fn boolean(attrs: &str, key: &str) -> bool {
    attr(attrs, key) == Some("true")
}

fn scalar(text: &str) -> Scalar {
    let (v, t) = text.split_once(':').expect("typed scalar");
    let v = v.trim();
    match t.trim() {
        "i8" => Scalar::I8(v.parse().unwrap()),
        "i16" => Scalar::I16(v.parse().unwrap()),
        "i32" => Scalar::I32(v.parse().unwrap()),
        "f32" => Scalar::F32(v.parse().unwrap()),
        other => panic!("scalar type {other}"),
    }
}

/// Parse one of the reference `.mlir` models into a graph.
pub fn parse_mlir(text: &str) -> Graph {
    let mut b = Builder::new("main");
    let mut names = std::collections::HashMap::new();
    for line in text.lines().map(str::trim) {
        if let Some(sig) = line.strip_prefix("func.func @main(") {
            let args = &sig[..sig.find(") ->").expect("signature")];
            for arg in args.split("%").filter(|a| !a.is_empty()) {
                let (name, ty) = arg.split_once(':').expect("argument");
                let (dt, shape) = parse_type(ty.trim().trim_end_matches(','));
                let real = b.add_input(name.trim(), dt, &shape);
                names.insert(name.trim().to_string(), real);
            }
            continue;
        }
        if let Some(ret) = line.strip_prefix("return %") {
            let name = ret.split(':').next().unwrap().trim();
            b.set_outputs(&[names[name].as_str()]);
            continue;
        }
        let Some((lhs, rhs)) = line.split_once(" = ") else { continue };
        let Some(lhs) = lhs.strip_prefix('%') else { continue };
        let result_ty = rhs.rsplit("-> ").next().unwrap();
        if rhs.starts_with("\"tosa.const\"") {
            let v = &rhs[rhs.find("dense<").unwrap() + 6..];
            let (body, ty) = v.split_once("> : ").unwrap();
            let ty = &ty[..ty.find('}').unwrap()];
            let (dt, shape) = parse_type(ty);
            let real = b.add_const(lhs, dense(body, dt, &shape));
            names.insert(lhs.to_string(), real);
            continue;
        }
        if rhs.starts_with("tosa.const_shape") {
            let v = &rhs[rhs.find("dense<[").unwrap() + 7..];
            let vals: Vec<i64> =
                v[..v.find(']').unwrap()].split(',').map(|x| x.trim().parse().unwrap()).collect();
            let real = b.add_const_shape(lhs, &vals);
            names.insert(lhs.to_string(), real);
            continue;
        }
        let rest = rhs.strip_prefix("tosa.").expect("tosa op");
        let (opname, rest) = rest.split_once(' ').unwrap();
        let operand_end = rest.find(" {").or_else(|| rest.find(" :")).unwrap();
        let operands: Vec<String> = rest[..operand_end]
            .split(',')
            .map(|s| names[s.trim().trim_start_matches('%')].clone())
            .collect();
        let attrs = if rest[operand_end..].starts_with(" {") {
            &rest[operand_end + 1..rest.find('}').unwrap() + 1]
        } else {
            ""
        };
        let op = match opname {
            "conv2d" => Op::Conv2d {
                pad: ints(attrs, "pad").try_into().unwrap(),
                stride: ints(attrs, "stride").try_into().unwrap(),
                dilation: ints(attrs, "dilation").try_into().unwrap(),
                local_bound: false,
                acc_type: acc(attrs),
            },
            "rescale" => Op::Rescale {
                scale32: boolean(attrs, "scale32"),
                rounding_mode: match attr(attrs, "rounding_mode") {
                    Some("DOUBLE_ROUND") => RoundingMode::DoubleRound,
                    Some("INEXACT_ROUND") => RoundingMode::InexactRound,
                    _ => RoundingMode::SingleRound,
                },
                per_channel: boolean(attrs, "per_channel"),
                input_unsigned: boolean(attrs, "input_unsigned"),
                output_unsigned: boolean(attrs, "output_unsigned"),
            },
            "clamp" => Op::Clamp {
                min_val: scalar(attr(attrs, "min_val").unwrap()),
                max_val: scalar(attr(attrs, "max_val").unwrap()),
                nan_mode: NanMode::Propagate,
            },
            "max_pool2d" => Op::MaxPool2d {
                kernel: ints(attrs, "kernel").try_into().unwrap(),
                stride: ints(attrs, "stride").try_into().unwrap(),
                pad: ints(attrs, "pad").try_into().unwrap(),
                nan_mode: NanMode::Propagate,
            },
            "avg_pool2d" => Op::AvgPool2d {
                kernel: ints(attrs, "kernel").try_into().unwrap(),
                stride: ints(attrs, "stride").try_into().unwrap(),
                pad: ints(attrs, "pad").try_into().unwrap(),
                acc_type: acc(attrs),
            },
            "reshape" => Op::Reshape,
            "matmul" => Op::MatMul,
            "add" => Op::Add,
            other => panic!("op {other} is not in the reference subset"),
        };
        let (dt, shape) = parse_type(result_ty);
        let refs: Vec<&str> = operands.iter().map(String::as_str).collect();
        b.set_location(Some(lhs));
        let real = b.add_op(op, &refs, dt, &shape);
        b.set_location(None);
        names.insert(lhs.to_string(), real);
    }
    b.finish()
}
