//! JSON views of a VGF file: the shape of `vgf_dump`'s summary, and a scenario-runner file.

use serde_json::{Value, json};

use crate::container::{BindingSlot, DESCRIPTOR_TYPE_TENSOR_ARM, ModuleCode, VgfFile};
use crate::error::{Error, Result};
use crate::format::vk_format_name;

fn slots(v: &[BindingSlot]) -> Vec<Value> {
    v.iter()
        .enumerate()
        .map(|(k, s)| json!({"binding": s.binding, "index": k, "mrt_index": s.mrt_index}))
        .collect()
}

fn named_slots(v: &[BindingSlot], names: &[String]) -> Vec<Value> {
    v.iter()
        .enumerate()
        .map(|(k, s)| {
            let name = names.get(k).map_or("", String::as_str);
            json!({"binding": s.binding, "index": k, "mrt_index": s.mrt_index, "name": name})
        })
        .collect()
}

fn descriptor_type_name(t: u32) -> String {
    match t {
        DESCRIPTOR_TYPE_TENSOR_ARM => "VK_DESCRIPTOR_TYPE_TENSOR_ARM".to_owned(),
        u32::MAX => "none".to_owned(),
        other => other.to_string(),
    }
}

/// The summary `vgf_dump -i FILE -o OUT.json` prints, with the same keys and values.
pub fn dump_json(f: &VgfFile) -> Value {
    let constants: Vec<Value> = f
        .constants
        .iter()
        .enumerate()
        .map(|(k, c)| json!({"index": k, "mrt_index": c.mrt_index, "sparsity_dimension": c.sparsity_dimension}))
        .collect();
    let segments: Vec<Value> = f
        .sequence
        .segments
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let bindings: Vec<Value> = match &s.constant_bindings {
                Some(b) => b
                    .iter()
                    .map(|b| json!({"constant_table_index": b.constant_table_index, "graph_constant_id": b.graph_constant_id}))
                    .collect(),
                None => s
                    .constants
                    .iter()
                    .enumerate()
                    .map(|(id, &c)| json!({"constant_table_index": c, "graph_constant_id": id}))
                    .collect(),
            };
            let sets: Vec<Value> = s
                .set_infos
                .iter()
                .enumerate()
                .map(|(i, d)| json!({"bindings": slots(&d.bindings), "set_index": d.set_index.unwrap_or(i as u32)}))
                .collect();
            let pcr: Vec<Value> = s
                .push_constant_ranges
                .iter()
                .enumerate()
                .map(|(i, p)| json!({"index": i, "offset": p.offset, "size": p.size, "stage_flags": p.stage_flags}))
                .collect();
            json!({
                "constant_bindings": bindings,
                "constants": s.constants,
                "descriptor_set_infos": sets,
                "dispatch_shape": s.dispatch_shape,
                "index": k,
                "inputs": slots(&s.inputs),
                "module_index": s.module_index,
                "name": s.name,
                "outputs": slots(&s.outputs),
                "push_constant_ranges": pcr,
                "type": s.kind.as_str(),
            })
        })
        .collect();
    let modules: Vec<Value> = f
        .modules
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let (available, shader_type) = match &m.code {
                ModuleCode::None => (false, "SPIR-V"),
                ModuleCode::Spirv(_) => (true, "SPIR-V"),
                ModuleCode::Glsl(_) => (true, "GLSL"),
                ModuleCode::Hlsl(_) => (true, "HLSL"),
            };
            json!({
                "entry_point": m.entry_point,
                "index": k,
                "name": m.name,
                "shader_code_available": available,
                "shader_type": shader_type,
                "type": m.kind.as_str(),
            })
        })
        .collect();
    let resources: Vec<Value> = f
        .resources
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let format =
                vk_format_name(r.format).map_or_else(|| r.format.to_string(), str::to_owned);
            json!({
                "category": r.category.as_str(),
                "index": k,
                "shape": r.shape,
                "stride": r.strides,
                "vk_descriptor_type": descriptor_type_name(r.descriptor_type),
                "vk_format": format,
            })
        })
        .collect();
    json!({
        "constants": constants,
        "header": {"major": f.version.major, "minor": f.version.minor, "patch": f.version.patch},
        "model_sequence": {
            "inputs": named_slots(&f.sequence.inputs, &f.sequence.input_names),
            "outputs": named_slots(&f.sequence.outputs, &f.sequence.output_names),
            "segments": segments,
        },
        "modules": modules,
        "resources": resources,
    })
}

/// A scenario-runner file that runs the whole model with `dispatch_vgf`: `vgf_src` is the
/// `.vgf` path and the `.npy` names are the input sources and output destinations, in model
/// order (relative paths resolve against the scenario file's directory, `dst` against
/// `--output`).
pub fn scenario_json(
    f: &VgfFile,
    vgf_src: &str,
    input_npy: &[&str],
    output_npy: &[&str],
) -> Result<Value> {
    let seq = &f.sequence;
    for (what, have, want) in [
        ("input", input_npy.len(), seq.inputs.len()),
        ("output", output_npy.len(), seq.outputs.len()),
    ] {
        if have != want {
            return Err(Error::Inconsistent {
                path: vgf_src.to_owned(),
                what: format!("scenario {what} files"),
                reason: format!("{have} .npy names for {want} model {what}s"),
            });
        }
    }
    let set_of = |binding: u32| {
        seq.segments
            .iter()
            .flat_map(|s| s.set_infos.iter().enumerate())
            .find(|(_, d)| d.bindings.iter().any(|b| b.binding == binding))
            .map_or(0, |(i, d)| d.set_index.unwrap_or(i as u32))
    };
    let mut resources = vec![json!({"graph": {"src": vgf_src, "uid": "vgf_graph_ref"}})];
    let mut bindings = Vec::new();
    for (is_out, list, files) in [(false, &seq.inputs, input_npy), (true, &seq.outputs, output_npy)]
    {
        for (k, (slot, file)) in list.iter().zip(files).enumerate() {
            let r =
                f.resources.get(slot.mrt_index as usize).ok_or_else(|| Error::Inconsistent {
                    path: vgf_src.to_owned(),
                    what: format!("model {} {k}", if is_out { "output" } else { "input" }),
                    reason: format!(
                        "mrt_index {} is out of range ({} resources)",
                        slot.mrt_index,
                        f.resources.len()
                    ),
                })?;
            let uid = format!("{}_{k}_ref", if is_out { "output" } else { "input" });
            let format = vk_format_name(r.format).ok_or_else(|| Error::Inconsistent {
                path: vgf_src.to_owned(),
                what: format!("resource {}", slot.mrt_index),
                reason: format!("vk format {} is unknown", r.format),
            })?;
            let mut t = json!({"dims": r.shape, "format": format, "uid": uid});
            if is_out {
                t["dst"] = json!(file);
                t["shader_access"] = json!("writeonly");
            } else {
                t["src"] = json!(file);
                t["shader_access"] = json!("readonly");
            }
            resources.push(json!({"tensor": t}));
            bindings.push(
                json!({"id": slot.binding, "resource_ref": uid, "set": set_of(slot.binding)}),
            );
        }
    }
    Ok(json!({
        "commands": [{"dispatch_vgf": {"bindings": bindings, "graph_ref": "vgf_graph_ref", "shader_substitutions": []}}],
        "resources": resources,
    }))
}
