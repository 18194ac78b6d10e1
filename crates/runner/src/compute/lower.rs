//! TOSA graph -> [`Plan`]: picks a kernel per operator, fuses CONV2D/DEPTHWISE_CONV2D with
//! the RESCALE (and CLAMP) that consumes it, and turns RESHAPE/IDENTITY into views.
//! Every shape relation a kernel relies on is checked here, so a malformed graph is an
//! error before any GPU work, never an out-of-bounds access.

use std::collections::HashMap;

use vgforge_tosa::{DType, Graph, Op, Operator, TensorData};

use super::plan::{Plan, Port, Slot, Step, Storage, words};
use crate::error::{Error, Result};
use crate::vk::Kernel;

const BACKEND: &str = "compute";

/// Per-device choices of the lowering.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LowerOptions {
    /// Int8 CONV2D and DEPTHWISE_CONV2D with constant weights on `conv2d_fast.comp` and
    /// `depthwise_fast.comp` (see `conv_fast.rs`, `depthwise_fast.rs`), int8 pooling over
    /// whole words per pixel on `pool_fast.comp`.
    pub blocked_conv: bool,
}

pub(crate) struct Lowerer<'g> {
    g: &'g Graph,
    plan: Plan,
    slot_of: HashMap<String, usize>,
    uses: HashMap<&'g str, usize>,
    /// Operators already folded into an earlier step.
    skip: Vec<bool>,
    dummy: Option<usize>,
    options: LowerOptions,
    /// Int8 NHWC slots stored with their channels padded to this many per pixel.
    padded: HashMap<usize, usize>,
}

fn unsupported(op: &Operator, reason: impl Into<String>) -> Error {
    Error::Unsupported { backend: BACKEND, op: op.describe(), reason: reason.into() }
}

fn bad(op: &Operator, reason: impl std::fmt::Display) -> Error {
    Error::InvalidGraph(format!("{}: {reason}", op.describe()))
}

fn storage_of(dt: DType) -> Option<Storage> {
    match dt {
        DType::Int8 => Some(Storage::I8),
        DType::Int16 | DType::Int32 => Some(Storage::I32),
        DType::Fp32 => Some(Storage::F32),
        _ => None,
    }
}

/// Constant bytes in GPU storage layout.
fn encode(data: &TensorData, storage: Storage) -> Option<Vec<u8>> {
    Some(match (data, storage) {
        (TensorData::I8(v), Storage::I8) => v.iter().map(|&x| x as u8).collect(),
        (TensorData::I16(v), Storage::I32) => {
            v.iter().flat_map(|&x| i32::from(x).to_le_bytes()).collect()
        }
        (TensorData::I32(v), Storage::I32) => v.iter().flat_map(|&x| x.to_le_bytes()).collect(),
        (TensorData::F32(v), Storage::F32) => v.iter().flat_map(|&x| x.to_le_bytes()).collect(),
        _ => return None,
    })
}

impl<'g> Lowerer<'g> {
    pub fn lower(g: &'g Graph, options: LowerOptions) -> Result<Plan> {
        let mut uses: HashMap<&str, usize> = HashMap::new();
        for o in &g.operators {
            for i in &o.inputs {
                *uses.entry(i.as_str()).or_default() += 1;
            }
        }
        for o in &g.outputs {
            // Graph outputs must stay materialised: count them as an extra use.
            *uses.entry(o.as_str()).or_default() += 1;
        }
        let mut l = Lowerer {
            g,
            plan: Plan::default(),
            slot_of: HashMap::new(),
            uses,
            skip: vec![false; g.operators.len()],
            dummy: None,
            options,
            padded: HashMap::new(),
        };
        for name in &g.inputs {
            let d = g.tensor(name).ok_or_else(|| {
                Error::InvalidGraph(format!("graph input '{name}' is not declared"))
            })?;
            let storage = storage_of(d.dtype).ok_or_else(|| Error::Unsupported {
                backend: BACKEND,
                op: format!("graph input '{name}'"),
                reason: format!("element type {}", d.dtype),
            })?;
            let slot = l.new_slot(name, storage, numel(&d.shape)?, None);
            l.plan.inputs.push(Port {
                slot,
                name: name.clone(),
                dtype: d.dtype,
                shape: d.shape.clone(),
            });
        }
        for (i, op) in g.operators.iter().enumerate() {
            if l.skip[i] {
                continue;
            }
            l.op(i, op)?;
        }
        for name in &g.outputs {
            let d = g.tensor(name).ok_or_else(|| {
                Error::InvalidGraph(format!("graph output '{name}' is not declared"))
            })?;
            let slot = l.slot(name, None)?;
            l.plan.outputs.push(Port {
                slot,
                name: name.clone(),
                dtype: d.dtype,
                shape: d.shape.clone(),
            });
        }
        Ok(l.plan)
    }

