// The avx512 set's lane primitives: 16-lane AVX-512 F/DQ/BW/VL vectors, lane
// masks in k registers. Included by set_avx512.c before the kernel bodies,
// which are written once in terms of these names (see kernels_body.h):
//
//   VEC, LANES                 a vector of floats and a lane mask
//   WIDTH                      lanes per vector
//   VP(op)                     the set's intrinsic prefix: lanes_common.h writes k add sub mul
//                              dvd neg (no FMA: see activations_body.h) and the GEMM's loads once
//   sel lt gt                  mask ? a : b; ordered comparisons (false on NaN)
//   ld st                      loads and stores of the lanes in a mask (others read as 0, not written)
//   FOR_LANES(n, body)         body(j, lanes) over whole vectors, then the tail under a mask
//   vabs, pow2_from_bits       |x| (sign bit cleared); 2ⁿ from the bits of t = n + 1.5·2²³
//   acc16 …                    16 floats at a time for the layer-norm reductions (one zmm)
//   GEMM_*                     the packed product's register block (gemm_body.h)

#include <immintrin.h>
#include <stdint.h>

// The avx512bf16 set (isa_avx512bf16.h) is this file with its own target and row, defined first.
#ifndef CK_SET_NAME
#define CK_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define CK_SET_NAME "avx512"
#define CK_SET_INSTRUCTIONS "AVX-512"
#define CK_SET_SUPPORTED ck_cpu_has_avx512
#define CK_SET_ROW ck_set_avx512
#endif
#define CK_INLINE static inline __attribute__((always_inline)) CK_TARGET
#define CK_SET_VECTOR_BITS 512

typedef __m512 VEC;
typedef __mmask16 LANES;
#define VP(op) _mm512_##op   // the set's name of a lane-wise intrinsic (lanes_common.h)
#define WIDTH 16

/// mask ? a : b, lane by lane (Elementwise.select).
CK_INLINE VEC sel(__mmask16 mask, VEC a, VEC b) { return _mm512_mask_blend_ps(mask, b, a); }
/// Ordered comparisons, as Swift's .< and .>: false when either side is NaN.
CK_INLINE __mmask16 lt(VEC a, VEC b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
CK_INLINE __mmask16 gt(VEC a, VEC b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
CK_INLINE VEC ld(LANES m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
CK_INLINE void st(LANES m, float *p, VEC v) { _mm512_mask_storeu_ps(p, m, v); }
CK_INLINE LANES full_lanes(void) { return (__mmask16)0xFFFF; }
CK_INLINE LANES tail_lanes(long n) { return (__mmask16)((1u << n) - 1u); }  // 0 < n < 16

CK_INLINE VEC vabs(VEC x) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF)));
}
/// 2ⁿ from t's bits: t's pattern is 0x4B40_0000 + n; the exponent field takes n + 127 (wrapping integer ops).
CK_INLINE VEC pow2_from_bits(VEC t) {
    __m512i bits = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
    bits = _mm512_slli_epi32(_mm512_add_epi32(bits, _mm512_set1_epi32(127)), 23);
    return _mm512_castsi512_ps(bits);
}

// MARK: 16-float accumulators for the layer-norm reductions: one zmm

typedef VEC acc16;
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

// MARK: The packed product's register block (gemm_body.h)
//
// Panels of 32 columns (two zmm per panel row, 128 bytes); up to 12 rows × 32
// columns (24 zmm accumulators), 24 FMAs per two B loads and 12 broadcasts of A.
// The m rows are cut into ceil(m / 12) groups of even size (25 → 9, 8, 8).

#define GEMM_NR 32
#define GEMM_MR 12
/// The (rows, panels at once) blocks compiled; the largest P per R keeps accumulators + B registers ≤ 29 zmm.
#define GEMM_BLOCKS(X) X(1, 1) X(1, 2) X(1, 3) X(1, 4) \
    X(2, 1) X(2, 2) X(3, 1) X(3, 2) X(4, 1) X(4, 2) X(5, 1) X(5, 2) \
    X(6, 1) X(7, 1) X(8, 1) X(9, 1) X(10, 1) X(11, 1) X(12, 1)
