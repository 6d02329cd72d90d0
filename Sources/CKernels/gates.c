// The cells' fused gate kernels on 16-lane AVX-512 vectors (ck_gates.h).
//
// Why: a portable x86-64 Swift build lowers Elementwise's SIMD16 exp / tanh /
// sigmoid to four SSE registers, and the gate kernels were ~18% of an LSTM
// 2×128 training step and most of a batch-1 sampling step. One zmm register
// does the work of four xmm ones.
//
// Bit for bit: every function below performs exactly the operations of its
// Swift twin (Elementwise.swift's Cephes exp, tanh, sigmoid; the cell
// kernels), in the same order, with the same constants (same bit patterns),
// the same clamps and selects, so the same NaN behaviour. Multiplies and adds
// stay separate: no FMA, which would round once instead of twice (Swift never
// fuses, so neither may we). `fp contract(off)` stops the compiler from fusing
// on its own. The tail of a row (H not a multiple of 16) runs the same vector
// code under a lane mask, so there is no scalar copy to keep in step.
// Swift reads operand order `a * b * c` as `(a * b) * c`; so do the comments.
//
// Only called when ck_cpu_has_avx512() said yes (`KernelSet.avx512`).

#pragma clang fp contract(off)

#include "ck_gates.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define CK_INLINE static inline __attribute__((always_inline)) CK_TARGET

typedef __m512 v16;
#define FULL ((__mmask16)0xFFFF)

CK_INLINE v16 k(float x) { return _mm512_set1_ps(x); }
CK_INLINE v16 add(v16 a, v16 b) { return _mm512_add_ps(a, b); }
CK_INLINE v16 sub(v16 a, v16 b) { return _mm512_sub_ps(a, b); }
CK_INLINE v16 mul(v16 a, v16 b) { return _mm512_mul_ps(a, b); }
CK_INLINE v16 dvd(v16 a, v16 b) { return _mm512_div_ps(a, b); }
CK_INLINE v16 neg(v16 a) { return _mm512_xor_ps(a, k(-0.0f)); }  // Swift's prefix −: flips the sign bit only
/// mask ? a : b, lane by lane (Elementwise.select).
CK_INLINE v16 sel(__mmask16 mask, v16 a, v16 b) { return _mm512_mask_blend_ps(mask, b, a); }
/// Ordered comparisons, as Swift's .< and .>: false when either side is NaN.
CK_INLINE __mmask16 lt(v16 a, v16 b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
CK_INLINE __mmask16 gt(v16 a, v16 b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
/// Loads and stores of the lanes in `m` (the others read as 0 and are not written).
CK_INLINE v16 ld(__mmask16 m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
CK_INLINE void st(__mmask16 m, float *p, v16 v) { _mm512_mask_storeu_ps(p, m, v); }
CK_INLINE __mmask16 tail_mask(long n) { return (__mmask16)((1u << n) - 1u); }  // 0 < n < 16

// MARK: Activations (Elementwise.exp / sigmoid / tanh / relu, lane by lane)

/// eˣ: clamp to [−87, 88], 2ⁿ·eʳ with n = round(x·log₂e), eʳ a degree-6 polynomial.
CK_INLINE v16 ck_exp(v16 x) {
    v16 clamped = sel(lt(x, k(-87.0f)), k(-87.0f), x);  // NaN fails both tests and stays NaN
    clamped = sel(gt(x, k(88.0f)), k(88.0f), clamped);
    const v16 shifter = k(12582912.0f);                 // 1.5·2²³
    v16 t = add(mul(clamped, k(1.44269504f)), shifter);
    v16 n = sub(t, shifter);
    v16 r = sub(clamped, mul(n, k(0.693359375f)));
    r = add(r, mul(n, k(2.1219444e-4f)));
    v16 z = mul(r, r);
    v16 p = k(1.98756915e-4f);
    p = add(mul(p, r), k(1.39819995e-3f));
    p = add(mul(p, r), k(8.3334519e-3f));
    p = add(mul(p, r), k(4.16657959e-2f));
    p = add(mul(p, r), k(1.66666655e-1f));
    p = add(mul(p, r), k(5.00000012e-1f));
    p = add(add(mul(p, z), r), k(1.0f));
    // 2ⁿ from its bits: t's pattern is 0x4B40_0000 + n; the exponent field takes n + 127 (wrapping integer ops).
    __m512i bits = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
    bits = _mm512_slli_epi32(_mm512_add_epi32(bits, _mm512_set1_epi32(127)), 23);
    return mul(p, _mm512_castsi512_ps(bits));
}

/// σ(x) = 1 / (1 + e⁻ˣ).
CK_INLINE v16 ck_sigmoid(v16 x) { return dvd(k(1.0f), add(k(1.0f), ck_exp(neg(x)))); }

/// tanh x: odd polynomial for |x| < 0.625, (1 − e)/(1 + e) with e = e^(−2|x|) beyond, sign restored.
CK_INLINE v16 ck_tanh(v16 x) {
    v16 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF)));
    v16 e = ck_exp(mul(k(-2.0f), a));
    v16 large = dvd(sub(k(1.0f), e), add(k(1.0f), e));
    v16 z = mul(x, x);
    v16 p = k(-5.70498872e-3f);
    p = add(mul(p, z), k(2.06390888e-2f));
    p = sub(mul(p, z), k(5.37397155e-2f));
    p = add(mul(p, z), k(1.33314422e-1f));
    p = sub(mul(p, z), k(3.33332819e-1f));
    v16 small = add(x, mul(mul(x, z), p));
    v16 signedLarge = sel(lt(x, k(0.0f)), neg(large), large);
    return sel(lt(a, k(0.625f)), small, signedLarge);  // NaN: a < 0.625 is false, large is NaN
}