    fn new_slot(
        &mut self,
        name: &str,
        storage: Storage,
        elems: usize,
        constant: Option<Vec<u8>>,
    ) -> usize {
        let batched = constant.is_none();
        self.plan.slots.push(Slot { name: name.to_string(), storage, elems, constant, batched });
        let id = self.plan.slots.len() - 1;
        self.slot_of.insert(name.to_string(), id);
        id
    }

    fn dummy(&mut self) -> usize {
        if let Some(d) = self.dummy {
            return d;
        }
        let id = self.new_slot("(unused binding)", Storage::I32, 1, Some(vec![0; 4]));
        self.dummy = Some(id);
        id
    }

    fn decl(&self, op: &Operator, name: &str) -> Result<&'g vgforge_tosa::TensorDecl> {
        self.g.tensor(name).ok_or_else(|| bad(op, format!("tensor '{name}' is not declared")))
    }

    /// The slot of a tensor: produced earlier, a graph input, or a constant uploaded once.
    fn slot(&mut self, name: &str, op: Option<&Operator>) -> Result<usize> {
        if let Some(&s) = self.slot_of.get(name) {
            return Ok(s);
        }
        let who = op.map(|o| o.describe()).unwrap_or_else(|| "graph output".into());
        let d = self.g.tensor(name).ok_or_else(|| {
            Error::InvalidGraph(format!("{who}: tensor '{name}' is not declared"))
        })?;
        let Some(data) = &d.data else {
            return Err(Error::InvalidGraph(format!(
                "{who}: tensor '{name}' is used before it is produced"
            )));
        };
        let storage = storage_of(d.dtype).ok_or_else(|| Error::Unsupported {
            backend: BACKEND,
            op: who.clone(),
            reason: format!("constant '{name}' of type {}", d.dtype),
        })?;
        let bytes = encode(data, storage)
            .filter(|b| b.len() == numel(&d.shape).unwrap_or(usize::MAX) * storage.bytes())
            .ok_or_else(|| {
                Error::InvalidGraph(format!(
                    "{who}: constant '{name}' data does not match its type/shape"
                ))
            })?;
        let n = numel(&d.shape)?;
        Ok(self.new_slot(name, storage, n, Some(bytes)))
    }

    /// A slot the kernel indexes per inference: constants are replicated per inference.
    fn batched_slot(&mut self, name: &str, op: &Operator) -> Result<usize> {
        let s = self.slot(name, Some(op))?;
        self.plan.slots[s].batched = true;
        Ok(s)
    }

    fn out_slot(
        &mut self,
        op: &Operator,
        idx: usize,
        storage: Storage,
    ) -> Result<(usize, &'g vgforge_tosa::TensorDecl)> {
        let name = op.outputs.get(idx).ok_or_else(|| bad(op, "missing output"))?;
        let d = self.decl(op, name)?;
        let want = storage_of(d.dtype);
        if want != Some(storage) {
            return Err(unsupported(op, format!("output '{name}' of type {}", d.dtype)));
        }
        Ok((self.new_slot(name, storage, numel(&d.shape)?, None), d))
    }

    fn input<'a>(&self, op: &'a Operator, i: usize) -> Result<&'a str> {
        op.inputs.get(i).map(String::as_str).ok_or_else(|| bad(op, format!("missing operand {i}")))
    }

    /// Integer values of a compile-time constant operand.
    fn ints(&self, op: &Operator, i: usize) -> Result<Vec<i64>> {
        let name = self.input(op, i)?;
        let d = self.decl(op, name)?;
        let data = d
            .data
            .as_ref()
            .ok_or_else(|| unsupported(op, format!("operand '{name}' is not a constant")))?;
        data.to_i64_vec().ok_or_else(|| bad(op, format!("operand '{name}' is not integer")))
    }

    fn scalar(&self, op: &Operator, i: usize) -> Result<i64> {
        let v = self.ints(op, i)?;
        v.first().copied().ok_or_else(|| bad(op, format!("operand {i} is empty")))
    }

    fn push(
        &mut self,
        kernel: Kernel,
        bindings: Vec<usize>,
        push: Vec<i64>,
        threads: usize,
        images: usize,
        label: String,
    ) {
        self.plan.steps.push(Step {
            kernel,
            bindings,
            push: words(&push),
            threads,
            images,
            groups_y: 0,
            label,
        });
    }

    /// The single consumer of `name`, if exactly one operator uses it and it is not a graph output.
    fn sole_consumer(&self, name: &str, after: usize) -> Option<usize> {
        if self.uses.get(name).copied() != Some(1) {
            return None;
        }
        self.g
            .operators
            .iter()
            .enumerate()
            .skip(after + 1)
            .find(|(_, o)| o.inputs.iter().any(|i| i == name))
            .map(|(j, _)| j)
    }

    fn op(&mut self, i: usize, op: &'g Operator) -> Result<()> {
        match &op.op {
            Op::Const | Op::ConstShape => Ok(()),
            Op::Reshape | Op::Identity => self.view(op),
            Op::Conv2d { pad, stride, dilation, acc_type, .. } => super::conv::conv(
                self,
                i,
                op,
                super::conv::ConvAttrs {
                    pad: *pad,
                    stride: *stride,
                    dilation: *dilation,
                    acc: *acc_type,
                    depthwise: false,
                },
            ),
            Op::DepthwiseConv2d { pad, stride, dilation, acc_type, .. } => super::conv::conv(
                self,
                i,
                op,
                super::conv::ConvAttrs {
                    pad: *pad,
                    stride: *stride,
                    dilation: *dilation,
                    acc: *acc_type,
                    depthwise: true,
                },
            ),
            Op::Rescale { .. } => super::rescale::rescale(self, i, op),
            Op::Clamp { .. } => super::ops::clamp(self, op),
            Op::MaxPool2d { .. } | Op::AvgPool2d { .. } => super::ops::pool(self, op),
            Op::Resize { .. } => super::ops::resize(self, i, op),
            Op::MatMul => super::ops::matmul(self, op),
            Op::Add | Op::Sub => super::ops::binary(self, op),
            Op::Table => super::ops::table(self, op),
            other => Err(unsupported(op, format!("no {} kernel", other.name()))),
        }
    }

    fn view(&mut self, op: &Operator) -> Result<()> {
        let src = self.input(op, 0)?.to_string();
        let s = self.slot(&src, Some(op))?;
        let out = op.outputs.first().ok_or_else(|| bad(op, "missing output"))?;
        let d = self.decl(op, out)?;
        if numel(&d.shape)? != self.plan.slots[s].elems
            || storage_of(d.dtype) != Some(self.plan.slots[s].storage)
        {
            return Err(bad(op, format!("'{out}' is not a same-size, same-type view of '{src}'")));
        }
        self.slot_of.insert(out.clone(), s);
        Ok(())
    }
}

