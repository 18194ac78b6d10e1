#version 450
// Int8 CONV2D (+ fused RESCALE/CLAMP), register-blocked: each invocation computes P
// output rows x OCT output channels of one column, so every input value it loads is used
// OCT times and every weight P times. Built for CPU implementations (lavapipe), where
// every buffer load runs as a loop over the SIMD lanes (one scalar load each, with its
// bounds check) while arithmetic is one vector instruction for all lanes: loads, not
// multiplies, bound a convolution there, so this kernel trades registers for loads.
// Selected by the lowering on CPU devices (RunnerOptions::blocked_conv); exact anywhere.
//
// Products are summed in f32: they are integers, and the plan limits how many taps go
// into one f32 sum (push constant `taps_per_flush`) so no partial sum can pass 2^24;
// each run is then added to an int32 accumulator. So the result is bit-exact with int32
// accumulation while the inner loop is plain FMAs.
//
// The input zero point is folded into the bias at plan time (bias - in_zp * sum(w - w_zp)),
// so raw inputs are multiplied and a padded tap reads the zero point itself.
//
// Weights are re-laid out at plan time, output channels past OC zero:
// * default: int8x4 words [tile][tap][ic/4][OCT], 4 input channels per word (IC % 4 == 0);
// * BYTES: int8x4 words [tile][tap][ic][OCT/4], 4 output channels per word, any IC, the
//   input read a byte at a time.
//
// FUSED writes int8 (STORE4: four channels per 32-bit store, for OC % 4 == 0), else the
// raw int32 accumulator.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#ifndef P
#define P 4
#endif
#ifndef OCT
#define OCT 8
#endif

#ifdef BYTES
layout(std430, set = 0, binding = 0) readonly buffer In { int8_t x[]; };
#else
layout(std430, set = 0, binding = 0) readonly buffer In4 { uint x4[]; };
#endif
// A step's weight words are loaded 4 at a time where they are 16-byte aligned: a CPU
// implementation pays its per-lane load overhead once for all four.
#if OCT % 4 != 0
#error OCT must be a multiple of 4
#endif
#if !defined(BYTES) || OCT % 16 == 0
#define WQ
layout(std430, set = 0, binding = 1) readonly buffer Wq { uvec4 w16[]; };
#else
layout(std430, set = 0, binding = 1) readonly buffer W4 { uint w4[]; };
#endif
// Per output channel: bias (in_zp folded in), RESCALE multiplier and shift, unused; one
// 16-byte load per channel instead of three scalar ones.
layout(std430, set = 0, binding = 2) readonly buffer Chan { ivec4 chan[]; };
#if defined(FUSED) && defined(STORE4)
layout(std430, set = 0, binding = 3) writeonly buffer Out { uint y4[]; };
#elif defined(FUSED)
layout(std430, set = 0, binding = 3) writeonly buffer Out { int8_t y[]; };
#else
layout(std430, set = 0, binding = 3) writeonly buffer Out { int y[]; };
#endif

layout(push_constant) uniform Push {
    int ih, iw, ic, oh, ow, oc;
    int kh, kw, sy, sx, pt, pl, dy, dx;
    int in_zp, w_zp, bias_bc;
    int out_zp, per_channel, double_round, lo, hi;
    int acc_zp;
    int taps_per_flush;
} p;

vec4 unpack_i8x4(int v) {
    return vec4(float(bitfieldExtract(v, 0, 8)), float(bitfieldExtract(v, 8, 8)),
                float(bitfieldExtract(v, 16, 8)), float(v >> 24));
}

