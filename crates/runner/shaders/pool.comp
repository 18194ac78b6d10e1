#version 450
// MAX_POOL2D and AVG_POOL2D (AVG defined), NHWC. Padding taps are skipped,
// never counted. Variants: I8, I32 (i16 in int32 storage), F32.
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
    int ih, iw, c, oh, ow;
    int kh, kw, sy, sx, pt, pl;
    int in_zp, out_zp, lo, hi;
    int nan_ignore;
} p;

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.oh * p.ow * p.c)) return;
    uint n = batch_index();
    int ch = int(idx % uint(p.c));
    int pix = int(idx / uint(p.c));
    int ox = pix % p.ow;
    int oy = pix / p.ow;
    uint in_base = n * uint(p.ih * p.iw * p.c);
#ifdef AVG
#ifdef F32
    float acc = 0.0;
#else
    int acc = 0;
#endif
    int count = 0;
#else
#ifdef F32
    float acc = -1.0 / 0.0;
    bool any_nan = false;
    bool all_nan = true;
#else
    int acc = -2147483647 - 1;
#endif
#endif
    for (int ky = 0; ky < p.kh; ky++) {
        int yy = oy * p.sy - p.pt + ky;
        if (yy < 0 || yy >= p.ih) continue;
        for (int kx = 0; kx < p.kw; kx++) {
            int xx = ox * p.sx - p.pl + kx;
            if (xx < 0 || xx >= p.iw) continue;
            T v = x[in_base + uint((yy * p.iw + xx) * p.c + ch)];
#ifdef AVG
#ifdef F32
            acc += v;
#else
            acc += int(v) - p.in_zp;
#endif
            count++;
#else
#ifdef F32
            if (isnan(v)) { any_nan = true; } else { all_nan = false; acc = max(acc, v); }
#else
            acc = max(acc, int(v));
#endif
#endif
        }
    }
    uint oi = n * uint(p.oh * p.ow * p.c) + idx;
#ifdef AVG
#ifdef F32
    y[oi] = acc / float(count);
#else
    // reciprocal_scale(count): multiplier and shift as the TOSA spec defines
    // k = 32 - clz(count - 1); findMSB(0) is -1, matching clz(0) = 32
    count = max(count, 1);
    int k = findMSB(uint(count - 1)) + 1;
    int64_t m64 = ((int64_t(1) << 30) + 1) << k;
    int mult = int(m64 / int64_t(count));
    int r = apply_scale_32(acc, mult, 30 + k, false) + p.out_zp;
    y[oi] = T(clamp(r, p.lo, p.hi));
#endif
#else
#ifdef F32
    if (any_nan && (p.nan_ignore == 0 || all_nan)) acc = 0.0 / 0.0;
    y[oi] = acc;
#else
    y[oi] = T(acc);
#endif
#endif
}