pub(crate) fn numel(shape: &[usize]) -> Result<usize> {
    vgforge_tosa::ir::checked_numel(shape)
        .ok_or_else(|| Error::InvalidGraph(format!("shape {shape:?} overflows")))
}

// Operator lowerings that need the private helpers live in `conv.rs` and `ops.rs`.
impl<'g> Lowerer<'g> {
    pub(super) fn g(&self) -> &'g Graph {
        self.g
    }
    pub(super) fn h_input<'a>(&self, op: &'a Operator, i: usize) -> Result<&'a str> {
        self.input(op, i)
    }
    pub(super) fn h_decl(&self, op: &Operator, name: &str) -> Result<&'g vgforge_tosa::TensorDecl> {
        self.decl(op, name)
    }
    pub(super) fn h_slot(&mut self, op: &Operator, name: &str) -> Result<usize> {
        self.slot(name, Some(op))
    }
    pub(super) fn h_batched(&mut self, op: &Operator, name: &str) -> Result<usize> {
        self.batched_slot(name, op)
    }
    pub(super) fn h_out(
        &mut self,
        op: &Operator,
        storage: Storage,
    ) -> Result<(usize, &'g vgforge_tosa::TensorDecl)> {
        self.out_slot(op, 0, storage)
    }
    pub(super) fn h_ints(&self, op: &Operator, i: usize) -> Result<Vec<i64>> {
        self.ints(op, i)
    }
    pub(super) fn h_scalar(&self, op: &Operator, i: usize) -> Result<i64> {
        self.scalar(op, i)
    }
    /// Adds a dispatch of `threads` invocations per image, `images` images per inference.
    pub(super) fn h_push(
        &mut self,
        kernel: Kernel,
        bindings: Vec<usize>,
        push: Vec<i64>,
        threads: usize,
        images: usize,
        label: String,
    ) {
        self.push(kernel, bindings, push, threads, images, label)
    }
    /// Marks the last step as walking `groups_y` workgroups along y itself.
    pub(super) fn h_set_groups_y(&mut self, groups_y: usize) {
        if let Some(s) = self.plan.steps.last_mut() {
            s.groups_y = groups_y;
        }
    }
    /// A constant derived from the graph (e.g. widened RESCALE shifts).
    pub(super) fn h_const(
        &mut self,
        name: &str,
        storage: Storage,
        elems: usize,
        bytes: Vec<u8>,
    ) -> usize {
        self.new_slot(name, storage, elems, Some(bytes))
    }
    pub(super) fn h_is_constant(&self, slot: usize) -> bool {
        !self.plan.slots[slot].batched
    }
    /// Output slot of `op` whose pixels hold `channels_padded` channels instead of the
    /// declared `channels` (the extra ones are never written).
    pub(super) fn h_out_padded(
        &mut self,
        op: &Operator,
        channels: usize,
        channels_padded: usize,
    ) -> Result<usize> {
        let (slot, d) = self.out_slot(op, 0, Storage::I8)?;
        let pixels = numel(&d.shape)? / channels.max(1);
        self.plan.slots[slot].elems =
            pixels.checked_mul(channels_padded).ok_or_else(|| bad(op, "padded size overflows"))?;
        self.padded.insert(slot, channels_padded);
        Ok(slot)
    }
    /// Channels per pixel of a slot stored padded (see [`Self::h_out_padded`]).
    pub(super) fn h_padded(&self, slot: usize) -> Option<usize> {
        self.padded.get(&slot).copied()
    }
    pub(super) fn h_options(&self) -> LowerOptions {
        self.options
    }
    pub(super) fn h_dummy(&mut self) -> usize {
        self.dummy()
    }
    pub(super) fn h_sole_consumer(&self, name: &str, after: usize) -> Option<usize> {
        self.sole_consumer(name, after)
    }
    pub(super) fn h_skip(&mut self, i: usize) {
        self.skip[i] = true;
    }
    pub(super) fn h_alias(&mut self, name: &str, slot: usize) {
        self.slot_of.insert(name.to_string(), slot);
    }
}