static inline int gemm_panels_at_once(long rows) { return rows == 1 ? 4 : rows <= 5 ? 2 : 1; }
/// Lanes of a WIDTH-wide half of a panel with `w` valid columns (w may be ≤ 0 or ≥ 16).
CK_INLINE __mmask16 gemm_lanes(long w) {
    return w >= 16 ? (__mmask16)0xFFFF : w <= 0 ? (__mmask16)0 : (__mmask16)((1u << w) - 1);
}
#define GEMM_LANES __mmask16
CK_INLINE VEC gemm_load_c(LANES m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
CK_INLINE void gemm_store_c(LANES m, float *p, VEC v) { _mm512_mask_storeu_ps(p, m, v); }
/// C of a block: plain loads and stores when every lane of its panels is valid (`full`), else under the mask.
CK_INLINE VEC gemm_c_load(int full, LANES m, const float *p) { return full ? _mm512_loadu_ps(p) : gemm_load_c(m, p); }
CK_INLINE void gemm_c_store(int full, LANES m, float *p, VEC v) {
    if (full) _mm512_storeu_ps(p, v);
    else gemm_store_c(m, p, v);
}
CK_INLINE VEC gemm_broadcast(const float *p) { return _mm512_set1_ps(*p); }
/// A panel row of 32 bf16 (64 bytes, in ck_gemm_pack_bf16's unpack order) widened to floats: one load,
/// and each half one unpack against zero, which puts the bits in the upper half of each float (exact).
CK_INLINE void gemm_load_bf16_row(const uint16_t *p, VEC *lo, VEC *hi) {
    __m512i v = _mm512_loadu_si512((const void *)p), zero = _mm512_setzero_si512();
    *lo = _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, v));
    *hi = _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, v));
}

// MARK: bf16 pairs of training (pairs_body.h)
//
// A lane holds one pair: the even element's bf16 bits in the low half, the odd one's in the high
// half (ck_gemm.h). Rounding by integer operations, as gemm_pack.c's bf16_daz: the same bits.

