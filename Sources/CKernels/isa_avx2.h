// The avx2 set's lane primitives: 8-lane AVX2 vectors with FMA (most x86-64
// CPUs since 2013–2015: AMD Zen 1–4 without AVX-512, Intel client chips).
// The same names as isa_avx512.h, which lists them. Masks are vectors of all
// ones or all zeros per lane; a tail is loaded and stored with
// _mm256_maskload_ps / _mm256_maskstore_ps (lanes outside read as 0, not written).

#include <immintrin.h>
#include <stdint.h>

#define CK_TARGET __attribute__((target("avx2,fma")))
#define CK_INLINE static inline __attribute__((always_inline)) CK_TARGET
#define CK_SET_NAME "avx2"
#define CK_SET_INSTRUCTIONS "AVX2 and FMA"
#define CK_SET_VECTOR_BITS 256
#define CK_SET_SUPPORTED ck_cpu_has_avx2_fma
#define CK_SET_ROW ck_set_avx2

typedef __m256 VEC;
/// The lanes a kernel body works on: all 8 (`full`, a constant at each call
/// site, so plain unaligned loads and stores) or the first few (`mask`).
typedef struct { int full; __m256i mask; } LANES;
#define VP(op) _mm256_##op   // the set's name of a lane-wise intrinsic (lanes_common.h)
#define WIDTH 8

/// mask ? a : b, lane by lane (Elementwise.select); a mask lane is all ones or all zeros.
CK_INLINE VEC sel(VEC mask, VEC a, VEC b) { return _mm256_blendv_ps(b, a, mask); }
/// Ordered comparisons, as Swift's .< and .>: false when either side is NaN.
CK_INLINE VEC lt(VEC a, VEC b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
CK_INLINE VEC gt(VEC a, VEC b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
CK_INLINE VEC ld(LANES m, const float *p) { return m.full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m.mask); }
CK_INLINE void st(LANES m, float *p, VEC v) {
    if (m.full) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, m.mask, v);
}
CK_INLINE LANES full_lanes(void) {
    LANES m = {1, _mm256_set1_epi32(-1)};
    return m;
}
/// The first n lanes (0 < n < 8): lane l is all ones when l < n.
CK_INLINE LANES tail_lanes(long n) {
    LANES m = {0, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))};
    return m;
}

CK_INLINE VEC vabs(VEC x) {
    return _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7FFFFFFF)));
}
/// 2ⁿ from t's bits: t's pattern is 0x4B40_0000 + n; the exponent field takes n + 127 (wrapping integer ops).
CK_INLINE VEC pow2_from_bits(VEC t) {
    __m256i bits = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
    bits = _mm256_slli_epi32(_mm256_add_epi32(bits, _mm256_set1_epi32(127)), 23);
    return _mm256_castsi256_ps(bits);
}

// MARK: 16-float accumulators for the layer-norm reductions: two ymm

typedef struct { VEC lo, hi; } acc16;
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

// MARK: The packed product's register block (gemm_body.h)
//
// Sixteen ymm registers instead of 32 zmm: panels of 16 columns (two ymm per
// panel row, 64 bytes, one cache line), and a register block of up to 6 rows
// × 16 columns keeps 12 accumulators, 2 B vectors and 1 broadcast of A in the
// 16 registers. The m rows are cut into ceil(m / 6) groups (25 → 5, 5, 5, 5, 5);
// small groups take several panels at once so that at least 8 independent FMA
// chains are in flight (FMA latency 4 × 2 ports).

#define GEMM_NR 16
#define GEMM_MR 6
/// The (rows, panels at once) blocks compiled; the largest P per R keeps the accumulators (2·R·P) ≤ 12 ymm.
#define GEMM_BLOCKS(X) X(1, 1) X(1, 2) X(1, 3) X(1, 4) \
    X(2, 1) X(2, 2) X(2, 3) X(3, 1) X(3, 2) \
    X(4, 1) X(5, 1) X(6, 1)
static inline int gemm_panels_at_once(long rows) { return rows == 1 ? 4 : rows == 2 ? 3 : rows == 3 ? 2 : 1; }
/// Lane mask of an 8-wide half of a panel with `w` valid columns (w may be ≤ 0 or ≥ 8).
CK_INLINE __m256i gemm_lanes(long w) {
    int v = w >= 8 ? 8 : w <= 0 ? 0 : (int)w;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(v), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define GEMM_LANES __m256i
CK_INLINE VEC gemm_load_c(__m256i m, const float *p) { return _mm256_maskload_ps(p, m); }
CK_INLINE void gemm_store_c(__m256i m, float *p, VEC v) { _mm256_maskstore_ps(p, m, v); }
/// C of a block: plain loads and stores when every lane of its panels is valid (`full`), else under the
/// mask (a masked store is microcoded on AMD: 12 of them a 6-row block were 15% of its time on a Zen 3
/// at k = 128).
CK_INLINE VEC gemm_c_load(int full, __m256i m, const float *p) { return full ? _mm256_loadu_ps(p) : gemm_load_c(m, p); }
CK_INLINE void gemm_c_store(int full, __m256i m, float *p, VEC v) {
    if (full) _mm256_storeu_ps(p, v);
    else gemm_store_c(m, p, v);
}
CK_INLINE VEC gemm_broadcast(const float *p) { return _mm256_broadcast_ss(p); }
/// A panel row of 16 bf16 (32 bytes, in ck_gemm_pack_bf16's unpack order) widened to floats: one load,
/// and each half one unpack against zero, which puts the bits in the upper half of each float (exact).
CK_INLINE void gemm_load_bf16_row(const uint16_t *p, VEC *lo, VEC *hi) {
    __m256i v = _mm256_loadu_si256((const __m256i *)p), zero = _mm256_setzero_si256();
    *lo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, v));
    *hi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, v));
}

