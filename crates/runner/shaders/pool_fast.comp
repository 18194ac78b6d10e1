#version 450
// Int8 MAX_POOL2D and AVG_POOL2D (AVG defined), NHWC, blocked for CPU implementations
// (lavapipe) like conv2d_fast.comp: every buffer load there is a loop over the SIMD lanes
// with a bounds check each, so each invocation computes P output rows x 16 channels of one
// column and loads 16 channels of a pixel at once (VEC16: C % 16 == 0, one 16-byte load;
// else C % 4 == 0, four 4-byte loads with the word index clamped inside the pixel, the
// channels past C never stored). Selected by the lowering on CPU devices
// (RunnerOptions::blocked_conv); exact anywhere.
//
// No branches for padding: a padded tap loads a clamped pixel and swaps in a value that
// cannot change the result: -128 for MAX (a window always holds a real tap, as the
// padding is smaller than the kernel), the input zero point for AVG, whose sum then
// subtracts in_zp for every tap; the divisor counts only the real taps, as TOSA defines.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#ifndef P
#define P 8
#endif
#define CT 16

#ifdef VEC16
layout(std430, set = 0, binding = 0) readonly buffer In16 { uvec4 x16[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uvec4 y16[]; };
#else
layout(std430, set = 0, binding = 0) readonly buffer In4 { uint x4[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint y4[]; };
#endif

layout(push_constant) uniform Push {
    int ih, iw, c, oh, ow;
    int kh, kw, sy, sx, pt, pl;
    int in_zp, out_zp, lo, hi;
    int nan_ignore;
} p;

ivec4 i8x4(uint v) {
    int s = int(v);
    return ivec4(bitfieldExtract(s, 0, 8), bitfieldExtract(s, 8, 8), bitfieldExtract(s, 16, 8), s >> 24);
}

uint pack4(ivec4 q) {
    uvec4 u = uvec4(q) & 255u;
    return u.x | (u.y << 8) | (u.z << 16) | (u.w << 24);
}

// Taps of the window starting at `start` (kernel `k`) that fall inside 0..size.
int inside(int start, int k, int size) {
    return max(min(start + k, size) - max(start, 0), 0);
}

void main() {
    int ohb = (p.oh + P - 1) / P;
    int sp = int(gl_GlobalInvocationID.x);
    // Lanes past the end compute a clamped copy and store nothing, so the loops stay
    // uniform (no per-lane masking on CPU implementations).
    bool live = sp < p.ow * ohb;
    sp = min(sp, p.ow * ohb - 1);
    int ox = sp % p.ow;
    int oy0 = (sp / p.ow) * P;
    uint n = batch_index();
    int c0 = int(gl_WorkGroupID.y) * CT;
    uint img = n * uint(p.ih * p.iw);
#ifdef AVG
    uint pad_word = uint(p.in_zp & 255) * 0x01010101u;
#else
    uint pad_word = 0x80808080u;
#endif
#ifndef VEC16
    ivec4 cw = min(ivec4(c0 >> 2) + ivec4(0, 1, 2, 3), ivec4((p.c >> 2) - 1));
#endif

    ivec4 acc[P][4];
    for (int r = 0; r < P; r++)
        for (int k = 0; k < 4; k++) acc[r][k] = ivec4(-128);
#ifdef AVG
    for (int r = 0; r < P; r++)
        for (int k = 0; k < 4; k++) acc[r][k] = ivec4(0);
#endif

    int ix = ox * p.sx - p.pl;
    for (int ky = 0; ky < p.kh; ky++) {
        uint rowpix[P];
        bool rok[P];
        for (int r = 0; r < P; r++) {
            int yy = (oy0 + r) * p.sy - p.pt + ky;
            rok[r] = yy >= 0 && yy < p.ih;
            rowpix[r] = img + uint(clamp(yy, 0, p.ih - 1) * p.iw);
        }
        for (int kx = 0; kx < p.kw; kx++) {
            int xx = ix + kx;
            bool xin = xx >= 0 && xx < p.iw;
            uint pix0 = uint(clamp(xx, 0, p.iw - 1));
            for (int r = 0; r < P; r++) {
                bool ok = xin && rok[r];
                uint pix = rowpix[r] + pix0;
                ivec4 v[4];
#ifdef VEC16
                uvec4 q = x16[(pix * uint(p.c) + uint(c0)) >> 4];
                q = ok ? q : uvec4(pad_word);
                for (int k = 0; k < 4; k++) v[k] = i8x4(q[k]);
#else
                for (int k = 0; k < 4; k++) v[k] = i8x4(ok ? x4[pix * uint(p.c >> 2) + uint(cw[k])] : pad_word);
#endif
                for (int k = 0; k < 4; k++) {
#ifdef AVG
                    acc[r][k] += v[k];
#else
                    acc[r][k] = max(acc[r][k], v[k]);
#endif
                }
            }
        }
    }

    int cols = inside(ix, p.kw, p.iw);
    for (int r = 0; r < P; r++) {
        int oy = oy0 + r;
        bool row_ok = live && oy < p.oh;
        uint out_pix = n * uint(p.oh * p.ow) + uint(min(oy, p.oh - 1) * p.ow + ox);
        ivec4 q[4];
#ifdef AVG
        // reciprocal_scale(count) as the TOSA spec defines it, k = 32 - clz(count - 1).
        int count = max(inside(oy * p.sy - p.pt, p.kh, p.ih) * cols, 1);
        int k2 = findMSB(uint(count - 1)) + 1;
        int mult = int((((int64_t(1) << 30) + 1) << k2) / int64_t(count));
        int off = p.kh * p.kw * p.in_zp;
        for (int k = 0; k < 4; k++)
            for (int e = 0; e < 4; e++)
                q[k][e] = clamp(apply_scale_32(acc[r][k][e] - off, mult, 30 + k2, false) + p.out_zp, p.lo, p.hi);
#else
        for (int k = 0; k < 4; k++) q[k] = acc[r][k];
#endif
#ifdef VEC16
        if (row_ok)
            y16[(out_pix * uint(p.c) + uint(c0)) >> 4] = uvec4(pack4(q[0]), pack4(q[1]), pack4(q[2]), pack4(q[3]));
#else
        for (int k = 0; k < 4; k++)
            if (row_ok && c0 + 4 * k < p.c) y4[(out_pix * uint(p.c) + uint(c0 + 4 * k)) >> 2] = pack4(q[k]);
#endif
    }
}
