#version 450
// RESCALE with the consumer CLAMP folded into [lo, hi]. i16 tensors live in
// int32 storage, so IN_I8/OUT_I8 pick 8-bit storage and everything else is int.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#ifdef IN_I8
#define IN_T int8_t
#else
#define IN_T int
#endif
#ifdef OUT_I8
#define OUT_T int8_t
#else
#define OUT_T int
#endif

layout(std430, set = 0, binding = 0) readonly buffer In { IN_T x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { OUT_T y[]; };
layout(std430, set = 0, binding = 2) readonly buffer Mul { int mult[]; };
layout(std430, set = 0, binding = 3) readonly buffer Sh { int shift[]; };

layout(push_constant) uniform P {
    int count, channels;
    // in_mask != 0 zero-extends the input (input_unsigned) with that mask
    int in_mask, in_zp, out_zp, per_channel, double_round, lo, hi;
} p;

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.count)) return;
    uint i = batch_index() * uint(p.count) + idx;
    int v = int(x[i]);
    if (p.in_mask != 0) v &= p.in_mask;
    int ch = p.per_channel != 0 ? int(idx % uint(p.channels)) : 0;
    int r = apply_scale_32(v - p.in_zp, mult[ch], shift[ch], p.double_round != 0);
    // out_zp add is done in 64 bits so saturation matches the i48 reference
    int64_t s = int64_t(r) + int64_t(p.out_zp);
    s = clamp(s, int64_t(p.lo), int64_t(p.hi));
    y[i] = OUT_T(int(s));
}
