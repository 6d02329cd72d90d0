// The cells' fused gate kernels on 8-lane AVX2 vectors (ck_gates.h, `_avx2`).
//
// Why: most x86-64 CPUs people own have AVX2 but not AVX-512 (AMD Zen 1–4,
// Intel client chips), and there a portable Swift build runs Elementwise's
// SIMD16 exp / tanh / sigmoid as four SSE registers. One ymm register does
// the work of two xmm ones, and AVX2's integer ops build 2ⁿ in-register.
//
// Bit for bit, like gates.c: every function performs exactly the operations
// of its Swift twin (Elementwise.swift's Cephes exp, tanh, sigmoid; the cell
// kernels), in the same order, with the same constants, clamps and selects,
// so the same results and the same NaN behaviour. No FMA, although this set
// may use it (the GEMM does): an FMA rounds once where Swift rounds twice.
// `fp contract(off)` stops the compiler from fusing on its own. The tail of a
// row (H not a multiple of 8) runs the same vector code with
// _mm256_maskload_ps / _mm256_maskstore_ps (lanes outside the mask read as 0
// and are not written), so there is no scalar copy to keep in step.
// Tested against the Swift kernels bit for bit (RNNTests.GateKernelTests).
//
// Only called when ck_cpu_has_avx2_fma() said yes (`KernelSet.avx2`).

#pragma clang fp contract(off)

#include "ck_gates.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define CK_TARGET __attribute__((target("avx2,fma")))
#define CK_INLINE static inline __attribute__((always_inline)) CK_TARGET

typedef __m256 v8;

/// The lanes a kernel body works on: all 8 (`full`, a constant at each call
/// site, so plain unaligned loads and stores) or the first few (`mask`).
typedef struct { int full; __m256i mask; } lanes_t;

CK_INLINE v8 k(float x) { return _mm256_set1_ps(x); }
CK_INLINE v8 add(v8 a, v8 b) { return _mm256_add_ps(a, b); }
CK_INLINE v8 sub(v8 a, v8 b) { return _mm256_sub_ps(a, b); }
CK_INLINE v8 mul(v8 a, v8 b) { return _mm256_mul_ps(a, b); }
CK_INLINE v8 dvd(v8 a, v8 b) { return _mm256_div_ps(a, b); }
CK_INLINE v8 neg(v8 a) { return _mm256_xor_ps(a, k(-0.0f)); }  // Swift's prefix −: flips the sign bit only
/// mask ? a : b, lane by lane (Elementwise.select); a mask lane is all ones or all zeros.
CK_INLINE v8 sel(v8 mask, v8 a, v8 b) { return _mm256_blendv_ps(b, a, mask); }
/// Ordered comparisons, as Swift's .< and .>: false when either side is NaN.
CK_INLINE v8 lt(v8 a, v8 b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
CK_INLINE v8 gt(v8 a, v8 b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
CK_INLINE v8 ld(lanes_t m, const float *p) { return m.full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m.mask); }
CK_INLINE void st(lanes_t m, float *p, v8 v) {
    if (m.full) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, m.mask, v);
}
/// The first n lanes (0 < n < 8): lane l is all ones when l < n.
CK_INLINE lanes_t tail_lanes(long n) {
    lanes_t m = {0, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))};
    return m;
}
CK_INLINE lanes_t full_lanes(void) {
    lanes_t m = {1, _mm256_set1_epi32(-1)};
    return m;
}

// MARK: Activations (Elementwise.exp / sigmoid / tanh / relu, lane by lane)

