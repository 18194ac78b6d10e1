#version 450
// CLAMP. Variants: I8, I32 (also i16 in int32 storage), F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#if defined(F32)
#define T float
#elif defined(I8)
#define T int8_t
#else
#define T int
#endif

layout(std430, set = 0, binding = 0) readonly buffer In { T x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { T y[]; };

layout(push_constant) uniform P {
    int count;
    int lo, hi;       // integer bounds
    float flo, fhi;   // float bounds
    int nan_ignore;
} p;

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.count)) return;
    uint i = batch_index() * uint(p.count) + idx;
#ifdef F32
    float v = x[i];
    if (isnan(v)) {
        y[i] = p.nan_ignore != 0 ? p.flo : v;
    } else {
        y[i] = min(max(v, p.flo), p.fhi);
    }
#else
    y[i] = T(clamp(int(x[i]), p.lo, p.hi));
#endif
}
