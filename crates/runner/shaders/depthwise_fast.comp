#version 450
// Int8 DEPTHWISE_CONV2D (+ fused RESCALE/CLAMP), register-blocked for CPU implementations
// (lavapipe) on the same principles as conv2d_fast.comp: there every buffer load is a loop
// over the SIMD lanes with a bounds check each, so loads, not multiplies, set the cost.
// Each invocation computes P output rows x 16 output channels of one column: one 16-byte
// weight load per tap serves P pixels, and one input load brings up to 16 channels.
// Selected by the lowering on CPU devices (RunnerOptions::blocked_conv); exact anywhere.
//
// Output channel o = c * M + m reads input channel c (M = oc / ic, the multiplier).
// Products are summed in int32, which is the TOSA accumulator itself, so no run-length
// limit as in the CONV2D kernel's f32 sums: a depthwise tap is a single product.
//
// The input zero point is folded into the bias at plan time (bias - in_zp * sum(w - w_zp)),
// so raw inputs are multiplied and a padded tap reads the zero point itself.
//
// Weights are re-laid out at plan time as int8 [tile][tap][16], output channels past OC
// zero. Input variants:
// * VEC16: M = 1 and IC % 16 == 0: one 16-byte load per pixel and tap;
// * WORDS: M = 1 and IC % 4 == 0: four 4-byte loads, the channel word index clamped so a
//   tile past IC reads inside the pixel (those channels are never stored);
// * WORDS MULT2: M = 2 and IC % 4 == 0: two 4-byte loads, each byte used twice;
// * otherwise bytes: one load per output channel of input channel min(o, OC - 1) / M.
//
// KH with SY: kernel height KH, stride SY and row dilation 1 fixed at compile time, so an
// input row loaded for one output row also serves the next ones (see main); unrolled,
// which the per-row loops need to keep the accumulators in registers.
//
// FUSED writes int8 (STORE16 for OC % 16 == 0, STORE4 for OC % 4 == 0: whole words), else
// the raw int32 accumulator (four channels per store where OC % 4 == 0).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#ifndef P
#define P 16
#endif
#if defined(KH) && !defined(SY)
#error KH needs SY
#endif
#define OCT 16

#if defined(VEC16)
layout(std430, set = 0, binding = 0) readonly buffer In16 { uvec4 x16[]; };
#elif defined(WORDS)
layout(std430, set = 0, binding = 0) readonly buffer In4 { uint x4[]; };
#else
layout(std430, set = 0, binding = 0) readonly buffer In { int8_t x[]; };
#endif
layout(std430, set = 0, binding = 1) readonly buffer Wq { uvec4 w16[]; };
// Per output channel: bias (in_zp folded in), RESCALE multiplier and shift, unused.
layout(std430, set = 0, binding = 2) readonly buffer Chan { ivec4 chan[]; };
#if defined(FUSED) && defined(STORE16)
layout(std430, set = 0, binding = 3) writeonly buffer Out { uvec4 y16[]; };
#elif defined(FUSED) && defined(STORE4)
layout(std430, set = 0, binding = 3) writeonly buffer Out { uint y4[]; };
#elif defined(FUSED)
layout(std430, set = 0, binding = 3) writeonly buffer Out { int8_t y[]; };
#elif defined(VEC16) || defined(WORDS)
// IC % 4 == 0 here, so OC % 4 == 0: the accumulators go out 16 bytes at a time.
#define RAW4
layout(std430, set = 0, binding = 3) writeonly buffer Out { ivec4 y4[]; };
#else
layout(std430, set = 0, binding = 3) writeonly buffer Out { int y[]; };
#endif

layout(push_constant) uniform Push {
    int ih, iw, ic, oh, ow, oc;
    int kh, kw, sy, sx, pt, pl, dy, dx;
    int in_zp, w_zp, bias_bc;
    int out_zp, per_channel, double_round, lo, hi;
    int acc_zp;
} p;

