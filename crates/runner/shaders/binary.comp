#version 450
// ADD / SUB with TOSA broadcasting (equal ranks, size-1 dims broadcast).
// Shapes are right-aligned into 6 dims; a stride of 0 broadcasts.
// Variants: I32 and F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#ifdef F32
#define T float
#else
#define T int
#endif

layout(std430, set = 0, binding = 0) readonly buffer A { T a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { T b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { T y[]; };

layout(push_constant) uniform P {
    int dims[6];
    int sa[6];
    int sb[6];
    // per-inference strides (0 for constants), output count, 1 for SUB
    int a_batch, b_batch, count, sub;
} p;

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.count)) return;
    uint bi = batch_index();
    uint rem = idx;
    uint ia = bi * uint(p.a_batch);
    uint ib = bi * uint(p.b_batch);
    for (int d = 5; d >= 0; d--) {
        uint k = rem % uint(p.dims[d]);
        rem /= uint(p.dims[d]);
        ia += k * uint(p.sa[d]);
        ib += k * uint(p.sb[d]);
    }
    T va = a[ia];
    T vb = b[ib];
    y[bi * uint(p.count) + idx] = p.sub != 0 ? va - vb : va + vb;
}
