#version 450
// TABLE, i8 -> i8 with a 256-entry table: out = table[x + 128].
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, set = 0, binding = 0) readonly buffer In { int8_t x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Tab { int8_t t[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { int8_t y[]; };

layout(push_constant) uniform P { int count; } p;

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.count)) return;
    uint i = batch_index() * uint(p.count) + idx;
    y[i] = t[int(x[i]) + 128];
}