/// eˣ: clamp to [−87, 88], 2ⁿ·eʳ with n = round(x·log₂e), eʳ a degree-6 polynomial.
CK_INLINE v8 ck_exp(v8 x) {
    v8 clamped = sel(lt(x, k(-87.0f)), k(-87.0f), x);  // NaN fails both tests and stays NaN
    clamped = sel(gt(x, k(88.0f)), k(88.0f), clamped);
    const v8 shifter = k(12582912.0f);                 // 1.5·2²³
    v8 t = add(mul(clamped, k(1.44269504f)), shifter);
    v8 n = sub(t, shifter);
    v8 r = sub(clamped, mul(n, k(0.693359375f)));
    r = add(r, mul(n, k(2.1219444e-4f)));
    v8 z = mul(r, r);
    v8 p = k(1.98756915e-4f);
    p = add(mul(p, r), k(1.39819995e-3f));
    p = add(mul(p, r), k(8.3334519e-3f));
    p = add(mul(p, r), k(4.16657959e-2f));
    p = add(mul(p, r), k(1.66666655e-1f));
    p = add(mul(p, r), k(5.00000012e-1f));
    p = add(add(mul(p, z), r), k(1.0f));
    // 2ⁿ from its bits: t's pattern is 0x4B40_0000 + n; the exponent field takes n + 127 (wrapping integer ops).
    __m256i bits = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
    bits = _mm256_slli_epi32(_mm256_add_epi32(bits, _mm256_set1_epi32(127)), 23);
    return mul(p, _mm256_castsi256_ps(bits));
}

/// σ(x) = 1 / (1 + e⁻ˣ).
CK_INLINE v8 ck_sigmoid(v8 x) { return dvd(k(1.0f), add(k(1.0f), ck_exp(neg(x)))); }

/// tanh x: odd polynomial for |x| < 0.625, (1 − e)/(1 + e) with e = e^(−2|x|) beyond, sign restored.
CK_INLINE v8 ck_tanh(v8 x) {
    v8 a = _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7FFFFFFF)));
    v8 e = ck_exp(mul(k(-2.0f), a));
    v8 large = dvd(sub(k(1.0f), e), add(k(1.0f), e));
    v8 z = mul(x, x);
    v8 p = k(-5.70498872e-3f);
    p = add(mul(p, z), k(2.06390888e-2f));
    p = sub(mul(p, z), k(5.37397155e-2f));
    p = add(mul(p, z), k(1.33314422e-1f));
    p = sub(mul(p, z), k(3.33332819e-1f));
    v8 small = add(x, mul(mul(x, z), p));
    v8 signedLarge = sel(lt(x, k(0.0f)), neg(large), large);
    return sel(lt(a, k(0.625f)), small, signedLarge);  // NaN: a < 0.625 is false, large is NaN
}

/// max(x, 0); NaN and −0 stay.
CK_INLINE v8 ck_relu(v8 x) { return sel(lt(x, k(0.0f)), k(0.0f), x); }

// Each kernel: a `*_lanes` body for 8 hidden units starting at j, called with
// full lanes for the whole vectors of a row and with a tail mask for the rest.
#define FOR_LANES(hs, body)                                        \
    do {                                                           \
        long j_ = 0;                                               \
        for (; j_ + 8 <= (hs); j_ += 8) body(j_, full_lanes());    \
        if (j_ < (hs)) body(j_, tail_lanes((hs) - j_));            \
    } while (0)

// MARK: LSTM (formulas: gates.c)

CK_INLINE void lstm_forward_lanes(float *z, const float *b, const float *cp, float *cn, float *tc, float *hn,
                                  long hs, long j, lanes_t m) {
    float *zI = z, *zF = z + hs, *zG = z + 2 * hs, *zO = z + 3 * hs;
    const float *bI = b, *bF = b + hs, *bG = b + 2 * hs, *bO = b + 3 * hs;
    v8 i = ck_sigmoid(add(ld(m, zI + j), ld(m, bI + j)));
    v8 f = ck_sigmoid(add(ld(m, zF + j), ld(m, bF + j)));
    v8 g = ck_tanh(add(ld(m, zG + j), ld(m, bG + j)));
    v8 o = ck_sigmoid(add(ld(m, zO + j), ld(m, bO + j)));
    st(m, zI + j, i); st(m, zF + j, f); st(m, zG + j, g); st(m, zO + j, o);
    v8 cj = add(mul(f, ld(m, cp + j)), mul(i, g));
    v8 t = ck_tanh(cj);
    st(m, cn + j, cj); st(m, tc + j, t); st(m, hn + j, mul(o, t));
}

