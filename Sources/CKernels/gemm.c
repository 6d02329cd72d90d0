// The packed small-M GEMM of ck_gemm.h.
//
// Why: the recurrence multiplies a few dozen rows (the batch rows of one
// thread, 25 at B = 50 on 2 threads; 1 when sampling) by the same weight
// matrix at every step. OpenBLAS's sgemm packs B on every call, which costs
// more than the product at this m; its small-matrix kernels read B in place
// with a long stride, ~60–125 GFLOP/s per core. Packed once per window into
// 32-column panels, B is read as sequential 128-byte rows, and a register
// block of up to 12 rows × 32 columns (24 zmm accumulators) does 24 FMAs per
// two B loads and 12 broadcasts of A.
//
// Shapes: A (m × k), row i at a + i·lda. B packed: panel q (columns
// 32q ..< 32q + 32) at packed + q·k·32, row p of it at + p·32. C (m × n).
//
// Blocking: the m rows are cut into ceil(m / 12) groups of even size (25 →
// 9, 8, 8). Small groups take several panels at once (1 row × 4 panels = 8
// accumulators) so that enough independent FMA chains are in flight. Panels
// are the outer loop, groups the inner one: a panel is read from L3 (or L2)
// once per call and then from L1/L2 by the other groups.
//
// Every C element is one FMA chain over p = 0 ..< k in order, started from C
// (beta = 1) or 0, whatever the group or the number of panels taken at once:
// results are bit-identical however the rows are split.

#include "ck_gemm.h"

#include <string.h>

// MARK: Packing (plain C, every architecture; nr = CK_GEMM_NR or CK_GEMM_AVX2_NR)

size_t ck_gemm_packed_count(long k, long n, long nr) {
    if (k <= 0 || n <= 0) return 0;
    return (size_t)((n + nr - 1) / nr) * (size_t)nr * (size_t)k;
}

void ck_gemm_pack(const float *b, long ldb, int transposed, long k, long n, long nr, float *packed) {
    long panels = (n + nr - 1) / nr;
    for (long q = 0; q < panels; q++) {
        float *dst = packed + q * k * nr;                    // (k, nr)
        long j0 = q * nr, w = n - j0 < nr ? n - j0 : nr;
        if (!transposed) {
            for (long p = 0; p < k; p++) {                   // B row p, columns j0 ..< j0 + w
                memcpy(dst + p * nr, b + p * ldb + j0, (size_t)w * sizeof(float));
                for (long j = w; j < nr; j++) dst[p * nr + j] = 0;
            }
        } else {
            for (long j = 0; j < w; j++) {                   // stored row j0 + j = B column j0 + j
                const float *src = b + (j0 + j) * ldb;
                for (long p = 0; p < k; p++) dst[p * nr + j] = src[p];
            }
            for (long p = 0; p < k; p++)
                for (long j = w; j < nr; j++) dst[p * nr + j] = 0;
        }
    }
}

// MARK: The AVX-512 product

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define NR CK_GEMM_NR
#define MR 12
#define TGT __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define INLINE static inline __attribute__((always_inline))

// Lanes of a 16-wide half with `w` valid columns (w may be ≤ 0 or ≥ 16).
INLINE __mmask16 lanes(long w) {
    return w >= 16 ? (__mmask16)0xFFFF : w <= 0 ? (__mmask16)0 : (__mmask16)((1u << w) - 1);
}