/// max(x, 0); NaN and −0 stay.
CK_INLINE v16 ck_relu(v16 x) { return sel(lt(x, k(0.0f)), k(0.0f), x); }

// Each kernel: a `*_lanes` body for 16 hidden units starting at j under lane mask m,
// called with FULL for the whole vectors of a row and with a tail mask for the rest.
#define FOR_LANES(hs, body)                                   \
    do {                                                      \
        long j_ = 0;                                          \
        for (; j_ + 16 <= (hs); j_ += 16) body(j_, FULL);     \
        if (j_ < (hs)) body(j_, tail_mask((hs) - j_));        \
    } while (0)

// MARK: LSTM

// Forward, per unit (blocks i, f, g, o of a (4H) row; biasHH b):
//     i = σ(z_i + b_i)  f = σ(z_f + b_f)  g = tanh(z_g + b_g)  o = σ(z_o + b_o)
//     c' = f·c + i·g    tanhC = tanh c'    h' = o·tanhC
// Backward (dc in: from later steps; out: dc_prev):
//     dc = dc + (dh·o)·(1 − t·t)   (t = tanh c')
//     dz_i = (dc·g)·(i(1 − i))   dz_f = (dc·c)·(f(1 − f))   dz_g = (dc·i)·(1 − g·g)
//     dz_o = (dh·t)·(o(1 − o))   dc_prev = dc·f

CK_INLINE void lstm_forward_lanes(float *z, const float *b, const float *cp, float *cn, float *tc, float *hn,
                                  long hs, long j, __mmask16 m) {
    float *zI = z, *zF = z + hs, *zG = z + 2 * hs, *zO = z + 3 * hs;
    const float *bI = b, *bF = b + hs, *bG = b + 2 * hs, *bO = b + 3 * hs;
    v16 i = ck_sigmoid(add(ld(m, zI + j), ld(m, bI + j)));
    v16 f = ck_sigmoid(add(ld(m, zF + j), ld(m, bF + j)));
    v16 g = ck_tanh(add(ld(m, zG + j), ld(m, bG + j)));
    v16 o = ck_sigmoid(add(ld(m, zO + j), ld(m, bO + j)));
    st(m, zI + j, i); st(m, zF + j, f); st(m, zG + j, g); st(m, zO + j, o);
    v16 cj = add(mul(f, ld(m, cp + j)), mul(i, g));
    v16 t = ck_tanh(cj);
    st(m, cn + j, cj); st(m, tc + j, t); st(m, hn + j, mul(o, t));
}

CK_TARGET void ck_lstm_forward_step(float *gates, const float *biasHH, const float *cPrev, float *c,
                                    float *tanhC, float *h, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *z = gates + row * 4 * hs;
        const float *cp = cPrev + row * hs;
        float *cn = c + row * hs, *tc = tanhC + row * hs, *hn = h + row * hs;
#define LSTM_FWD(j, m) lstm_forward_lanes(z, biasHH, cp, cn, tc, hn, hs, j, m)
        FOR_LANES(hs, LSTM_FWD);
#undef LSTM_FWD
    }
}

