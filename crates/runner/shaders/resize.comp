#version 450
// RESIZE (NHWC) with TOSA's integer scale/offset/border arithmetic.
// Variants: I8 input with I32 (bilinear) or I8 (nearest) output, I32 (i16 in
// int32 storage; nearest only), F32; RESCALE: I8 bilinear with the consumer RESCALE
// (+ CLAMP) applied to the int32 result, int8 output.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#if defined(F32)
#define IN_T float
#define OUT_T float
#elif defined(IN_I8)
#define IN_T int8_t
#if defined(OUT_I8) || defined(RESCALE)
#define OUT_T int8_t
#else
#define OUT_T int
#endif
#else
#define IN_T int
#define OUT_T int
#endif

layout(std430, set = 0, binding = 0) readonly buffer In { IN_T x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { OUT_T y[]; };
#ifdef RESCALE
layout(std430, set = 0, binding = 2) readonly buffer Mul { int mult[]; };
layout(std430, set = 0, binding = 3) readonly buffer Sh { int shift[]; };
#endif

layout(push_constant) uniform P {
    int ih, iw, c, oh, ow;
    int scale_y_n, scale_y_d, scale_x_n, scale_x_d;
    int offset_y, offset_x;
    int bilinear;
    // RESCALE: input and output zero points, per_channel, double_round, clamp lo and hi
    int r_in_zp, r_out_zp, per_channel, double_round, lo, hi;
    // RESCALE: channels per output pixel in memory (>= c; a consumer may want words)
    int out_cstride;
} p;

int idiv_floor(int a, int b) {
    int q = a / b;
    return (q * b > a) ? q - 1 : q;
}

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.oh * p.ow * p.c)) return;
    uint n = batch_index();
    int ch = int(idx % uint(p.c));
    int pix = int(idx / uint(p.c));
    int ox = pix % p.ow;
    int oy = pix / p.ow;

    int yv = oy * p.scale_y_d + p.offset_y;
    int xv = ox * p.scale_x_d + p.offset_x;
    int iy = idiv_floor(yv, p.scale_y_n);
    int ix = idiv_floor(xv, p.scale_x_n);
    int ry = yv - iy * p.scale_y_n;
    int rx = xv - ix * p.scale_x_n;
    int iy0 = max(iy, 0);
    int iy1 = min(iy + 1, p.ih - 1);
    int ix0 = max(ix, 0);
    int ix1 = min(ix + 1, p.iw - 1);
    uint base = n * uint(p.ih * p.iw * p.c) + uint(ch);
    uint oi = n * uint(p.oh * p.ow * p.c) + idx;

    if (p.bilinear != 0) {
#ifdef F32
        float dy = float(ry) / float(p.scale_y_n);
        float dx = float(rx) / float(p.scale_x_n);
        float v00 = x[base + uint((iy0 * p.iw + ix0) * p.c)];
        float v01 = x[base + uint((iy0 * p.iw + ix1) * p.c)];
        float v10 = x[base + uint((iy1 * p.iw + ix0) * p.c)];
        float v11 = x[base + uint((iy1 * p.iw + ix1) * p.c)];
        float acc = v00 * (1.0 - dy) * (1.0 - dx);
        acc += v01 * (1.0 - dy) * dx;
        acc += v10 * dy * (1.0 - dx);
        acc += v11 * dy * dx;
        y[oi] = acc;
#else
        int v00 = int(x[base + uint((iy0 * p.iw + ix0) * p.c)]);
        int v01 = int(x[base + uint((iy0 * p.iw + ix1) * p.c)]);
        int v10 = int(x[base + uint((iy1 * p.iw + ix0) * p.c)]);
        int v11 = int(x[base + uint((iy1 * p.iw + ix1) * p.c)]);
        int acc = v00 * (p.scale_y_n - ry) * (p.scale_x_n - rx);
        acc += v01 * (p.scale_y_n - ry) * rx;
        acc += v10 * ry * (p.scale_x_n - rx);
        acc += v11 * ry * rx;
#ifdef RESCALE
        int rc = p.per_channel != 0 ? ch : 0;
        int r = apply_scale_32(acc - p.r_in_zp, mult[rc], shift[rc], p.double_round != 0);
        // out_zp add in 64 bits so saturation matches the i48 reference, as in rescale.comp
        int64_t sat = clamp(int64_t(r) + int64_t(p.r_out_zp), int64_t(p.lo), int64_t(p.hi));
        y[n * uint(p.oh * p.ow * p.out_cstride) + uint(pix * p.out_cstride + ch)] = OUT_T(int(sat));
#else
        y[oi] = OUT_T(acc);
#endif
#endif
    } else {
#ifdef F32
        bool up_y = float(ry) / float(p.scale_y_n) >= 0.5;
        bool up_x = float(rx) / float(p.scale_x_n) >= 0.5;
#else
        bool up_y = 2 * ry >= p.scale_y_n;
        bool up_x = 2 * rx >= p.scale_x_n;
#endif
        int sy = up_y ? iy1 : iy0;
        int sx = up_x ? ix1 : ix0;
        y[oi] = OUT_T(x[base + uint((sy * p.iw + sx) * p.c)]);
    }
}