// Where load_px finds a tile's channels in a pixel: the first channel (VEC16), the four
// word indices (WORDS) or the 16 input channels (bytes).
#if defined(VEC16)
#define CH_T int
#elif defined(WORDS)
#define CH_T ivec4
#else
#define CH_T int[OCT]
#endif

ivec4 i8x4(uint v) {
    int s = int(v);
    return ivec4(bitfieldExtract(s, 0, 8), bitfieldExtract(s, 8, 8), bitfieldExtract(s, 16, 8), s >> 24);
}

uint pack4(ivec4 q) {
    uvec4 u = uvec4(q) & 255u;
    return u.x | (u.y << 8) | (u.z << 16) | (u.w << 24);
}

// The 16 channels of the tile at pixel `pix` (clamped in bounds by the caller), or the
// input zero point where the tap is padding.
void load_px(uint pix, bool ok, CH_T ch, uint zp_word, out ivec4 xv[4]) {
#if defined(VEC16)
    uvec4 v = x16[(pix * uint(p.ic) + uint(ch)) >> 4];
    v = ok ? v : uvec4(zp_word);
    for (int k = 0; k < 4; k++) xv[k] = i8x4(v[k]);
#elif defined(WORDS) && defined(MULT2)
    // 16 output channels read 8 input channels, each twice: two words.
    for (int h = 0; h < 2; h++) {
        ivec4 v = i8x4(ok ? x4[pix * uint(p.ic >> 2) + uint(ch[h])] : zp_word);
        xv[2 * h] = v.xxyy;
        xv[2 * h + 1] = v.zzww;
    }
#elif defined(WORDS)
    for (int k = 0; k < 4; k++) {
        uint v = x4[pix * uint(p.ic >> 2) + uint(ch[k])];
        xv[k] = i8x4(ok ? v : zp_word);
    }
#else
    uint base = pix * uint(p.ic);
    for (int k = 0; k < 4; k++)
        for (int e = 0; e < 4; e++) xv[k][e] = ok ? int(x[base + uint(ch[4 * k + e])]) : p.in_zp;
#endif
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
    int tile = int(gl_WorkGroupID.y);
    int o0 = tile * OCT;
    int ntaps = p.kh * p.kw;
    uint img = n * uint(p.ih * p.iw);
    uint zp_word = uint(p.in_zp & 255) * 0x01010101u;
    ivec4 wzp = ivec4(p.w_zp);
#if defined(VEC16)
    CH_T ch = o0;
#elif defined(WORDS) && defined(MULT2)
    CH_T ch = min(ivec4(o0 >> 3) + ivec4(0, 1, 2, 3), ivec4((p.ic >> 2) - 1));
#elif defined(WORDS)
    CH_T ch = min(ivec4(o0 >> 2) + ivec4(0, 1, 2, 3), ivec4((p.ic >> 2) - 1));
#else
    int m_count = p.oc / p.ic;
    CH_T ch;
    for (int j = 0; j < OCT; j++) ch[j] = min(o0 + j, p.oc - 1) / m_count;
#endif

    ivec4 acc[P][4];
    for (int r = 0; r < P; r++)
        for (int k = 0; k < 4; k++) acc[r][k] = ivec4(0);

    int ix = ox * p.sx - p.pl;
#ifdef KH
    // Row reuse: with kh == KH, dy == 1 and sy == SY known here, input row i of the
    // column's window feeds output row r through kernel row i - r * SY, so each input
    // value is loaded and unpacked once for up to KH taps instead of once per tap.
    int y0 = oy0 * SY - p.pt;
    for (int kx = 0; kx < p.kw; kx++) {
        int xx = ix + kx * p.dx;
        bool xin = xx >= 0 && xx < p.iw;
        uint xc = uint(clamp(xx, 0, p.iw - 1));
        ivec4 w[KH][4];
        for (int ky = 0; ky < KH; ky++) {
            uvec4 wv = w16[tile * ntaps + ky * p.kw + kx];
            for (int k = 0; k < 4; k++) w[ky][k] = i8x4(wv[k]) - wzp;
        }
        [[unroll]] for (int i = 0; i < (P - 1) * SY + KH; i++) {
            int yy = y0 + i;
            bool ok = xin && yy >= 0 && yy < p.ih;
            ivec4 xv[4];
            load_px(img + uint(clamp(yy, 0, p.ih - 1) * p.iw) + xc, ok, ch, zp_word, xv);
            [[unroll]] for (int ky = 0; ky < KH; ky++) {
                int d = i - ky;
                if (d >= 0 && d % SY == 0 && d / SY < P)
                    for (int k = 0; k < 4; k++) acc[d / SY][k] += xv[k] * w[ky][k];
            }
        }
    }
#else
    for (int ky = 0; ky < p.kh; ky++) {
        uint rowpix[P];
        bool rok[P];
        [[unroll]] for (int r = 0; r < P; r++) {
            int yy = (oy0 + r) * p.sy - p.pt + ky * p.dy;
            rok[r] = yy >= 0 && yy < p.ih;
            rowpix[r] = img + uint(clamp(yy, 0, p.ih - 1) * p.iw);
        }
        for (int kx = 0; kx < p.kw; kx++) {
            int xx = ix + kx * p.dx;
            bool xin = xx >= 0 && xx < p.iw;
            uint xc = uint(clamp(xx, 0, p.iw - 1));
            uvec4 wv = w16[tile * ntaps + ky * p.kw + kx];
            ivec4 w[4] = ivec4[4](i8x4(wv.x) - wzp, i8x4(wv.y) - wzp, i8x4(wv.z) - wzp, i8x4(wv.w) - wzp);
            [[unroll]] for (int r = 0; r < P; r++) {
                ivec4 xv[4];
                load_px(rowpix[r] + xc, xin && rok[r], ch, zp_word, xv);
                for (int k = 0; k < 4; k++) acc[r][k] += xv[k] * w[k];
            }
        }
    }
#endif

    // Plain `if`s rather than early exits: stores are the only divergent part.
    ivec4 cp[OCT];
    for (int j = 0; j < OCT; j++) cp[j] = chan[min(o0 + j, p.oc - 1)];
    for (int r = 0; r < P; r++) {
        int oy = oy0 + r;
        bool row_ok = live && oy < p.oh;
        uint out_base = n * uint(p.oh * p.ow * p.oc) + uint((min(oy, p.oh - 1) * p.ow + ox) * p.oc);
        ivec4 q[4];
        for (int k = 0; k < 4; k++) {
            for (int e = 0; e < 4; e++) {
                ivec4 c = cp[4 * k + e];
                int a = acc[r][k][e] + c.x;
#ifdef FUSED
                q[k][e] = clamp(apply_scale_32(a - p.acc_zp, c.y, c.z, p.double_round != 0) + p.out_zp, p.lo, p.hi);
#else
                q[k][e] = a;
#endif
            }
        }
#if defined(FUSED) && defined(STORE16)
        if (row_ok)
            y16[(out_base + uint(o0)) >> 4] = uvec4(pack4(q[0]), pack4(q[1]), pack4(q[2]), pack4(q[3]));
#elif defined(FUSED) && defined(STORE4)
        for (int k = 0; k < 4; k++)
            if (row_ok && o0 + 4 * k < p.oc) y4[(out_base + uint(o0 + 4 * k)) >> 2] = pack4(q[k]);
#elif defined(RAW4)
        for (int k = 0; k < 4; k++)
            if (row_ok && o0 + 4 * k < p.oc) y4[(out_base + uint(o0 + 4 * k)) >> 2] = q[k];
#else
        for (int k = 0; k < 4; k++) {
            for (int e = 0; e < 4; e++) {
                if (row_ok && o0 + 4 * k + e < p.oc) {
#ifdef FUSED
                    y[out_base + uint(o0 + 4 * k + e)] = int8_t(q[k][e]);
#else
                    y[out_base + uint(o0 + 4 * k + e)] = q[k][e];
#endif
                }
            }
        }
#endif
    }
}