CK_INLINE void lstm_backward_lanes(const float *z, const float *cp, const float *cn, const float *dh, float *dc,
                                   float *dz, long hs, long j, __mmask16 m) {
    const v16 one = k(1.0f);
    v16 i = ld(m, z + j), f = ld(m, z + hs + j), g = ld(m, z + 2 * hs + j), o = ld(m, z + 3 * hs + j);
    v16 t = ck_tanh(ld(m, cn + j)), dhj = ld(m, dh + j);  // tanh c' recomputed, as the forward computed it
    v16 dcj = add(ld(m, dc + j), mul(mul(dhj, o), sub(one, mul(t, t))));
    st(m, dz + j, mul(mul(dcj, g), mul(i, sub(one, i))));
    st(m, dz + hs + j, mul(mul(dcj, ld(m, cp + j)), mul(f, sub(one, f))));
    st(m, dz + 2 * hs + j, mul(mul(dcj, i), sub(one, mul(g, g))));
    st(m, dz + 3 * hs + j, mul(mul(dhj, t), mul(o, sub(one, o))));
    st(m, dc + j, mul(dcj, f));
}

CK_TARGET void ck_lstm_backward_step(const float *gates, const float *cPrev, const float *c, const float *dH,
                                     float *dC, float *dGates, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        const float *z = gates + row * 4 * hs;
        float *dz = dGates + row * 4 * hs;
        const float *cp = cPrev + row * hs, *cn = c + row * hs, *dh = dH + row * hs;
        float *dc = dC + row * hs;
#define LSTM_BWD(j, m) lstm_backward_lanes(z, cp, cn, dh, dc, dz, hs, j, m)
        FOR_LANES(hs, LSTM_BWD);
#undef LSTM_BWD
    }
}

// MARK: GRU

// Forward, per unit (blocks r, z, n of a (3H) row; x the input side, p = h·W_hhᵀ, b = b_hh):
//     r = σ(x_r + (p_r + b_r))   z = σ(x_z + (p_z + b_z))
//     hn = p_n + b_n             n = tanh(x_n + r·hn)       h' = n + z·(h − n)
// Backward:
//     dPreN = (dh·(1 − z))·(1 − n·n)   dPreR = (dPreN·hn)·(r(1 − r))   dPreZ = (dh·(h − n))·(z(1 − z))
//     dX = (dPreR, dPreZ, dPreN)       dR = (dPreR, dPreZ, dPreN·r)     dh_prev = dh_prev + dh·z

CK_INLINE void gru_forward_lanes(float *x, const float *p, const float *b, const float *hp, float *hnRow, float *ho,
                                 long hs, long j, __mmask16 m) {
    float *rG = x, *zG = x + hs, *nG = x + 2 * hs;
    const float *pR = p, *pZ = p + hs, *pN = p + 2 * hs;
    const float *bR = b, *bZ = b + hs, *bN = b + 2 * hs;
    v16 r = ck_sigmoid(add(ld(m, rG + j), add(ld(m, pR + j), ld(m, bR + j))));
    v16 z = ck_sigmoid(add(ld(m, zG + j), add(ld(m, pZ + j), ld(m, bZ + j))));
    v16 hnj = add(ld(m, pN + j), ld(m, bN + j));
    v16 n = ck_tanh(add(ld(m, nG + j), mul(r, hnj)));
    st(m, rG + j, r); st(m, zG + j, z); st(m, nG + j, n); st(m, hnRow + j, hnj);
    st(m, ho + j, add(n, mul(z, sub(ld(m, hp + j), n))));  // (1 − z)·n + z·h
}

CK_TARGET void ck_gru_forward_step(float *gates, const float *hProj, const float *biasHH, const float *hPrev,
                                   float *hn, float *h, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *x = gates + row * 3 * hs;
        const float *p = hProj + row * 3 * hs, *hp = hPrev + row * hs;
        float *hnRow = hn + row * hs, *ho = h + row * hs;
#define GRU_FWD(j, m) gru_forward_lanes(x, p, biasHH, hp, hnRow, ho, hs, j, m)
        FOR_LANES(hs, GRU_FWD);
#undef GRU_FWD
    }
}

CK_INLINE void gru_backward_lanes(const float *x, const float *hnRow, const float *hp, const float *dh,
                                  float *dx, float *dr, float *dp, long hs, long j, __mmask16 m) {
    const v16 one = k(1.0f);
    v16 r = ld(m, x + j), z = ld(m, x + hs + j), n = ld(m, x + 2 * hs + j);
    v16 d = ld(m, dh + j);
    v16 dPreN = mul(mul(d, sub(one, z)), sub(one, mul(n, n)));
    v16 dPreR = mul(mul(dPreN, ld(m, hnRow + j)), mul(r, sub(one, r)));
    v16 dPreZ = mul(mul(d, sub(ld(m, hp + j), n)), mul(z, sub(one, z)));
    st(m, dx + j, dPreR); st(m, dr + j, dPreR);
    st(m, dx + hs + j, dPreZ); st(m, dr + hs + j, dPreZ);
    st(m, dx + 2 * hs + j, dPreN); st(m, dr + 2 * hs + j, mul(dPreN, r));
    st(m, dp + j, add(ld(m, dp + j), mul(d, z)));
}

