//! Per-operator validation context and the helpers every rule family uses.

use super::Profile;
use crate::error::{Error, Result};
use crate::ir::{DType, Graph, Op, Operator, TensorDecl};

/// One operator under validation.
pub(crate) struct Ctx<'a> {
    pub g: &'a Graph,
    pub op: &'a Operator,
    pub profile: Profile,
}

/// A row of a type-support table: operand/result types in a fixed order per operator.
pub(crate) type TypeRow = &'static [DType];

impl<'a> Ctx<'a> {
    pub fn new(g: &'a Graph, op: &'a Operator, profile: Profile) -> Ctx<'a> {
        Ctx { g, op, profile }
    }

    /// An ERROR_IF violation of this operator.
    pub fn err(&self, message: impl Into<String>) -> Error {
        Error::Invalid { op: self.op.describe(), message: message.into() }
    }

    /// Name of operand `i` as the specification spells it.
    pub fn operand_name(&self, i: usize) -> String {
        let names = self.op.op.operand_names();
        match names.get(i) {
            Some(n) => (*n).to_string(),
            None => format!("input{}", i + 1),
        }
    }

    pub fn check_arity(&self) -> Result<()> {
        let n = self.op.inputs.len();
        match self.op.op {
            Op::Concat { .. } if n >= 1 => Ok(()),
            Op::Concat { .. } => Err(self.err("input1 list is empty (ERROR_IF)")),
            _ => {
                let want = self.op.op.operand_names().len();
                if n == want {
                    Ok(())
                } else {
                    Err(self.err(format!("expected {want} operands, found {n}")))
                }
            }
        }
    }

    /// Compile-time-constant operands must be fed by CONST or CONST_SHAPE.
    pub fn check_ctc(&self) -> Result<()> {
        for &i in self.op.op.ctc_operands() {
            let name = &self.op.inputs[i];
            let fed =
                self.g.producer(name).is_some_and(|p| matches!(p.op, Op::Const | Op::ConstShape));
            if !fed || self.input(i).data.is_none() {
                return Err(self.err(format!(
                    "{} '{name}' must be a compile-time constant (CONST or CONST_SHAPE output)",
                    self.operand_name(i)
                )));
            }
        }
        Ok(())
    }

    /// Declaration of operand `i`; arity and declaration were checked before.
    pub fn input(&self, i: usize) -> &'a TensorDecl {
        &self.g.tensors[&self.op.inputs[i]]
    }

    /// Declaration of the (single) result.
    pub fn out(&self) -> &'a TensorDecl {
        &self.g.tensors[&self.op.outputs[0]]
    }

    pub fn expect_rank(&self, i: usize, rank: usize) -> Result<()> {
        let d = self.input(i);
        if d.shape.len() != rank {
            return Err(self.err(format!(
                "{} '{}' must have rank {rank}, has shape {:?}",
                self.operand_name(i),
                d.name,
                d.shape
            )));
        }
        Ok(())
    }

    pub fn expect_out_shape(&self, expected: &[usize]) -> Result<()> {
        let o = self.out();
        if o.shape != expected {
            return Err(self.err(format!(
                "output '{}' has shape {:?}, expected {:?} (ERROR_IF)",
                o.name, o.shape, expected
            )));
        }
        Ok(())
    }

    pub fn expect_dtype(&self, i: usize, dtype: DType) -> Result<()> {
        let d = self.input(i);
        if d.dtype != dtype {
            return Err(self.err(format!(
                "{} '{}' must be {dtype}, is {}",
                self.operand_name(i),
                d.name,
                d.dtype
            )));
        }
        Ok(())
    }

    /// `actual` must be a row of the integer table (PRO-INT) or of the fp table (PRO-FP).
    pub fn check_types(&self, actual: &[DType], int: &[TypeRow], fp: &[TypeRow]) -> Result<()> {
        let in_int = int.contains(&actual);
        let in_fp = fp.contains(&actual);
        if (in_int && self.profile.int()) || (in_fp && self.profile.fp()) {
            return Ok(());
        }
        let list: Vec<String> = actual.iter().map(|d| d.to_string()).collect();
        let why = if in_int || in_fp { "not in profile" } else { "not supported" };
        Err(self.err(format!(
            "type combination ({}) {why} {:?} (ERROR_IF)",
            list.join(", "),
            self.profile
        )))
    }

    /// Integer values of constant operand `i`.
    pub fn const_ints(&self, i: usize) -> Result<Vec<i64>> {
        let d = self.input(i);
        d.data.as_ref().and_then(|x| x.to_i64_vec()).ok_or_else(|| {
            self.err(format!(
                "{} '{}' must be a constant integer tensor",
                self.operand_name(i),
                d.name
            ))
        })
    }

    /// Value of a `[1]`-shaped zero-point operand of type `dtype`.
    pub fn zero_point(&self, i: usize, dtype: DType) -> Result<i64> {
        self.expect_dtype(i, dtype)?;
        let d = self.input(i);
        if d.shape != [1] {
            return Err(self.err(format!(
                "{} '{}' must have shape [1], has {:?}",
                self.operand_name(i),
                d.name,
                d.shape
            )));
        }
        if dtype.is_float() {
            let v = d.data.as_ref().map(|x| match x {
                crate::ir::TensorData::F32(v) => f64::from(v[0]),
                crate::ir::TensorData::F16(v) => v[0].to_f64(),
                crate::ir::TensorData::Bf16(v) => v[0].to_f64(),
                _ => f64::NAN,
            });
            return match v {
                Some(0.0) => Ok(0),
                _ => {
                    Err(self
                        .err(format!("{} must be 0 for {dtype} (ERROR_IF)", self.operand_name(i))))
                }
            };
        }
        Ok(self.const_ints(i)?[0])
    }

    /// Zero point `i` must be 0 unless its type is INT8 (the common conv/pool/matmul rule).
    pub fn zero_point_int8_only(&self, i: usize, dtype: DType) -> Result<i64> {
        let zp = self.zero_point(i, dtype)?;
        if zp != 0 && dtype != DType::Int8 {
            let name = self.operand_name(i);
            let what = name.trim_end_matches("_zp").to_string();
            return Err(self.err(format!("{name} must be 0 for {dtype} {what} (ERROR_IF)")));
        }
        Ok(zp)
    }

    /// Values of a SHAPE operand of exactly `len` elements.
    pub fn shape_operand(&self, i: usize, len: usize) -> Result<Vec<i64>> {
        self.expect_dtype(i, DType::Shape)?;
        let v = self.const_ints(i)?;
        if v.len() != len {
            return Err(self.err(format!(
                "{} '{}' must have {len} elements, has {}",
                self.operand_name(i),
                self.input(i).name,
                v.len()
            )));
        }
        Ok(v)
    }
}