// C[0 ..< R, 0 ..< P·NR] (±) A[0 ..< R, :] · panels 0 ..< P, R and P compile-time
// constants after inlining. `cols`: valid columns of C from its first one.
// b: the first panel; ps: floats between panels (k · NR).
INLINE TGT void block(const int R, const int P, long k, const float *a, long lda,
                      const float *b, long ps, int beta, float *c, long ldc, long cols) {
    __m512 acc[MR][4][2];
    __mmask16 mk[4][2];
    for (int q = 0; q < P; q++) {
        mk[q][0] = lanes(cols - q * NR);
        mk[q][1] = lanes(cols - q * NR - 16);
    }
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                acc[i][q][h] = beta ? _mm512_maskz_loadu_ps(mk[q][h], c + i * ldc + q * NR + h * 16)
                                    : _mm512_setzero_ps();
    for (long p = 0; p < k; p++) {
        __m512 b0[4], b1[4];
        for (int q = 0; q < P; q++) {
            b0[q] = _mm512_load_ps(b + q * ps + p * NR);
            b1[q] = _mm512_load_ps(b + q * ps + p * NR + 16);
        }
        for (int i = 0; i < R; i++) {
            __m512 av = _mm512_set1_ps(a[i * lda + p]);
            for (int q = 0; q < P; q++) {
                acc[i][q][0] = _mm512_fmadd_ps(av, b0[q], acc[i][q][0]);
                acc[i][q][1] = _mm512_fmadd_ps(av, b1[q], acc[i][q][1]);
            }
        }
    }
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                _mm512_mask_storeu_ps(c + i * ldc + q * NR + h * 16, mk[q][h], acc[i][q][h]);
}

typedef void (*block_fn)(long k, const float *a, long lda, const float *b, long ps, int beta,
                         float *c, long ldc, long cols);

#define DEF(R, P)                                                                          \
    static TGT void block_##R##_##P(long k, const float *a, long lda, const float *b,      \
                                    long ps, int beta, float *c, long ldc, long cols) {    \
        block(R, P, k, a, lda, b, ps, beta, c, ldc, cols);                                 \
    }
DEF(1, 1) DEF(1, 2) DEF(1, 3) DEF(1, 4)
DEF(2, 1) DEF(2, 2) DEF(3, 1) DEF(3, 2) DEF(4, 1) DEF(4, 2) DEF(5, 1) DEF(5, 2)
DEF(6, 1) DEF(7, 1) DEF(8, 1) DEF(9, 1) DEF(10, 1) DEF(11, 1) DEF(12, 1)

// blocks[R][P]; the largest P per R keeps accumulators + B registers ≤ 29 zmm.
static const block_fn blocks[MR + 1][5] = {
    [1] = {0, block_1_1, block_1_2, block_1_3, block_1_4},
    [2] = {0, block_2_1, block_2_2}, [3] = {0, block_3_1, block_3_2},
    [4] = {0, block_4_1, block_4_2}, [5] = {0, block_5_1, block_5_2},
    [6] = {0, block_6_1}, [7] = {0, block_7_1}, [8] = {0, block_8_1}, [9] = {0, block_9_1},
    [10] = {0, block_10_1}, [11] = {0, block_11_1}, [12] = {0, block_12_1},
};
static int panels_at_once(long rows) { return rows == 1 ? 4 : rows <= 5 ? 2 : 1; }

TGT void ck_sgemm_packed(long m, long n, long k, const float *a, long lda,
                         const float *packed, int beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!beta) for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    long groups = (m + MR - 1) / MR, base = m / groups, extra = m % groups;
    long panels = (n + NR - 1) / NR, ps = k * NR;
    // Groups have base or base + 1 rows; all take the panels of the larger one at once.
    int chunk = panels_at_once(base + (extra > 0));
    for (long q0 = 0; q0 < panels; q0 += chunk) {
        int p = panels - q0 < chunk ? (int)(panels - q0) : chunk;
        long r0 = 0;
        for (long g = 0; g < groups; g++) {
            long rows = base + (g < extra);
            blocks[rows][p](k, a + r0 * lda, lda, packed + q0 * ps, ps, beta,
                            c + r0 * ldc + q0 * NR, ldc, n - q0 * NR);
            r0 += rows;
        }
    }
}

#else  // not x86-64: ck_cpu_has_avx512() is 0 there, so `Kernels.available` never lists this set and
       // nothing calls the product, which stops with a message rather than silently doing nothing.
       // The packing above is plain C and works everywhere.
#include "unreachable.h"

void ck_sgemm_packed(long m, long n, long k, const float *a, long lda,
                     const float *packed, int beta, float *c, long ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)beta; (void)c; (void)ldc;
    ck_unreachable(__func__);
}

#endif
