//! [`FbsGraph`] -> bytes.

use std::borrow::Cow;

use super::builder::{Node, Value, finish};
use super::decode::FILE_IDENTIFIER;
use super::schema::{
    AttrValue, Attribute, FbsBlock, FbsGraph, FbsOperator, FbsRegion, FbsShape, FbsTensor, K,
    SoftwareVersion, desc,
};

/// Serializes a decoded graph. Scalars are written even when equal to their default (the
/// `Version` defaults are -1 and draft); the post-1.0 tensor fields only when in use.
pub fn encode(g: &FbsGraph) -> Vec<u8> {
    let v = g.version;
    let mut fields = vec![
        (
            0,
            Value::Ref(Node::Table(vec![
                (0, Value::I32(v.major)),
                (1, Value::I32(v.minor)),
                (2, Value::I32(v.patch)),
                (3, Value::Bool(v.draft)),
            ])),
        ),
        (1, Value::Ref(Node::Vector(g.regions.iter().map(region).collect()))),
    ];
    if let Some(sv) = &g.software_version {
        fields.push((2, Value::Ref(software_version(sv))));
    }
    if let Some((min, features)) = &g.compatibility {
        let mut c = vec![(1, Value::U64(*features))];
        if let Some(m) = min {
            c.push((0, Value::Ref(software_version(m))));
        }
        fields.push((3, Value::Ref(Node::Table(c))));
    }
    finish(&Node::Table(fields), FILE_IDENTIFIER)
}

fn string(s: &str) -> Node<'_> {
    Node::String(Cow::Borrowed(s))
}

fn strings(v: &[String]) -> Value<'_> {
    Value::Ref(Node::Vector(v.iter().map(|s| string(s)).collect()))
}

fn bytes(b: &[u8], align: usize) -> Value<'_> {
    Value::Ref(Node::Bytes { data: Cow::Borrowed(b), align })
}

fn software_version(v: &SoftwareVersion) -> Node<'_> {
    let mut f = vec![(0, Value::I32(v.major)), (1, Value::I32(v.minor)), (2, Value::I32(v.micro))];
    if let Some(m) = &v.modifier {
        f.push((3, Value::Ref(string(m))));
    }
    Node::Table(f)
}

fn region(r: &FbsRegion) -> Node<'_> {
    Node::Table(vec![
        (0, Value::Ref(string(&r.name))),
        (1, Value::Ref(Node::Vector(r.blocks.iter().map(block).collect()))),
    ])
}

fn block(b: &FbsBlock) -> Node<'_> {
    Node::Table(vec![
        (0, Value::Ref(string(&b.name))),
        (1, Value::Ref(Node::Vector(b.operators.iter().map(operator).collect()))),
        (2, Value::Ref(Node::Vector(b.tensors.iter().map(tensor).collect()))),
        (3, strings(&b.inputs)),
        (4, strings(&b.outputs)),
        (5, Value::Ref(Node::Vector(b.shapes.iter().map(shape).collect()))),
    ])
}

fn operator(o: &FbsOperator) -> Node<'_> {
    let mut f = vec![
        (0, Value::U32(o.op)),
        (1, Value::U8(o.attribute.kind)),
        (3, strings(&o.inputs)),
        (4, strings(&o.outputs)),
    ];
    if o.attribute.kind != 0 {
        f.push((2, Value::Ref(attribute(&o.attribute))));
    }
    if let Some(text) = &o.location {
        f.push((5, Value::Ref(Node::Table(vec![(0, Value::Ref(string(text)))]))));
    }
    Node::Table(f)
}

fn attribute(a: &Attribute) -> Node<'_> {
    let kinds = desc(u32::from(a.kind)).map(|d| d.fields).unwrap_or_default();
    let fields = a
        .fields
        .iter()
        .zip(kinds)
        .enumerate()
        .map(|(slot, (v, (_, k)))| {
            let slot = slot as u16;
            let value = match v {
                AttrValue::I32(x) => Value::I32(*x),
                AttrValue::U32(x) => Value::U32(*x),
                AttrValue::Bool(x) => Value::Bool(*x),
                AttrValue::I32s(x) => Value::Ref(Node::I32s(x.clone())),
                AttrValue::Bytes(x) => bytes(x, if *k == K::Bytes8 { 8 } else { 1 }),
                AttrValue::Str(x) => Value::Ref(string(x)),
            };
            (slot, value)
        })
        .collect();
    Node::Table(fields)
}

fn tensor(t: &FbsTensor) -> Node<'_> {
    let mut f = vec![
        (0, Value::Ref(string(&t.name))),
        (1, Value::Ref(Node::I32s(t.shape.clone()))),
        (2, Value::U32(t.dtype)),
        (4, Value::Bool(t.variable)),
        (5, Value::Bool(t.is_unranked)),
    ];
    if let Some(d) = &t.data {
        f.push((3, bytes(d, 8)));
    }
    if let Some(n) = &t.variable_name {
        f.push((6, Value::Ref(string(n))));
    }
    // The fields from `offset` on postdate TOSA 1.0; older readers must not meet them
    // unless the graph really uses them.
    if t.offset != 0 || t.size != 0 {
        f.push((7, Value::U64(t.offset)));
        f.push((8, Value::U64(t.size)));
    }
    if t.scale_type != 0 {
        f.push((9, Value::U32(t.scale_type)));
    }
    if let Some(d) = &t.scale_data {
        f.push((10, bytes(d, 8)));
    }
    if t.block_shape != 0 {
        f.push((11, Value::U32(t.block_shape)));
    }
    if t.scale_offset != 0 || t.scale_size != 0 {
        f.push((12, Value::U64(t.scale_offset)));
        f.push((13, Value::U64(t.scale_size)));
    }
    Node::Table(f)
}

fn shape(s: &FbsShape) -> Node<'_> {
    let mut f = vec![(0, Value::Ref(string(&s.name))), (1, Value::U32(s.rank))];
    if let Some(d) = &s.data {
        f.push((2, bytes(d, 8)));
    }
    Node::Table(f)
}
