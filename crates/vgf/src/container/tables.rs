//! The three FlatBuffer sections, field by field (vgf.fbs 0.5.0; slots are vtable indices).

use super::{
    BindingSlot, DescriptorSetInfo, GraphConstantBinding, ModelSequence, Module, ModuleCode,
    ModuleType, PushConstantRange, Resource, ResourceCategory, Segment,
};
use crate::error::Result;
use crate::fb::{Field, Table, TableRef};

const NO_INDEX: u32 = u32::MAX;

// ---- writing ----

pub(crate) fn module_table(modules: &[Module]) -> Table {
    let mods = modules
        .iter()
        .map(|m| {
            let (code_type, code) = match &m.code {
                ModuleCode::None => (0, None),
                ModuleCode::Spirv(w) => (1, Some(Table::new().with(0, Field::VecU32(w.clone())))),
                ModuleCode::Glsl(s) => (2, Some(Table::new().with(0, Field::Str(s.clone())))),
                ModuleCode::Hlsl(s) => (3, Some(Table::new().with(0, Field::Str(s.clone())))),
            };
            let mut t = Table::new()
                .with(0, Field::U8(m.kind.to_u8()))
                .with(1, Field::Str(m.name.clone()))
                .with(2, Field::Str(m.entry_point.clone()))
                .with_u8(3, code_type, 0);
            if let Some(code) = code {
                t = t.with(4, Field::Table(code));
            }
            t
        })
        .collect();
    Table::new().with(0, Field::VecTable(mods))
}

fn slots(v: &[BindingSlot]) -> Field {
    Field::VecTable(
        v.iter()
            .map(|s| Table::new().with_u32(0, s.binding, 0).with_u32(1, s.mrt_index, 0))
            .collect(),
    )
}

pub(crate) fn sequence_table(seq: &ModelSequence) -> Table {
    let segments = seq
        .segments
        .iter()
        .map(|s| {
            let sets = s
                .set_infos
                .iter()
                .map(|d| {
                    Table::new().with(0, slots(&d.bindings)).with_u32(
                        1,
                        d.set_index.unwrap_or(NO_INDEX),
                        NO_INDEX,
                    )
                })
                .collect();
            let pcr = s
                .push_constant_ranges
                .iter()
                .map(|p| {
                    Table::new()
                        .with_u32(0, p.stage_flags, 0)
                        .with_u32(1, p.offset, 0)
                        .with_u32(2, p.size, 0)
                })
                .collect();
            let mut t = Table::new()
                .with(0, Field::U8(s.kind.to_u8()))
                .with(1, Field::Str(s.name.clone()))
                .with_u32(2, s.module_index, 0)
                .with(3, Field::VecTable(sets))
                .with(4, slots(&s.inputs))
                .with(5, slots(&s.outputs))
                .with(6, Field::VecU32(s.constants.clone()));
            if !s.dispatch_shape.is_empty() {
                t = t.with(7, Field::VecU32(s.dispatch_shape.clone()));
            }
            t = t.with(8, Field::VecTable(pcr));
            if let Some(cb) = &s.constant_bindings {
                let cb = cb
                    .iter()
                    .map(|b| {
                        Table::new().with_u32(0, b.graph_constant_id, 0).with_u32(
                            1,
                            b.constant_table_index,
                            0,
                        )
                    })
                    .collect();
                t = t.with(9, Field::VecTable(cb));
            }
            t
        })
        .collect();
    let mut t = Table::new()
        .with(0, Field::VecTable(segments))
        .with(1, slots(&seq.inputs))
        .with(2, slots(&seq.outputs));
    // An empty name list next to a non-empty binding list would make readers index past it.
    if !seq.input_names.is_empty() {
        t = t.with(3, Field::VecStr(seq.input_names.clone()));
    }
    if !seq.output_names.is_empty() {
        t = t.with(4, Field::VecStr(seq.output_names.clone()));
    }
    t
}

pub(crate) fn resource_table(resources: &[Resource]) -> Table {
    let entries = resources
        .iter()
        .map(|r| {
            let desc = Table::new()
                .with(0, Field::VecI64(r.shape.clone()))
                .with(1, Field::VecI64(r.strides.clone()));
            Table::new()
                .with(0, Field::U32(r.descriptor_type))
                .with(1, Field::U32(r.format))
                .with(2, Field::U8(r.category.to_u8()))
                .with(3, Field::Table(desc))
                .with_u32(6, r.alias_group_id.unwrap_or(NO_INDEX), NO_INDEX)
        })
        .collect();
    Table::new().with(0, Field::VecTable(entries))
}

// ---- reading ----

fn read_slots(t: &TableRef<'_>, slot: u16, field: &str) -> Result<Vec<BindingSlot>> {
    t.vec_tables(slot, field, "BindingSlot")?
        .unwrap_or_default()
        .iter()
        .map(|s| {
            Ok(BindingSlot {
                binding: s.u32(0, "binding", 0)?,
                mrt_index: s.u32(1, "mrt_index", 0)?,
            })
        })
        .collect()
}

