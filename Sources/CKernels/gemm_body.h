// The packed small-M GEMM (include/ck_gemm.h), written once for every fast
// set: each set's compile unit includes it after its lane primitives, which
// fix the register block (isa_*.h: GEMM_NR columns per panel, GEMM_MR rows at
// most per group, the blocks compiled, how many panels a group takes at once).
//
// Why: the recurrence multiplies a few dozen rows (the batch rows of one
// thread, 25 at B = 50 on 2 threads; 1 when sampling) by the same weight
// matrix at every step. OpenBLAS's sgemm packs B on every call, which costs
// more than the product at this m (on an AVX2 CPU its `sgemm_itcopy` was 37%
// of batch-1 sampling); its small-matrix kernels read B in place with a long
// stride, ~60–125 GFLOP/s per core. Packed once per window into panels, B is
// read as sequential rows, and a register block does many FMAs per B load.
//
// Shapes: A (m × k), row i at a + i·lda. B packed: panel q (columns
// NR·q ..< NR·q + NR) at packed + q·k·NR, row p of it at + p·NR. C (m × n).
//
// Blocking: the m rows are cut into ceil(m / MR) groups of even size. Small
// groups take several panels at once so that enough independent FMA chains
// are in flight. Panels are the outer loop, groups the inner one: a panel is
// read from L3 (or L2) once per call and then from L1/L2 by the other groups
// (CK_FOR_EACH_BLOCK, lanes_common.h, which the other packed products share).
//
// Every C element is one FMA chain over p = 0 ..< k in order, started from C
// (beta = 1) or 0, whatever the group or the number of panels taken at once:
// results are bit-identical however the rows are split, and across sets.
//
// One body, two element types of B (fp32, and bf16 weights for sampling): this
// file is included once per type by kernels_body.h, which first defines
//   GEMM_BT        the element type of the panels (float, uint16_t bf16)
//   GEMM_FN(x)     this type's name for x (x##_f32, x##_bf16)
//   GEMM_LOAD(p, lo, hi)  a panel row at p widened to floats, exactly: its first and second
//                  halves of columns (the set's gemm_load_*)
// (int8 weights multiply quantized activations in integers: i8dot_body.h.)

// C[0 ..< R, 0 ..< P·GEMM_NR] (±) A[0 ..< R, :] · panels 0 ..< P, R and P compile-time
// constants after inlining. `cols`: valid columns of C from its first one.
// b: the first panel; ps: elements between panels (k · NR).
CK_INLINE void GEMM_FN(gemm_block)(const int R, const int P, long k, const float *a, long lda,
                                   const GEMM_BT *b, long ps, int beta, float *c, long ldc, long cols) {
    VEC acc[GEMM_MR][4][2];
    GEMM_LANES mk[4][2];
    for (int q = 0; q < P; q++) {
        mk[q][0] = gemm_lanes(cols - q * GEMM_NR);
        mk[q][1] = gemm_lanes(cols - q * GEMM_NR - GEMM_NR / 2);
    }
    // Every column of the P panels valid (all but a matrix's last panels): C without masks.
    const int full = cols >= P * GEMM_NR;
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                acc[i][q][h] = beta ? gemm_c_load(full, mk[q][h], c + i * ldc + q * GEMM_NR + h * (GEMM_NR / 2)) : gemm_zero();
    for (long p = 0; p < k; p++) {
        VEC b0[4], b1[4];
        for (int q = 0; q < P; q++) {
            GEMM_LOAD(b + q * ps + p * GEMM_NR, b0[q], b1[q]);
        }
        for (int i = 0; i < R; i++) {
            VEC av = gemm_broadcast(a + i * lda + p);
            for (int q = 0; q < P; q++) {
                acc[i][q][0] = gemm_fmadd(av, b0[q], acc[i][q][0]);
                acc[i][q][1] = gemm_fmadd(av, b1[q], acc[i][q][1]);
            }
        }
    }
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++)
            for (int h = 0; h < 2; h++)
                gemm_c_store(full, mk[q][h], c + i * ldc + q * GEMM_NR + h * (GEMM_NR / 2), acc[i][q][h]);
}

#define GEMM_DEFINE_BLOCK(R, P)                                                                          \
    static CK_TARGET void GEMM_FN(gemm_block_##R##_##P)(long k, const float *a, long lda, const GEMM_BT *b, \
                                                        long ps, int beta, float *c, long ldc, long cols) { \
        GEMM_FN(gemm_block)(R, P, k, a, lda, b, ps, beta, c, ldc, cols);                                  \
    }
GEMM_BLOCKS(GEMM_DEFINE_BLOCK)
#undef GEMM_DEFINE_BLOCK

/// gemm_blocks[R][P]: R rows, P panels at once (the pairs of GEMM_BLOCKS; no other is called).
#define GEMM_BLOCK_ENTRY(R, P) [R][P] = GEMM_FN(gemm_block_##R##_##P),
static void (*const GEMM_FN(gemm_blocks)[GEMM_MR + 1][5])(long, const float *, long, const GEMM_BT *, long, int, float *,
                                                          long, long) = { GEMM_BLOCKS(GEMM_BLOCK_ENTRY) };
#undef GEMM_BLOCK_ENTRY

/// The product over panels of GEMM_BT.
static CK_TARGET void GEMM_FN(gemm_packed)(long m, long n, long k, const float *a, long lda, const GEMM_BT *packed,
                                           int beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!beta) for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    long ps = k * GEMM_NR;
    CK_FOR_EACH_BLOCK(m, n, GEMM_MR, gemm_panels_at_once,
                      GEMM_FN(gemm_blocks)[rows][p](k, a + r0 * lda, lda, packed + q0 * ps, ps, beta,
                                                    c + r0 * ldc + q0 * GEMM_NR, ldc, n - q0 * GEMM_NR));
}
