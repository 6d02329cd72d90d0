// The packed small-M GEMM of ck_gemm.h on AVX2 + FMA (ck_sgemm_packed_avx2).
//
// Why: the same as gemm.c (OpenBLAS repacks B at every per-step call; on an
// AVX2 CPU its `sgemm_itcopy` was 37% of batch-1 sampling), for the CPUs
// without AVX-512. Sixteen ymm registers instead of 32 zmm: B is packed once
// per window into 16-column panels (two ymm per panel row, 64 bytes, one
// cache line), and a register block of up to 6 rows × 16 columns keeps 12
// accumulators, 2 B vectors and 1 broadcast of A in the 16 registers.
//
// Shapes: A (m × k), row i at a + i·lda. B packed: panel q (columns
// 16q ..< 16q + 16) at packed + q·k·16, row p of it at + p·16. C (m × n).
//
// Blocking: the m rows are cut into ceil(m / 6) groups of even size (25 →
// 5, 5, 5, 5, 5). Small groups take several panels at once (1 row × 4 panels
// = 8 accumulators, 2 rows × 3, 3 rows × 2) so that at least 8 independent
// FMA chains are in flight (FMA latency 4 × 2 ports). Panels are the outer
// loop, groups the inner one, as in gemm.c.
//
// Rounding: every C element is one FMA chain over p = 0 ..< k in order,
// started from C (beta = 1) or 0, exactly as in gemm.c, so this kernel gives
// the AVX-512 one's results bit for bit, and the same results however the
// rows are split. Against the portable product (no FMA, another order) it
// agrees within rounding only: TensorTests.PackedGEMMTests checks every set
// against the product computed in Double, within (k + 2)·2⁻²³·(Σ_p |a||b| + |c|)
// per element (the worst case of k roundings of 2⁻²⁴ each, with a margin of 2).
//
// Only called when ck_cpu_has_avx2_fma() said yes (`KernelSet.avx2`).

#include "ck_gemm.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <string.h>

#define NR CK_GEMM_AVX2_NR
#define MR 6
#define TGT __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

// Lane mask of an 8-wide half with `w` valid columns (w may be ≤ 0 or ≥ 8):
// lane l all ones when l < w. Masked-off lanes are neither read (they load
// as 0, and never fault) nor written.
INLINE TGT __m256i lanes(long w) {
    int v = w >= 8 ? 8 : w <= 0 ? 0 : (int)w;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(v), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// C[0 ..< R, 0 ..< P·NR] (±) A[0 ..< R, :] · panels 0 ..< P, R and P compile-time
// constants after inlining. `cols`: valid columns of C from its first one.
// b: the first panel; ps: floats between panels (k · NR).
INLINE TGT void block(const int R, const int P, long k, const float *a, long lda,
                      const float *b, long ps, int beta, float *c, long ldc, long cols) {
    __m256 acc[MR][4][2];
    __m256i mk[4][2];
    for (int q = 0; q < P; q++) {
        mk[q][0] = lanes(cols - q * NR);
        mk[q][1] = lanes(cols - q * NR - 8);
    }
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                acc[i][q][h] = beta ? _mm256_maskload_ps(c + i * ldc + q * NR + h * 8, mk[q][h])
                                    : _mm256_setzero_ps();
    for (long p = 0; p < k; p++) {
        __m256 b0[4], b1[4];
        for (int q = 0; q < P; q++) {
            b0[q] = _mm256_load_ps(b + q * ps + p * NR);
            b1[q] = _mm256_load_ps(b + q * ps + p * NR + 8);
        }
        for (int i = 0; i < R; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * lda + p);
            for (int q = 0; q < P; q++) {
                acc[i][q][0] = _mm256_fmadd_ps(av, b0[q], acc[i][q][0]);
                acc[i][q][1] = _mm256_fmadd_ps(av, b1[q], acc[i][q][1]);
            }
        }
    }
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                _mm256_maskstore_ps(c + i * ldc + q * NR + h * 8, mk[q][h], acc[i][q][h]);
}

typedef void (*block_fn)(long k, const float *a, long lda, const float *b, long ps, int beta,
                         float *c, long ldc, long cols);

#define DEF(R, P)                                                                          \
    static TGT void block_##R##_##P(long k, const float *a, long lda, const float *b,      \
                                    long ps, int beta, float *c, long ldc, long cols) {    \
        block(R, P, k, a, lda, b, ps, beta, c, ldc, cols);                                 \
    }
DEF(1, 1) DEF(1, 2) DEF(1, 3) DEF(1, 4)
DEF(2, 1) DEF(2, 2) DEF(2, 3) DEF(3, 1) DEF(3, 2)
DEF(4, 1) DEF(5, 1) DEF(6, 1)

// blocks[R][P]; the largest P per R keeps the accumulators (2·R·P) ≤ 12 ymm.
static const block_fn blocks[MR + 1][5] = {
    [1] = {0, block_1_1, block_1_2, block_1_3, block_1_4},
    [2] = {0, block_2_1, block_2_2, block_2_3}, [3] = {0, block_3_1, block_3_2},
    [4] = {0, block_4_1}, [5] = {0, block_5_1}, [6] = {0, block_6_1},
};
static int panels_at_once(long rows) { return rows == 1 ? 4 : rows == 2 ? 3 : rows == 3 ? 2 : 1; }

TGT void ck_sgemm_packed_avx2(long m, long n, long k, const float *a, long lda,
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

#else  // not x86-64: ck_cpu_has_avx2_fma() is 0 there, so `Kernels.available` never lists this set and
       // nothing calls the product, which stops with a message rather than silently doing nothing.
#include "unreachable.h"

void ck_sgemm_packed_avx2(long m, long n, long k, const float *a, long lda,
                          const float *packed, int beta, float *c, long ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)beta; (void)c; (void)ldc;
    ck_unreachable(__func__);
}

#endif