CK_TARGET void ck_lstm_forward_step_avx2(float *gates, const float *biasHH, const float *cPrev, float *c,
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
                                   float *dz, long hs, long j, lanes_t m) {
    const v8 one = k(1.0f);
    v8 i = ld(m, z + j), f = ld(m, z + hs + j), g = ld(m, z + 2 * hs + j), o = ld(m, z + 3 * hs + j);
    v8 t = ck_tanh(ld(m, cn + j)), dhj = ld(m, dh + j);  // tanh c' recomputed, as the forward computed it
    v8 dcj = add(ld(m, dc + j), mul(mul(dhj, o), sub(one, mul(t, t))));
    st(m, dz + j, mul(mul(dcj, g), mul(i, sub(one, i))));
    st(m, dz + hs + j, mul(mul(dcj, ld(m, cp + j)), mul(f, sub(one, f))));
    st(m, dz + 2 * hs + j, mul(mul(dcj, i), sub(one, mul(g, g))));
    st(m, dz + 3 * hs + j, mul(mul(dhj, t), mul(o, sub(one, o))));
    st(m, dc + j, mul(dcj, f));
}

CK_TARGET void ck_lstm_backward_step_avx2(const float *gates, const float *cPrev, const float *c, const float *dH,
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

// MARK: GRU (formulas: gates.c)

CK_INLINE void gru_forward_lanes(float *x, const float *p, const float *b, const float *hp, float *hnRow, float *ho,
                                 long hs, long j, lanes_t m) {
    float *rG = x, *zG = x + hs, *nG = x + 2 * hs;
    const float *pR = p, *pZ = p + hs, *pN = p + 2 * hs;
    const float *bR = b, *bZ = b + hs, *bN = b + 2 * hs;
    v8 r = ck_sigmoid(add(ld(m, rG + j), add(ld(m, pR + j), ld(m, bR + j))));
    v8 z = ck_sigmoid(add(ld(m, zG + j), add(ld(m, pZ + j), ld(m, bZ + j))));
    v8 hnj = add(ld(m, pN + j), ld(m, bN + j));
    v8 n = ck_tanh(add(ld(m, nG + j), mul(r, hnj)));
    st(m, rG + j, r); st(m, zG + j, z); st(m, nG + j, n); st(m, hnRow + j, hnj);
    st(m, ho + j, add(n, mul(z, sub(ld(m, hp + j), n))));  // (1 − z)·n + z·h
}

CK_TARGET void ck_gru_forward_step_avx2(float *gates, const float *hProj, const float *biasHH, const float *hPrev,
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
                                  float *dx, float *dr, float *dp, long hs, long j, lanes_t m) {
    const v8 one = k(1.0f);
    v8 r = ld(m, x + j), z = ld(m, x + hs + j), n = ld(m, x + 2 * hs + j);
    v8 d = ld(m, dh + j);
    v8 dPreN = mul(mul(d, sub(one, z)), sub(one, mul(n, n)));
    v8 dPreR = mul(mul(dPreN, ld(m, hnRow + j)), mul(r, sub(one, r)));
    v8 dPreZ = mul(mul(d, sub(ld(m, hp + j), n)), mul(z, sub(one, z)));
    st(m, dx + j, dPreR); st(m, dr + j, dPreR);
    st(m, dx + hs + j, dPreZ); st(m, dr + hs + j, dPreZ);
    st(m, dx + 2 * hs + j, dPreN); st(m, dr + 2 * hs + j, mul(dPreN, r));
    st(m, dp + j, add(ld(m, dp + j), mul(d, z)));
}

CK_TARGET void ck_gru_backward_step_avx2(const float *gates, const float *hn, const float *hPrev, const float *dH,
                                         float *dGatesX, float *dGatesH, float *dHPrev, long batchSize,
                                         long hiddenSize) {
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

// MARK: Basic RNN (formulas: gates.c)

// `relu` is a constant at each call site below, so each exported function is
// compiled with its own activation inlined (no branch per vector).
CK_INLINE void rnn_forward_lanes(float *z, const float *b, float *out, long j, lanes_t m, int relu) {
    v8 pre = add(ld(m, z + j), ld(m, b + j));
    v8 y = relu ? ck_relu(pre) : ck_tanh(pre);
    st(m, z + j, y); st(m, out + j, y);
}

CK_INLINE void rnn_forward_rows(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize,
                                int relu) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *z = gates + row * hs, *out = h + row * hs;
#define RNN_FWD(j, m) rnn_forward_lanes(z, biasHH, out, j, m, relu)
        FOR_LANES(hs, RNN_FWD);
#undef RNN_FWD
    }
}