CK_TARGET void ck_gru_backward_step(const float *gates, const float *hn, const float *hPrev, const float *dH,
                                    float *dGatesX, float *dGatesH, float *dHPrev, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        const float *x = gates + row * 3 * hs;
        float *dx = dGatesX + row * 3 * hs, *dr = dGatesH + row * 3 * hs;
        const float *hnRow = hn + row * hs, *hp = hPrev + row * hs, *dh = dH + row * hs;
        float *dp = dHPrev + row * hs;
#define GRU_BWD(j, m) gru_backward_lanes(x, hnRow, hp, dh, dx, dr, dp, hs, j, m)
        FOR_LANES(hs, GRU_BWD);
#undef GRU_BWD
    }
}

// MARK: Basic RNN

// Forward: h' = φ(z + b), written to both gates and h.  Backward: d(pre) = dh·φ'(h'),
// tanh' = 1 − h'·h', relu' = (h' > 0 ? 1 : 0).

// `relu` is a constant at each call site below, so each exported function is
// compiled with its own activation inlined (no branch per vector).
CK_INLINE void rnn_forward_lanes(float *z, const float *b, float *out, long j, __mmask16 m, int relu) {
    v16 pre = add(ld(m, z + j), ld(m, b + j));
    v16 y = relu ? ck_relu(pre) : ck_tanh(pre);
    st(m, z + j, y); st(m, out + j, y);
}

CK_INLINE void rnn_forward_rows(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize, int relu) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *z = gates + row * hs, *out = h + row * hs;
#define RNN_FWD(j, m) rnn_forward_lanes(z, biasHH, out, j, m, relu)
        FOR_LANES(hs, RNN_FWD);
#undef RNN_FWD
    }
}

CK_TARGET void ck_rnn_tanh_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    rnn_forward_rows(gates, biasHH, h, batchSize, hiddenSize, 0);
}

CK_TARGET void ck_rnn_relu_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    rnn_forward_rows(gates, biasHH, h, batchSize, hiddenSize, 1);
}

CK_INLINE void rnn_tanh_backward_lanes(const float *y, const float *dh, float *dz, long j, __mmask16 m) {
    v16 yj = ld(m, y + j);
    st(m, dz + j, mul(ld(m, dh + j), sub(k(1.0f), mul(yj, yj))));
}

CK_INLINE void rnn_relu_backward_lanes(const float *y, const float *dh, float *dz, long j, __mmask16 m) {
    v16 derivative = sel(gt(ld(m, y + j), k(0.0f)), k(1.0f), k(0.0f));
    st(m, dz + j, mul(ld(m, dh + j), derivative));
}

CK_TARGET void ck_rnn_tanh_backward_step(const float *output, const float *dH, float *dGates, long count) {
#define RNN_TANH_BWD(j, m) rnn_tanh_backward_lanes(output, dH, dGates, j, m)
    FOR_LANES(count, RNN_TANH_BWD);
#undef RNN_TANH_BWD
}

CK_TARGET void ck_rnn_relu_backward_step(const float *output, const float *dH, float *dGates, long count) {
#define RNN_RELU_BWD(j, m) rnn_relu_backward_lanes(output, dH, dGates, j, m)
    FOR_LANES(count, RNN_RELU_BWD);
#undef RNN_RELU_BWD
}


// MARK: Layer-normalized cells (layernorm_body.h, 16-lane reductions in one zmm)

#define VEC v16
#define LANES __mmask16
typedef v16 acc16;
CK_INLINE acc16 acc16_zero(void) { return _mm512_setzero_ps(); }
CK_INLINE acc16 acc16_load(const float *p) { return _mm512_loadu_ps(p); }
CK_INLINE acc16 acc16_set(float x) { return _mm512_set1_ps(x); }
CK_INLINE acc16 acc16_add(acc16 a, acc16 b) { return _mm512_add_ps(a, b); }
CK_INLINE acc16 acc16_sub(acc16 a, acc16 b) { return _mm512_sub_ps(a, b); }
CK_INLINE acc16 acc16_mul(acc16 a, acc16 b) { return _mm512_mul_ps(a, b); }
CK_INLINE void acc16_store(float *p, acc16 v) { _mm512_storeu_ps(p, v); }
/// LayerNorm.sum: 8 = low + high, 4 = low + high, 2 = low + high, then lane 0 + lane 1.
CK_INLINE float acc16_sum(acc16 v) {
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(s2) + _mm_cvtss_f32(_mm_shuffle_ps(s2, s2, 1));
}
#define LN_NAME(name) name
#include "layernorm_body.h"
#undef LN_NAME
#undef VEC
#undef LANES