void main() {
    int ohb = (p.oh + P - 1) / P;
    int sp = int(gl_GlobalInvocationID.x);
    // Lanes past the end compute a clamped copy and store nothing: without an early exit
    // the loops stay uniform, which CPU implementations run without per-lane masking.
    bool live = sp < p.ow * ohb;
    sp = min(sp, p.ow * ohb - 1);
    int ox = sp % p.ow;
    int oy0 = (sp / p.ow) * P;
    uint n = batch_index();
    int tile = int(gl_WorkGroupID.y);
#ifdef BYTES
    int icw = p.ic;
    int wstep = OCT / 4;
#else
    int icw = p.ic >> 2;
    int wstep = OCT;
#endif
    int ntaps = p.kh * p.kw;
    uint in_base = n * uint(p.ih * p.iw * icw);
    uint w_tile = uint(tile * ntaps * icw * wstep);
    uint zp_word = uint(p.in_zp & 255) * 0x01010101u;
    float fzp = float(p.in_zp);
    float wzp = float(p.w_zp);

    int iacc[P][OCT];
    for (int r = 0; r < P; r++)
        for (int j = 0; j < OCT; j++) iacc[r][j] = 0;

    int ix = ox * p.sx - p.pl;
    for (int t0 = 0; t0 < ntaps; t0 += p.taps_per_flush) {
        float acc[P][OCT];
        for (int r = 0; r < P; r++)
            for (int j = 0; j < OCT; j++) acc[r][j] = 0.0;
        int t1 = min(t0 + p.taps_per_flush, ntaps);
        for (int t = t0; t < t1; t++) {
            int ky = t / p.kw;
            int kx = t - ky * p.kw;
            int xx = ix + kx * p.dx;
            bool xin = xx >= 0 && xx < p.iw;
            uint rowb[P];
            bool ok[P];
            for (int r = 0; r < P; r++) {
                int yy = (oy0 + r) * p.sy - p.pt + ky * p.dy;
                ok[r] = xin && yy >= 0 && yy < p.ih;
                // Clamped so the load is always in bounds; `ok` then swaps in the zero point.
                rowb[r] = in_base + uint((clamp(yy, 0, p.ih - 1) * p.iw + clamp(xx, 0, p.iw - 1)) * icw);
            }
            uint wb = w_tile + uint(t * icw * wstep);
            for (int c = 0; c < icw; c++) {
#ifdef BYTES
                float xv[P];
                for (int r = 0; r < P; r++) {
                    float v = float(int(x[rowb[r] + uint(c)]));
                    xv[r] = ok[r] ? v : fzp;
                }
#ifdef WQ
                uvec4 wq[OCT / 16];
                for (int k = 0; k < OCT / 16; k++) wq[k] = w16[((wb + uint(c * wstep)) >> 2) + uint(k)];
#endif
                for (int j4 = 0; j4 < OCT / 4; j4++) {
#ifdef WQ
                    vec4 w = unpack_i8x4(int(wq[j4 >> 2][j4 & 3])) - wzp;
#else
                    vec4 w = unpack_i8x4(int(w4[wb + uint(c * wstep + j4)])) - wzp;
#endif
                    for (int r = 0; r < P; r++) {
                        acc[r][4 * j4] = fma(xv[r], w.x, acc[r][4 * j4]);
                        acc[r][4 * j4 + 1] = fma(xv[r], w.y, acc[r][4 * j4 + 1]);
                        acc[r][4 * j4 + 2] = fma(xv[r], w.z, acc[r][4 * j4 + 2]);
                        acc[r][4 * j4 + 3] = fma(xv[r], w.w, acc[r][4 * j4 + 3]);
                    }
                }
#else
                vec4 xv[P];
                for (int r = 0; r < P; r++) {
                    uint v = x4[rowb[r] + uint(c)];
                    xv[r] = unpack_i8x4(int(ok[r] ? v : zp_word));
                }
                uvec4 wq[OCT / 4];
                for (int k = 0; k < OCT / 4; k++) wq[k] = w16[((wb + uint(c * wstep)) >> 2) + uint(k)];
                for (int j = 0; j < OCT; j++) {
                    vec4 w = unpack_i8x4(int(wq[j >> 2][j & 3])) - wzp;
                    for (int r = 0; r < P; r++)
                        acc[r][j] = fma(xv[r].x, w.x, fma(xv[r].y, w.y,
                                    fma(xv[r].z, w.z, fma(xv[r].w, w.w, acc[r][j]))));
                }
#endif
            }
        }
        for (int r = 0; r < P; r++)
            for (int j = 0; j < OCT; j++) iacc[r][j] += int(acc[r][j]);
    }

    // Plain `if`s rather than early exits: stores are the only divergent part.
    ivec4 cp[OCT];
    for (int j = 0; j < OCT; j++) cp[j] = chan[min(tile * OCT + j, p.oc - 1)];
    for (int r = 0; r < P; r++) {
        int oy = oy0 + r;
        bool row_ok = live && oy < p.oh;
        uint out_base = n * uint(p.oh * p.ow * p.oc) + uint((min(oy, p.oh - 1) * p.ow + ox) * p.oc);
        for (int j4 = 0; j4 < OCT / 4; j4++) {
            int o0 = tile * OCT + 4 * j4;
            int q[4];
            for (int k = 0; k < 4; k++) {
                ivec4 c = cp[4 * j4 + k];
                int a = iacc[r][4 * j4 + k] + c.x;
#ifdef FUSED
                q[k] = clamp(apply_scale_32(a - p.acc_zp, c.y, c.z, p.double_round != 0) + p.out_zp, p.lo, p.hi);
#else
                q[k] = a;
#endif
            }
#if defined(FUSED) && defined(STORE4)
            if (row_ok && o0 < p.oc)
                y4[(out_base + uint(o0)) >> 2] = (uint(q[0]) & 255u) | ((uint(q[1]) & 255u) << 8)
                                               | ((uint(q[2]) & 255u) << 16) | (uint(q[3]) << 24);
#else
            for (int k = 0; k < 4; k++) {
                if (row_ok && o0 + k < p.oc) {
#ifdef FUSED
                    y[out_base + uint(o0 + k)] = int8_t(q[k]);
#else
                    y[out_base + uint(o0 + k)] = q[k];
#endif
                }
            }
#endif
        }
    }
}