CK_TARGET void ck_rnn_tanh_forward_step_avx2(float *gates, const float *biasHH, float *h, long batchSize,
                                             long hiddenSize) {
    rnn_forward_rows(gates, biasHH, h, batchSize, hiddenSize, 0);
}

CK_TARGET void ck_rnn_relu_forward_step_avx2(float *gates, const float *biasHH, float *h, long batchSize,
                                             long hiddenSize) {
    rnn_forward_rows(gates, biasHH, h, batchSize, hiddenSize, 1);
}

CK_INLINE void rnn_tanh_backward_lanes(const float *y, const float *dh, float *dz, long j, lanes_t m) {
    v8 yj = ld(m, y + j);
    st(m, dz + j, mul(ld(m, dh + j), sub(k(1.0f), mul(yj, yj))));
}

CK_INLINE void rnn_relu_backward_lanes(const float *y, const float *dh, float *dz, long j, lanes_t m) {
    v8 derivative = sel(gt(ld(m, y + j), k(0.0f)), k(1.0f), k(0.0f));
    st(m, dz + j, mul(ld(m, dh + j), derivative));
}

CK_TARGET void ck_rnn_tanh_backward_step_avx2(const float *output, const float *dH, float *dGates, long count) {
#define RNN_TANH_BWD(j, m) rnn_tanh_backward_lanes(output, dH, dGates, j, m)
    FOR_LANES(count, RNN_TANH_BWD);
#undef RNN_TANH_BWD
}

CK_TARGET void ck_rnn_relu_backward_step_avx2(const float *output, const float *dH, float *dGates, long count) {
#define RNN_RELU_BWD(j, m) rnn_relu_backward_lanes(output, dH, dGates, j, m)
    FOR_LANES(count, RNN_RELU_BWD);
#undef RNN_RELU_BWD
}


// MARK: Layer-normalized cells (layernorm_body.h, 16-lane reductions in two ymm)