#else  // not x86-64: ck_cpu_has_avx512() is 0 there, so `Kernels.available` never lists this set and
       // nothing calls these; each stops with a message rather than silently doing nothing.
#include "unreachable.h"

void ck_lstm_forward_step(float *gates, const float *biasHH, const float *cPrev, float *c,
                          float *tanhC, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)biasHH; (void)cPrev; (void)c; (void)tanhC; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_lstm_backward_step(const float *gates, const float *cPrev, const float *c, const float *dH,
                           float *dC, float *dGates, long batchSize, long hiddenSize) {
    (void)gates; (void)cPrev; (void)c; (void)dH; (void)dC; (void)dGates; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_gru_forward_step(float *gates, const float *hProj, const float *biasHH, const float *hPrev,
                         float *hn, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)hProj; (void)biasHH; (void)hPrev; (void)hn; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_gru_backward_step(const float *gates, const float *hn, const float *hPrev, const float *dH,
                          float *dGatesX, float *dGatesH, float *dHPrev, long batchSize, long hiddenSize) {
    (void)gates; (void)hn; (void)hPrev; (void)dH; (void)dGatesX; (void)dGatesH; (void)dHPrev;
    (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_rnn_tanh_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)biasHH; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_rnn_relu_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)biasHH; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_rnn_tanh_backward_step(const float *output, const float *dH, float *dGates, long count) {
    (void)output; (void)dH; (void)dGates; (void)count;
    ck_unreachable(__func__);
}
void ck_rnn_relu_backward_step(const float *output, const float *dH, float *dGates, long count) {
    (void)output; (void)dH; (void)dGates; (void)count;
    ck_unreachable(__func__);
}

void ck_ln_lstm_forward_step(float *gates, const float *cPrev, float *c, float *h, float *normalized,
                             float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize) {
    (void)gates; (void)cPrev; (void)c; (void)h; (void)normalized; (void)rstd; (void)gamma; (void)beta;
    (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_ln_lstm_backward_step(float *dGates, float *dC, float *sums, const float *dH, const float *gates,
                              const float *cPrev, const float *normalized, const float *rstd, const float *gamma,
                              const float *beta, float *dState, long batchSize, long hiddenSize) {
    (void)dGates; (void)dC; (void)sums; (void)dH; (void)gates; (void)cPrev; (void)normalized; (void)rstd;
    (void)gamma; (void)beta; (void)dState; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}

void ck_ln_gru_forward_step(float *gates, const float *hProj, const float *hPrev, float *h, float *normalized,
                             float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize) {
    (void)gates; (void)hProj; (void)hPrev; (void)h; (void)normalized; (void)rstd; (void)gamma; (void)beta;
    (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_ln_gru_backward_step(float *dGatesX, float *dGatesH, float *dHPrev, float *sums, const float *dH,
                              const float *gates, const float *hPrev, const float *normalized, const float *rstd,
                              const float *gamma, const float *beta, long batchSize, long hiddenSize) {
    (void)dGatesX; (void)dGatesH; (void)dHPrev; (void)sums; (void)dH; (void)gates; (void)hPrev; (void)normalized;
    (void)rstd; (void)gamma; (void)beta; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_ln_rnn_forward_step(float *gates, float *h, float *normalized, float *rstd, const float *gamma,
                             const float *beta, long batchSize, long hiddenSize, int relu) {
    (void)gates; (void)h; (void)normalized; (void)rstd; (void)gamma; (void)beta; (void)batchSize; (void)hiddenSize;
    (void)relu;
    ck_unreachable(__func__);
}
void ck_ln_rnn_backward_step(float *dGates, float *sums, const float *dH, const float *normalized,
                              const float *rstd, const float *gamma, long batchSize, long hiddenSize, int relu) {
    (void)dGates; (void)sums; (void)dH; (void)normalized; (void)rstd; (void)gamma; (void)batchSize; (void)hiddenSize;
    (void)relu;
    ck_unreachable(__func__);
}

#endif