// MARK: bf16 pairs of training (pairs_body.h)
//
// A lane holds one pair: the even element's bf16 bits in the low half, the odd one's in the high
// half (ck_gemm.h). Rounding by integer operations, as gemm_pack.c's bf16_daz: the same bits.

typedef __m256i PAIRS;
CK_INLINE PAIRS pairs_zero(void) { return _mm256_setzero_si256(); }
/// ck_bf16_bits(x) of each lane, a subnormal result made zero of its sign (DAZ), in the low 16 bits.
CK_INLINE PAIRS pairs_round(VEC x) {
    __m256i u = _mm256_castps_si256(x);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF))), 16);
    r = _mm256_blendv_epi8(r, _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40)), nan);   // NaN: kept quiet
    __m256i sub = _mm256_cmpeq_epi32(_mm256_and_si256(r, _mm256_set1_epi32(0x7F80)), _mm256_setzero_si256());
    return _mm256_blendv_epi8(r, _mm256_and_si256(r, _mm256_set1_epi32(0x8000)), sub);
}
CK_INLINE VEC pairs_load(const float *p, long count) {
    return count >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, gemm_lanes(count));
}
/// The pairs of two rows, lane by lane: even[l] | odd[l] << 16, `count` lanes read (the rest zero); odd may be NULL (zeros).
CK_INLINE PAIRS pairs_of_rows(const float *even, const float *odd, long count) {
    __m256i e = pairs_round(pairs_load(even, count));
    if (!odd) return e;
    return _mm256_or_si256(e, _mm256_slli_epi32(pairs_round(pairs_load(odd, count)), 16));
}
/// The WIDTH pairs of 2·WIDTH consecutive floats at p, `count` of them read (the rest zero).
CK_INLINE PAIRS pairs_of_run(const float *p, long count) {
    __m256i lo = pairs_round(pairs_load(p, count)), hi = pairs_round(count > 8 ? pairs_load(p + 8, count - 8) : _mm256_setzero_ps());
    return _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8);   // packus works in 128-bit halves
}
/// The first `count` lanes of v stored at p (a masked store is microcoded on AMD: lane by lane instead).
CK_INLINE void pairs_store(uint32_t *p, PAIRS v, long count) {
    if (count >= 8) { _mm256_storeu_si256((__m256i *)p, v); return; }
    uint32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, v);
    for (long i = 0; i < count; i++) p[i] = lanes[i];
}
/// The last step of pairs_transpose (pairs_body.h): r[4g + c] holds, in 128-bit lane L, column 4L + c of
/// rows 4g ..< 4g + 4; row j of the result is 128-bit lane j / 4 of r[j mod 4], then of r[4 + j mod 4].
CK_INLINE void pairs_across_lanes(PAIRS r[8]) {
    __m256i t[8];
    for (int c = 0; c < 4; c++) {
        t[c] = _mm256_permute2x128_si256(r[c], r[4 + c], 0x20);
        t[4 + c] = _mm256_permute2x128_si256(r[c], r[4 + c], 0x31);
    }
    for (int i = 0; i < 8; i++) r[i] = t[i];
}

// MARK: The bf16 dot products' register block (dot_body.h), emulated
//
// No VDPBF16PS: a pair is split into two floats (the odd element is the upper
// half as it stands, the even one shifted up), multiplied by two FMAs that run
// under MXCSR.DAZ|FTZ. Each row of B pairs takes four ymm once split, so the
// block is at most 4 rows × 16 columns (8 accumulators, 4 B, 2 A registers).

#define DOT_NATIVE 0
#define DOT_MR 4
#define DOT_BLOCKS(X) X(1, 1) X(1, 2) X(2, 1) X(3, 1) X(4, 1)
static inline int dot_panels_at_once(long rows) { return rows == 1 ? 2 : 1; }
typedef struct { VEC odd, even; } DOT_PAIR;
#define DOT_A DOT_PAIR
#define DOT_B DOT_PAIR
CK_INLINE DOT_PAIR dot_split(__m256i v) {
    DOT_PAIR r = {_mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u))),
                  _mm256_castsi256_ps(_mm256_slli_epi32(v, 16))};
    return r;
}
CK_INLINE DOT_PAIR dot_broadcast_a(const uint32_t *p) { return dot_split(_mm256_set1_epi32((int)*p)); }
CK_INLINE DOT_PAIR dot_load_b(const uint32_t *p) { return dot_split(_mm256_loadu_si256((const __m256i *)p)); }
CK_INLINE VEC dot_step(VEC acc, DOT_PAIR a, DOT_PAIR b) {
    return _mm256_fmadd_ps(a.even, b.even, _mm256_fmadd_ps(a.odd, b.odd, acc));
}

// MARK: The int8 dot products (i8dot_body.h), emulated
//
// No VPDPBUSD: i8dot_body.h emulates it exactly with VPMADDWD, in the dot
// products' blocks (at most 4 rows × 16 columns: 8 accumulators, 4 B, 2 A).

typedef __m256i IVEC;
#define I8_NATIVE 0
CK_INLINE IVEC ivec_load(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
CK_INLINE IVEC ivec_and(IVEC a, IVEC b) { return _mm256_and_si256(a, b); }
CK_INLINE VEC vround_even(VEC x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/// q (integers in ±127) + 128 as the first `count` bytes at p.
CK_INLINE void i8_store_quantized(uint8_t *p, VEC q, long count) {
    int32_t v[8];
    _mm256_storeu_si256((__m256i *)v, _mm256_add_epi32(_mm256_cvtps_epi32(q), _mm256_set1_epi32(128)));
    for (long l = 0; l < count && l < 8; l++) p[l] = (uint8_t)v[l];
}