fn module_type(t: &TableRef<'_>, slot: u16) -> Result<ModuleType> {
    let v = t.u8(slot, "type", 0)?;
    ModuleType::from_u8(v).ok_or_else(|| t.err("type", format!("unknown module type {v}")))
}

pub(crate) fn read_modules(root: &TableRef<'_>) -> Result<Vec<Module>> {
    let mut out = Vec::new();
    for m in root.vec_tables(0, "modules", "Module")?.unwrap_or_default() {
        let code_type = m.u8(3, "code_type", 0)?;
        let code = m.table(4, "code", "ModuleCode")?;
        let code = match (code_type, code) {
            (0, _) => ModuleCode::None,
            (1, Some(c)) => ModuleCode::Spirv(c.vec_u32(0, "words")?.unwrap_or_default()),
            (2, Some(c)) => ModuleCode::Glsl(c.string(0, "code")?.unwrap_or_default()),
            (3, Some(c)) => ModuleCode::Hlsl(c.string(0, "code")?.unwrap_or_default()),
            (1..=3, None) => {
                return Err(m.err("code", format!("code type {code_type} without code")));
            }
            (t, _) => return Err(m.err("code_type", format!("unknown module code type {t}"))),
        };
        out.push(Module {
            kind: module_type(&m, 0)?,
            name: m.string(1, "name")?.unwrap_or_default(),
            entry_point: m.string(2, "entry_point")?.unwrap_or_default(),
            code,
        });
    }
    Ok(out)
}

pub(crate) fn read_sequence(root: &TableRef<'_>) -> Result<ModelSequence> {
    let mut segments = Vec::new();
    for s in root.vec_tables(0, "segments", "SegmentInfo")?.unwrap_or_default() {
        let mut set_infos = Vec::new();
        for d in s.vec_tables(3, "set_infos", "DescriptorSetInfo")?.unwrap_or_default() {
            let idx = d.u32(1, "set_index", NO_INDEX)?;
            set_infos.push(DescriptorSetInfo {
                set_index: (idx != NO_INDEX).then_some(idx),
                bindings: read_slots(&d, 0, "bindings")?,
            });
        }
        let push_constant_ranges = s
            .vec_tables(8, "push_constant_ranges", "PushConstantRange")?
            .unwrap_or_default()
            .iter()
            .map(|p| {
                Ok(PushConstantRange {
                    stage_flags: p.u32(0, "stage_flags", 0)?,
                    offset: p.u32(1, "offset", 0)?,
                    size: p.u32(2, "size", 0)?,
                })
            })
            .collect::<Result<_>>()?;
        let constant_bindings =
            match s.vec_tables(9, "constant_bindings", "GraphConstantBinding")? {
                None => None,
                Some(v) => Some(
                    v.iter()
                        .map(|b| {
                            Ok(GraphConstantBinding {
                                graph_constant_id: b.u32(0, "graph_constant_id", 0)?,
                                constant_table_index: b.u32(1, "constant_table_index", 0)?,
                            })
                        })
                        .collect::<Result<_>>()?,
                ),
            };
        segments.push(Segment {
            kind: module_type(&s, 0)?,
            name: s.string(1, "name")?.unwrap_or_default(),
            module_index: s.u32(2, "module_index", 0)?,
            set_infos,
            inputs: read_slots(&s, 4, "inputs")?,
            outputs: read_slots(&s, 5, "outputs")?,
            constants: s.vec_u32(6, "constants")?.unwrap_or_default(),
            dispatch_shape: s.vec_u32(7, "dispatch_shape")?.unwrap_or_default(),
            push_constant_ranges,
            constant_bindings,
        });
    }
    Ok(ModelSequence {
        segments,
        inputs: read_slots(root, 1, "inputs")?,
        outputs: read_slots(root, 2, "outputs")?,
        input_names: root.vec_strings(3, "input_names")?.unwrap_or_default(),
        output_names: root.vec_strings(4, "output_names")?.unwrap_or_default(),
    })
}

pub(crate) fn read_resources(root: &TableRef<'_>) -> Result<Vec<Resource>> {
    let mut out = Vec::new();
    for e in root.vec_tables(0, "mrt_entry", "ModelResourceTableEntry")?.unwrap_or_default() {
        let cat = e.u8(2, "category", 0)?;
        let category = ResourceCategory::from_u8(cat)
            .ok_or_else(|| e.err("category", format!("unknown category {cat}")))?;
        let extra = e.u8(4, "extra_config_type", 0)?;
        if extra != 0 {
            return Err(e.err(
                "extra_config_type",
                format!("extra config type {extra} (sampler) is not supported"),
            ));
        }
        let (shape, strides) = match e.table(3, "description", "Description")? {
            Some(d) => (
                d.vec_i64(0, "shape")?.unwrap_or_default(),
                d.vec_i64(1, "strides")?.unwrap_or_default(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let alias = e.u32(6, "alias_group_id", NO_INDEX)?;
        out.push(Resource {
            descriptor_type: e.u32(0, "vk_descriptor_type", 0)?,
            format: e.u32(1, "vk_format", 0)?,
            category,
            shape,
            strides,
            alias_group_id: (alias != NO_INDEX).then_some(alias),
        });
    }
    Ok(out)
}