#define VEC v8
#define LANES lanes_t
typedef struct { v8 lo, hi; } acc16;
CK_INLINE acc16 acc16_zero(void) { acc16 r = {_mm256_setzero_ps(), _mm256_setzero_ps()}; return r; }
CK_INLINE acc16 acc16_load(const float *p) { acc16 r = {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; return r; }
CK_INLINE acc16 acc16_set(float x) { acc16 r = {_mm256_set1_ps(x), _mm256_set1_ps(x)}; return r; }
CK_INLINE acc16 acc16_add(acc16 a, acc16 b) { acc16 r = {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; return r; }
CK_INLINE acc16 acc16_sub(acc16 a, acc16 b) { acc16 r = {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; return r; }
CK_INLINE acc16 acc16_mul(acc16 a, acc16 b) { acc16 r = {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)}; return r; }
CK_INLINE void acc16_store(float *p, acc16 v) { _mm256_storeu_ps(p, v.lo); _mm256_storeu_ps(p + 8, v.hi); }
/// LayerNorm.sum: 8 = low + high, 4 = low + high, 2 = low + high, then lane 0 + lane 1.
CK_INLINE float acc16_sum(acc16 v) {
    __m256 s8 = _mm256_add_ps(v.lo, v.hi);
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(s2) + _mm_cvtss_f32(_mm_shuffle_ps(s2, s2, 1));
}
#define LN_NAME(name) name##_avx2
#include "layernorm_body.h"
#undef LN_NAME
#undef VEC
#undef LANES

#else  // not x86-64: ck_cpu_has_avx2_fma() is 0 there, so `Kernels.available` never lists this set and
       // nothing calls these; each stops with a message rather than silently doing nothing.
#include "unreachable.h"

void ck_lstm_forward_step_avx2(float *gates, const float *biasHH, const float *cPrev, float *c,
                               float *tanhC, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)biasHH; (void)cPrev; (void)c; (void)tanhC; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_lstm_backward_step_avx2(const float *gates, const float *cPrev, const float *c, const float *dH,
                                float *dC, float *dGates, long batchSize, long hiddenSize) {
    (void)gates; (void)cPrev; (void)c; (void)dH; (void)dC; (void)dGates; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_gru_forward_step_avx2(float *gates, const float *hProj, const float *biasHH, const float *hPrev,
                              float *hn, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)hProj; (void)biasHH; (void)hPrev; (void)hn; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_gru_backward_step_avx2(const float *gates, const float *hn, const float *hPrev, const float *dH,
                               float *dGatesX, float *dGatesH, float *dHPrev, long batchSize, long hiddenSize) {
    (void)gates; (void)hn; (void)hPrev; (void)dH; (void)dGatesX; (void)dGatesH; (void)dHPrev;
    (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_rnn_tanh_forward_step_avx2(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)biasHH; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_rnn_relu_forward_step_avx2(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    (void)gates; (void)biasHH; (void)h; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_rnn_tanh_backward_step_avx2(const float *output, const float *dH, float *dGates, long count) {
    (void)output; (void)dH; (void)dGates; (void)count;
    ck_unreachable(__func__);
}
void ck_rnn_relu_backward_step_avx2(const float *output, const float *dH, float *dGates, long count) {
    (void)output; (void)dH; (void)dGates; (void)count;
    ck_unreachable(__func__);
}

void ck_ln_lstm_forward_step_avx2(float *gates, const float *cPrev, float *c, float *h, float *normalized,
                             float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize) {
    (void)gates; (void)cPrev; (void)c; (void)h; (void)normalized; (void)rstd; (void)gamma; (void)beta;
    (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_ln_lstm_backward_step_avx2(float *dGates, float *dC, float *sums, const float *dH, const float *gates,
                              const float *cPrev, const float *normalized, const float *rstd, const float *gamma,
                              const float *beta, float *dState, long batchSize, long hiddenSize) {
    (void)dGates; (void)dC; (void)sums; (void)dH; (void)gates; (void)cPrev; (void)normalized; (void)rstd;
    (void)gamma; (void)beta; (void)dState; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}

void ck_ln_gru_forward_step_avx2(float *gates, const float *hProj, const float *hPrev, float *h, float *normalized,
                             float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize) {
    (void)gates; (void)hProj; (void)hPrev; (void)h; (void)normalized; (void)rstd; (void)gamma; (void)beta;
    (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_ln_gru_backward_step_avx2(float *dGatesX, float *dGatesH, float *dHPrev, float *sums, const float *dH,
                              const float *gates, const float *hPrev, const float *normalized, const float *rstd,
                              const float *gamma, const float *beta, long batchSize, long hiddenSize) {
    (void)dGatesX; (void)dGatesH; (void)dHPrev; (void)sums; (void)dH; (void)gates; (void)hPrev; (void)normalized;
    (void)rstd; (void)gamma; (void)beta; (void)batchSize; (void)hiddenSize;
    ck_unreachable(__func__);
}
void ck_ln_rnn_forward_step_avx2(float *gates, float *h, float *normalized, float *rstd, const float *gamma,
                             const float *beta, long batchSize, long hiddenSize, int relu) {
    (void)gates; (void)h; (void)normalized; (void)rstd; (void)gamma; (void)beta; (void)batchSize; (void)hiddenSize;
    (void)relu;
    ck_unreachable(__func__);
}
void ck_ln_rnn_backward_step_avx2(float *dGates, float *sums, const float *dH, const float *normalized,
                              const float *rstd, const float *gamma, long batchSize, long hiddenSize, int relu) {
    (void)dGates; (void)sums; (void)dH; (void)normalized; (void)rstd; (void)gamma; (void)batchSize; (void)hiddenSize;
    (void)relu;
    ck_unreachable(__func__);
}

#endif
