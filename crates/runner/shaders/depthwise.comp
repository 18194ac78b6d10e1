#version 450
// DEPTHWISE_CONV2D, NHWC input, HWCM weights; output channel = c*M + m.
// One output element per invocation: each output channel reads one input
// channel, so there is nothing to share across channels.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

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
layout(std430, set = 0, binding = 2) readonly buffer B { ACC_T bias[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { OUT_T y[]; };
layout(std430, set = 0, binding = 4) readonly buffer Mul { int mult[]; };
layout(std430, set = 0, binding = 5) readonly buffer Sh { int shift[]; };

layout(push_constant) uniform P {
    int ih, iw, ic, oh, ow, oc;
    int kh, kw, sy, sx, pt, pl, dy, dx;
    int in_zp, w_zp, bias_bc;
    int out_zp, per_channel, double_round, lo, hi;
    int acc_zp;
} p;

void main() {
    uint idx = flat_index();
    if (idx >= uint(p.oh * p.ow * p.oc)) return;
    uint n = batch_index();
    int o = int(idx % uint(p.oc));
    int pix = int(idx / uint(p.oc));
    int ox = pix % p.ow;
    int oy = pix / p.ow;
    int m_count = p.oc / p.ic;
    int c = o / m_count;
    int m = o % m_count;

#ifdef F32
    // Same order as the interpreter (bias first, taps in ky, kx order) and no FMA
    // contraction, so f32 results match it closely.
    precise float acc = bias[p.bias_bc == 1 ? 0 : o];
#else
    ACC_T acc = ACC_T(0);
#endif
    uint in_base = n * uint(p.ih * p.iw * p.ic);
    for (int ky = 0; ky < p.kh; ky++) {
        int y = oy * p.sy - p.pt + ky * p.dy;
        if (y < 0 || y >= p.ih) continue;
        for (int kx = 0; kx < p.kw; kx++) {
            int xx = ox * p.sx - p.pl + kx * p.dx;
            if (xx < 0 || xx >= p.iw) continue;
            int wi = ((ky * p.kw + kx) * p.ic + c) * m_count + m;
#ifdef F32
            acc += x[in_base + uint((y * p.iw + xx) * p.ic + c)] * w[wi];
#else
            acc += (int(x[in_base + uint((y * p.iw + xx) * p.ic + c)]) - p.in_zp) * (int(w[wi]) - p.w_zp);
#endif
        }
    }
#ifdef F32
    ACC_T a = acc;
#else
    ACC_T a = acc + bias[p.bias_bc == 1 ? 0 : o];
#endif
    uint oi = n * uint(p.oh * p.ow * p.oc) + idx;
#ifdef FUSED
    int ch = p.per_channel != 0 ? o : 0;
    int r = apply_scale_32(a - p.acc_zp, mult[ch], shift[ch], p.double_round != 0) + p.out_zp;
    y[oi] = int8_t(clamp(r, p.lo, p.hi));
#else
    y[oi] = a;
#endif
}