typedef __m512i PAIRS;
CK_INLINE PAIRS pairs_zero(void) { return _mm512_setzero_si512(); }
/// ck_bf16_bits(x) of each lane, a subnormal result made zero of its sign (DAZ), in the low 16 bits.
CK_INLINE PAIRS pairs_round(VEC x) {
    __m512i u = _mm512_castps_si512(x);
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));      // NaN: kept quiet
    __mmask16 sub = _mm512_testn_epi32_mask(r, _mm512_set1_epi32(0x7F80));
    return _mm512_mask_and_epi32(r, sub, r, _mm512_set1_epi32(0x8000));
}
/// The pairs of two rows, lane by lane: even[l] | odd[l] << 16, `count` lanes read (the rest zero); odd may be NULL (zeros).
CK_INLINE PAIRS pairs_of_rows(const float *even, const float *odd, long count) {
    __mmask16 m = gemm_lanes(count);
    __m512i e = pairs_round(_mm512_maskz_loadu_ps(m, even));
    if (!odd) return e;
    return _mm512_or_si512(e, _mm512_slli_epi32(pairs_round(_mm512_maskz_loadu_ps(m, odd)), 16));
}
/// The WIDTH pairs of 2·WIDTH consecutive floats at p, `count` of them read (the rest zero).
CK_INLINE PAIRS pairs_of_run(const float *p, long count) {
    __m512i lo = pairs_round(_mm512_maskz_loadu_ps(gemm_lanes(count), p));
    __m512i hi = pairs_round(_mm512_maskz_loadu_ps(gemm_lanes(count - 16), p + 16));
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(lo)), _mm512_cvtepi32_epi16(hi), 1);
}
/// The first `count` lanes of v stored at p.
CK_INLINE void pairs_store(uint32_t *p, PAIRS v, long count) {
    if (count >= 16) _mm512_storeu_si512((void *)p, v);
    else _mm512_mask_storeu_epi32(p, gemm_lanes(count), v);
}
/// The last step of pairs_transpose (pairs_body.h): r[4g + c] holds, in 128-bit lane L, column 4L + c of
/// rows 4g ..< 4g + 4; the four lanes of each are shuffled to the rows they belong to.
CK_INLINE void pairs_across_lanes(PAIRS r[16]) {
    __m512i t[16];
    for (int c = 0; c < 4; c++) {
        __m512i u0 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x88), u1 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xDD);
        __m512i u2 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x88), u3 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xDD);
        t[c] = _mm512_shuffle_i32x4(u0, u2, 0x88);
        t[4 + c] = _mm512_shuffle_i32x4(u1, u3, 0x88);
        t[8 + c] = _mm512_shuffle_i32x4(u0, u2, 0xDD);
        t[12 + c] = _mm512_shuffle_i32x4(u1, u3, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

// MARK: The bf16 dot products' register block (dot_body.h)
//
// The same blocks as the packed product. Without AVX512_BF16 (this set) a
// pair is split into two floats (the odd element is the upper half as it
// stands, the even one shifted up) and multiplied by two FMAs under
// MXCSR.DAZ|FTZ: 2·R·P accumulators + 4·P B + 2 A registers ≤ 30 zmm. The
// avx512bf16 set (isa_avx512bf16.h) replaces these with VDPBF16PS.

#ifndef CK_NATIVE_BF16
#define DOT_NATIVE 0
#define DOT_MR GEMM_MR
#define DOT_BLOCKS GEMM_BLOCKS
static inline int dot_panels_at_once(long rows) { return gemm_panels_at_once(rows); }
typedef struct { VEC odd, even; } DOT_PAIR;
#define DOT_A DOT_PAIR
#define DOT_B DOT_PAIR
CK_INLINE DOT_PAIR dot_split(__m512i v) {
    DOT_PAIR r = {_mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xFFFF0000u))),
                  _mm512_castsi512_ps(_mm512_slli_epi32(v, 16))};
    return r;
}
CK_INLINE DOT_PAIR dot_broadcast_a(const uint32_t *p) { return dot_split(_mm512_set1_epi32((int)*p)); }
CK_INLINE DOT_PAIR dot_load_b(const uint32_t *p) { return dot_split(_mm512_loadu_si512((const void *)p)); }
CK_INLINE VEC dot_step(VEC acc, DOT_PAIR a, DOT_PAIR b) {
    return _mm512_fmadd_ps(a.even, b.even, _mm512_fmadd_ps(a.odd, b.odd, acc));
}
#endif

// MARK: The int8 dot products (i8dot_body.h)
//
// A quad row of B is 128 bytes (two zmm of 16 columns' quads). Without
// AVX512_VNNI (this set) i8dot_body.h emulates VPDPBUSD exactly with VPMADDWD
// (2·R·P accumulators + 4·P B + 2 A registers ≤ 30 zmm); the avx512bf16 set
// (isa_avx512bf16.h, whose CPUs all have AVX512_VNNI) runs VPDPBUSD itself.

typedef __m512i IVEC;
CK_INLINE IVEC ivec_load(const void *p) { return _mm512_loadu_si512(p); }
CK_INLINE IVEC ivec_and(IVEC a, IVEC b) { return _mm512_and_si512(a, b); }
CK_INLINE VEC vround_even(VEC x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/// q (integers in ±127) + 128 as the first `count` bytes at p.
CK_INLINE void i8_store_quantized(uint8_t *p, VEC q, long count) {
    __m128i bytes = _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(q), _mm512_set1_epi32(128)));
    if (count >= 16) _mm_storeu_si128((__m128i *)p, bytes);
    else _mm_mask_storeu_epi8(p, (__mmask16)((1u << count) - 1u), bytes);
}
#ifndef CK_NATIVE_VNNI
#define I8_NATIVE 0
#endif
