//! Bytes -> [`FbsGraph`]: the wire level, checked field by field.

use super::schema::{
    AttrValue, Attribute, FbsBlock, FbsGraph, FbsOperator, FbsRegion, FbsShape, FbsTensor, K,
    SoftwareVersion, Version, desc,
};
use super::wire::{Buf, Table};
use crate::error::Result;

/// The file identifier at bytes 4..8 of every `.tosa` file.
pub const FILE_IDENTIFIER: &[u8; 4] = b"TOSA";

/// Decodes a whole `.tosa` flatbuffer; `file` names it in errors.
pub fn decode(bytes: &[u8], file: &str) -> Result<FbsGraph> {
    let buf = Buf::new(bytes, file);
    let root = buf.root(FILE_IDENTIFIER, "TosaGraph")?;
    let version = root
        .table(0, "version", "Version")?
        .ok_or_else(|| root.err("TosaGraph.version: required field is missing"))?;
    let version_pos = version.pos();
    let version = Version {
        major: version.i32(0, "_major", -1)?,
        minor: version.i32(1, "_minor", -1)?,
        patch: version.i32(2, "_patch", -1)?,
        draft: version.bool(3, "_draft", true)?,
    };
    let regions =
        root.tables(1, "regions", "TosaRegion")?.iter().map(region).collect::<Result<Vec<_>>>()?;
    let software_version = match root.table(2, "software_version", "SoftwareVersion")? {
        Some(t) => Some(read_sw(&t)?),
        None => None,
    };
    let compatibility = match root.table(3, "compatibility", "SerializationCompatibility")? {
        Some(t) => {
            let min = match t.table(0, "min_reader_version", "SoftwareVersion")? {
                Some(v) => Some(read_sw(&v)?),
                None => None,
            };
            Some((min, t.u64(1, "features", 0)?))
        }
        None => None,
    };
    Ok(FbsGraph { version_pos, version, regions, software_version, compatibility })
}

fn read_sw(t: &Table<'_, '_>) -> Result<SoftwareVersion> {
    Ok(SoftwareVersion {
        major: t.i32(0, "_major", -1)?,
        minor: t.i32(1, "_minor", -1)?,
        micro: t.i32(2, "_micro", -1)?,
        modifier: t.string(3, "_modifier")?,
    })
}

fn region(t: &Table<'_, '_>) -> Result<FbsRegion> {
    let blocks =
        t.tables(1, "blocks", "TosaBasicBlock")?.iter().map(block).collect::<Result<Vec<_>>>()?;
    Ok(FbsRegion { name: t.string(0, "name")?.unwrap_or_default(), blocks })
}

fn block(t: &Table<'_, '_>) -> Result<FbsBlock> {
    Ok(FbsBlock {
        name: t.string(0, "name")?.unwrap_or_default(),
        operators: t
            .tables(1, "operators", "TosaOperator")?
            .iter()
            .map(operator)
            .collect::<Result<_>>()?,
        tensors: t.tables(2, "tensors", "TosaTensor")?.iter().map(tensor).collect::<Result<_>>()?,
        inputs: t.strings(3, "inputs")?,
        outputs: t.strings(4, "outputs")?,
        shapes: t.tables(5, "shapes", "TosaShape")?.iter().map(shape).collect::<Result<_>>()?,
    })
}

fn operator(t: &Table<'_, '_>) -> Result<FbsOperator> {
    let op = t.u32(0, "op", 0)?;
    let kind = t.u8(1, "attribute_type", 0)?;
    let attribute = if kind == 0 {
        Attribute::default_for(0)
    } else {
        let d = desc(u32::from(kind)).ok_or_else(|| {
            t.err(format!("TosaOperator.attribute_type: unknown attribute type {kind}"))
        })?;
        match t.table(2, "attribute", d.table)? {
            Some(a) => attribute(&a, kind, d.fields)?,
            // A type without its table: every field takes its default.
            None => Attribute::default_for(kind),
        }
    };
    let location = match t.table(5, "location", "OpLocation")? {
        Some(l) => l.string(0, "text")?,
        None => None,
    };
    Ok(FbsOperator {
        pos: t.pos(),
        op,
        attribute,
        inputs: t.strings(3, "inputs")?,
        outputs: t.strings(4, "outputs")?,
        location,
    })
}

fn attribute(t: &Table<'_, '_>, kind: u8, fields: &[(&str, K)]) -> Result<Attribute> {
    let fields = fields
        .iter()
        .enumerate()
        .map(|(slot, (name, k))| {
            Ok(match k {
                K::I32 => AttrValue::I32(t.i32(slot, name, 0)?),
                K::U32 => AttrValue::U32(t.u32(slot, name, 0)?),
                K::Bool => AttrValue::Bool(t.bool(slot, name, false)?),
                K::I32s => AttrValue::I32s(t.i32s(slot, name)?),
                K::Bytes | K::Bytes8 => AttrValue::Bytes(t.bytes(slot, name)?.unwrap_or_default()),
                K::Str => AttrValue::Str(t.string(slot, name)?.unwrap_or_default()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Attribute { kind, fields })
}

fn tensor(t: &Table<'_, '_>) -> Result<FbsTensor> {
    Ok(FbsTensor {
        pos: t.pos(),
        name: t.string(0, "name")?.unwrap_or_default(),
        shape: t.i32s(1, "shape")?,
        dtype: t.u32(2, "type", 0)?,
        data: t.bytes(3, "data")?,
        variable: t.bool(4, "variable", false)?,
        is_unranked: t.bool(5, "is_unranked", false)?,
        variable_name: t.string(6, "variable_name")?,
        offset: t.u64(7, "offset", 0)?,
        size: t.u64(8, "size", 0)?,
        scale_type: t.u32(9, "scale_type", 0)?,
        scale_data: t.bytes(10, "scale_data")?,
        block_shape: t.u32(11, "block_shape", 0)?,
        scale_offset: t.u64(12, "scale_offset", 0)?,
        scale_size: t.u64(13, "scale_size", 0)?,
    })
}

fn shape(t: &Table<'_, '_>) -> Result<FbsShape> {
    Ok(FbsShape {
        pos: t.pos(),
        name: t.string(0, "name")?.unwrap_or_default(),
        rank: t.u32(1, "rank", 0)?,
        data: t.bytes(2, "data")?,
    })
}
