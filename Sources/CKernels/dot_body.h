// The bf16 dot-product GEMM (include/ck_gemm.h, "bf16 dot products"), written
// once for every fast set: the products of training in bf16. Each set's
// compile unit includes it after its lane primitives (isa_*.h):
//
//   DOT_A, DOT_B          an A pair broadcast to every lane, a row of B pairs, as the set keeps them
//   dot_broadcast_a(p)    the pair at p in every lane
//   dot_load_b(p)         WIDTH pairs from p
//   dot_step(acc, a, b)   acc + a.odd·b.odd, then + a.even·b.even (ck_gemm.h's two steps)
//   DOT_NATIVE            1 when dot_step is VDPBF16PS itself (which applies DAZ and FTZ);
//                         0 when it is two FMAs, run here under MXCSR.DAZ|FTZ
//   DOT_MR, DOT_BLOCKS, dot_panels_at_once   the register block, as GEMM_* (gemm_body.h)
//
// Shapes: A (m × kh pairs), row i at a + i·lda. B: panel q (columns NR·q ..<
// NR·q + NR) at packed + q·kh·NR, pair row p of it at + p·NR. C (m × n).
// Every C element is one chain over the pairs in order, started from C
// (beta = 1) or 0, whatever the grouping: the same bits however rows and
// columns are split across threads, and in every set.

CK_INLINE void dot_block(const int R, const int P, long kh, const uint32_t *a, long lda, const uint32_t *b, long ps,
                         int beta, float *c, long ldc, long cols) {
    VEC acc[DOT_MR][4][2];
    GEMM_LANES mk[4][2];
    for (int q = 0; q < P; q++) {
        mk[q][0] = gemm_lanes(cols - q * GEMM_NR);
        mk[q][1] = gemm_lanes(cols - q * GEMM_NR - GEMM_NR / 2);
    }
    const int full = cols >= P * GEMM_NR;   // every column of the P panels valid: C without masks (gemm_body.h)
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                acc[i][q][h] = beta ? gemm_c_load(full, mk[q][h], c + i * ldc + q * GEMM_NR + h * (GEMM_NR / 2)) : gemm_zero();
    for (long p = 0; p < kh; p++) {
        DOT_B b0[4], b1[4];
        for (int q = 0; q < P; q++) {
            b0[q] = dot_load_b(b + q * ps + p * GEMM_NR);
            b1[q] = dot_load_b(b + q * ps + p * GEMM_NR + GEMM_NR / 2);
        }
        for (int i = 0; i < R; i++) {
            DOT_A av = dot_broadcast_a(a + i * lda + p);
            for (int q = 0; q < P; q++) {
                acc[i][q][0] = dot_step(acc[i][q][0], av, b0[q]);
                acc[i][q][1] = dot_step(acc[i][q][1], av, b1[q]);
            }
        }
    }
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                gemm_c_store(full, mk[q][h], c + i * ldc + q * GEMM_NR + h * (GEMM_NR / 2), acc[i][q][h]);
}

#define DOT_DEFINE_BLOCK(R, P)                                                                                   \
    static CK_TARGET void dot_block_##R##_##P(long kh, const uint32_t *a, long lda, const uint32_t *b, long ps, \
                                              int beta, float *c, long ldc, long cols) {                       \
        dot_block(R, P, kh, a, lda, b, ps, beta, c, ldc, cols);                                                 \
    }
DOT_BLOCKS(DOT_DEFINE_BLOCK)
#undef DOT_DEFINE_BLOCK

#define DOT_BLOCK_ENTRY(R, P) [R][P] = dot_block_##R##_##P,
static void (*const dot_blocks[DOT_MR + 1][5])(long, const uint32_t *, long, const uint32_t *, long, int, float *, long,
                                               long) = { DOT_BLOCKS(DOT_BLOCK_ENTRY) };
#undef DOT_BLOCK_ENTRY

// noinline: the MXCSR change below brackets a call the compiler cannot look into, so no
// arithmetic of the product moves across it.
static CK_TARGET __attribute__((noinline)) void dot_packed(long m, long n, long kh, const uint32_t *a, long lda,
                                                           const uint32_t *packed, int beta, float *c, long ldc) {
    long ps = kh * GEMM_NR;
    CK_FOR_EACH_BLOCK(m, n, DOT_MR, dot_panels_at_once,
                      dot_blocks[rows][p](kh, a + r0 * lda, lda, packed + q0 * ps, ps, beta, c + r0 * ldc + q0 * GEMM_NR, ldc,
                                          n - q0 * GEMM_NR));
}

/// The row's bf16_dot_packed (ck_kernels.h).
static CK_TARGET void bf16_dot_packed(long m, long n, long kh, const uint32_t *a, long lda, const uint32_t *packed,
                                      int beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (kh <= 0) {
        if (!beta) for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
#if DOT_NATIVE
    dot_packed(m, n, kh, a, lda, packed, beta, c, ldc);
#else
    // FTZ (bit 15) and DAZ (bit 6), round to nearest (bits 13–14 clear): VDPBF16PS's rules for the two FMAs.
    unsigned saved = _mm_getcsr();
    _mm_setcsr((saved & ~0x6000u) | 0x8040u);
    dot_packed(m, n, kh, a, lda, packed, beta, c, ldc);
    _mm_setcsr(saved);
#endif
}
