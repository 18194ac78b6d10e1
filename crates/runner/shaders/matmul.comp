#version 450
// MATMUL: A[N,H,C] x B[N,C,W] -> [N,H,W]. Variants: I8 (i32 result) and F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#ifdef F32
#define IN_T float
#define OUT_T float
#else
#define IN_T int8_t
#define OUT_T int
#endif

layout(std430, set = 0, binding = 0) readonly buffer A { IN_T a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { IN_T b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { OUT_T y[]; };

layout(push_constant) uniform P {
    int n, h, c, w;
    int a_zp, b_zp;
    // per-inference element strides; 0 for a constant operand shared by the batch
    int a_stride, b_stride;
} p;

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.n * p.h * p.w)) return;
    uint bi = batch_index();
    int col = int(idx % uint(p.w));
    int row = int((idx / uint(p.w)) % uint(p.h));
    int nn = int(idx / uint(p.w * p.h));
    uint ab = bi * uint(p.a_stride) + uint((nn * p.h + row) * p.c);
    uint bb = bi * uint(p.b_stride) + uint(nn * p.c * p.w + col);
    OUT_T acc = OUT_T(0);
    for (int k = 0; k < p.c; k++) {
#ifdef F32
        acc += a[ab + uint(k)] * b[bb + uint(k * p.w)];
#else
        acc += (int(a[ab + uint(k)]) - p.a_zp) * (int(b[bb + uint(k * p.w)]) - p.b_zp);
#endif
    }
    y[bi * uint(p.n * p.h * p.w) + idx] = acc;
}
