#version 450
// CONV2D, NHWC input, OHWI weights. Each invocation computes OCT adjacent
// output channels of one pixel so every input byte it loads is reused OCT times.
// Variants: I8 (i8 x i8 -> i32 accumulator, optionally FUSED with the
// consumer RESCALE and CLAMP to emit i8 directly) and F32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#ifndef OCT
#define OCT 4
#endif

#ifdef F32
#define IN_T float
#define ACC_T float
#define OUT_T float
#else
#define IN_T int8_t
#define ACC_T int
#ifdef FUSED
#define OUT_T int8_t
#else
#define OUT_T int
#endif
#endif

layout(std430, set = 0, binding = 0) readonly buffer In { IN_T x[]; };
layout(std430, set = 0, binding = 1) readonly buffer W { IN_T w[]; };
#ifdef PACKED
// The same buffers seen as 32-bit words: with IC % 4 == 0 every channel run starts on a
// word, so one load brings four int8 values (loads, not arithmetic, bound this loop).
layout(std430, set = 0, binding = 0) readonly buffer In4 { uint x4[]; };
layout(std430, set = 0, binding = 1) readonly buffer W4 { uint w4[]; };
#endif
layout(std430, set = 0, binding = 2) readonly buffer B { ACC_T bias[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { OUT_T y[]; };
layout(std430, set = 0, binding = 4) readonly buffer Mul { int mult[]; };
layout(std430, set = 0, binding = 5) readonly buffer Sh { int shift[]; };

layout(push_constant) uniform P {
    int ih, iw, ic, oh, ow, oc;
    int kh, kw, sy, sx, pt, pl, dy, dx;
    int in_zp, w_zp, bias_bc;
    // fused RESCALE: out_zp, per_channel, double_round, clamp lo and hi
    int out_zp, per_channel, double_round, lo, hi;
    // fused RESCALE input zero point (applied to the accumulator)
    int acc_zp;
} p;

void main() {
    // x walks output pixels, y output-channel tiles: the tile (and so every weight
    // address) is uniform across a workgroup, which lets SIMD implementations load each
    // weight word once per workgroup instead of once per invocation.
    uint idx = gl_GlobalInvocationID.x;
    if (idx >= uint(p.oh * p.ow)) return;
    uint n = batch_index();
    int t = int(gl_WorkGroupID.y);
    int pix = int(idx);
    int ox = pix % p.ow;
    int oy = pix / p.ow;
    int oc0 = t * OCT;

#ifdef F32
    // No FMA contraction: keeps f32 results close to the interpreter's.
    precise ACC_T acc[OCT];
#else
    ACC_T acc[OCT];
#endif
    for (int j = 0; j < OCT; j++) acc[j] = ACC_T(0);

    uint in_base = n * uint(p.ih * p.iw * p.ic);
    int wstride = p.kh * p.kw * p.ic;
    int ocl[OCT];
    for (int j = 0; j < OCT; j++) ocl[j] = min(oc0 + j, p.oc - 1);

    for (int ky = 0; ky < p.kh; ky++) {
        int y = oy * p.sy - p.pt + ky * p.dy;
        if (y < 0 || y >= p.ih) continue;
        for (int kx = 0; kx < p.kw; kx++) {
            int xx = ox * p.sx - p.pl + kx * p.dx;
            if (xx < 0 || xx >= p.iw) continue;
            uint ib = in_base + uint((y * p.iw + xx) * p.ic);
            int wb = (ky * p.kw + kx) * p.ic;
#ifdef PACKED
            uint ib4 = ib >> 2;
            int wb4 = wb >> 2;
            int ws4 = wstride >> 2;
            for (int c4 = 0; c4 < p.ic >> 2; c4++) {
                int xv = int(x4[ib4 + uint(c4)]);
                int x0 = bitfieldExtract(xv, 0, 8) - p.in_zp;
                int x1 = bitfieldExtract(xv, 8, 8) - p.in_zp;
                int x2 = bitfieldExtract(xv, 16, 8) - p.in_zp;
                int x3 = bitfieldExtract(xv, 24, 8) - p.in_zp;
                for (int j = 0; j < OCT; j++) {
                    int wv = int(w4[ocl[j] * ws4 + wb4 + c4]);
                    acc[j] += x0 * (bitfieldExtract(wv, 0, 8) - p.w_zp)
                            + x1 * (bitfieldExtract(wv, 8, 8) - p.w_zp)
                            + x2 * (bitfieldExtract(wv, 16, 8) - p.w_zp)
                            + x3 * (bitfieldExtract(wv, 24, 8) - p.w_zp);
                }
            }
#else
            for (int c = 0; c < p.ic; c++) {
#ifdef F32
                float v = x[ib + uint(c)];
                for (int j = 0; j < OCT; j++) acc[j] += v * w[ocl[j] * wstride + wb + c];
#else
                int v = int(x[ib + uint(c)]) - p.in_zp;
                for (int j = 0; j < OCT; j++) acc[j] += v * (int(w[ocl[j] * wstride + wb + c]) - p.w_zp);
#endif
            }
#endif
        }
    }

    uint out_base = n * uint(p.oh * p.ow * p.oc) + uint(pix * p.oc);
    for (int j = 0; j < OCT; j++) {
        int o = oc0 + j;
        if (o >= p.oc) break;
        ACC_T a = acc[j] + bias[p.bias_bc == 1 ? 0 : o];
#ifdef FUSED
        int ch = p.per_channel != 0 ? o : 0;
        int r = apply_scale_32(a - p.acc_zp, mult[ch], shift[ch], p.double_round != 0) + p.out_zp;
        y[out_base + uint(o)] = int8_t(clamp(r, p.lo, p.hi));
#else
        y[out_base + uint(o)] = a;
#endif
    }
}