pub(super) fn unsupported_op(op: &Operator, reason: impl Into<String>) -> Error {
    unsupported(op, reason)
}

pub(super) fn bad_op(op: &Operator, reason: impl std::fmt::Display) -> Error {
    bad(op, reason)
}

pub(super) fn storage(dt: DType) -> Option<Storage> {
    storage_of(dt)
}

#[cfg(test)]
mod tests {
    use vgforge_tosa::{Builder, DType, Op, Tensor};

    use super::*;

    fn conv(out_shape: &[usize], wshape: Vec<usize>) -> Graph {
        let mut b = Builder::new("g");
        b.set_location(Some("stem"));
        let x = b.add_input("x", DType::Int8, &[1, 8, 8, 3]);
        let n = wshape.iter().product();
        let w = b.add_const("w", Tensor::i8(wshape, vec![1; n]).unwrap());
        let bias = b.add_const("b", Tensor::i32(vec![4], vec![0; 4]).unwrap());
        let zp = b.add_scalar_const("zp", DType::Int8, 0);
        let op = Op::Conv2d {
            pad: [1; 4],
            stride: [1, 1],
            dilation: [1, 1],
            local_bound: false,
            acc_type: DType::Int32,
        };
        let y = b.add_op(op, &[&x, &w, &bias, &zp, &zp], DType::Int32, out_shape);
        b.set_outputs(&[&y]);
        b.finish()
    }

    #[test]
    fn consistent_conv_lowers_to_one_step() {
        let plan = Lowerer::lower(&conv(&[1, 8, 8, 4], vec![4, 3, 3, 3]), LowerOptions::default())
            .expect("lower");
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.steps[0].kernel, Kernel::Conv2dI8);
    }

    #[test]
    fn inconsistent_shapes_are_errors_not_panics() {
        // Output too big for the input, then a weight whose channels do not match.
        for g in [
            conv(&[1, 9, 8, 4], vec![4, 3, 3, 3]),
            conv(&[1, 8, 8, 4], vec![4, 3, 3, 5]),
            conv(&[1, 8, 8], vec![4, 3, 3, 3]),
        ] {
            let e = Lowerer::lower(&g, LowerOptions::default()).expect_err("must be rejected");
            assert!(matches!(e, Error::InvalidGraph(_)), "{e}");
            assert!(e.to_string().contains("CONV2D 'stem'"), "{e}");
        }
    }

    #[test]
    fn dangling_and_unsupported_inputs_are_errors() {
        let mut g = conv(&[1, 8, 8, 4], vec![4, 3, 3, 3]);
        if let Some(op) = g.operators.last_mut() {
            op.inputs[0] = "nowhere".into();
        }
        assert!(matches!(Lowerer::lower(&g, LowerOptions::default()), Err(Error::InvalidGraph(_))));
        let mut g = conv(&[1, 8, 8, 4], vec![4, 3, 3, 3]);
        if let Some(d) = g.tensors.get_mut("x") {
            d.dtype = DType::Fp16;
        }
        assert!(matches!(
            Lowerer::lower(&g, LowerOptions::default()),
            Err(Error::Unsupported { .. })
        ));
    }
}
