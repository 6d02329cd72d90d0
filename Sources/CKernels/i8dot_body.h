// The int8 dot products of sampling from int8 weights (include/ck_gemm.h,
// "int8 dot products"), written once for every fast set: A's rows quantized
// (i8_quantize_rows), then the exact integer product over B's quad panels
// scaled once per element (i8_dot_packed). Each set's compile unit includes it
// after its lane primitives (isa_*.h):
//
//   IVEC                  a vector of WIDTH int32 accumulators
//   I8_A, I8_B            four bytes of A broadcast to every lane, a quad row of B, as the set keeps them
//   i8_broadcast_a(p)     the 4 bytes at p (qa + 128) in every lane
//   i8_load_b(p)          WIDTH columns' quads (4·WIDTH int8) from p
//   i8_step(acc, a, b)    acc + Σ of the 4 products (a byte unsigned, b byte signed): VPDPBUSD
//   I8_NATIVE             1 when i8_step is VPDPBUSD itself, 0 when 16-bit multiplies emulate it
//   i8_zero, i8_load_offsets, i8_finish(acc, offsets)   0; offsets of WIDTH columns; (float)(acc − offsets)
//   vround_even, i8_store_quantized                     quantization's rounding and its bytes
//
// Blocking is dot_body.h's (DOT_MR, DOT_BLOCKS: the same register counts).
// Integer sums are exact in any order: every set and every split of the rows
// and columns gives the same bits (TensorTests.I8DotTests).

CK_INLINE void i8_block(const int R, const int P, long kq, const uint8_t *a, long lda, const float *as,
                        const int8_t *b, const float *bs, const int32_t *off, long ps, int beta, float *c, long ldc,
                        long cols) {
    IVEC acc[DOT_MR][4][2];
    for (int i = 0; i < R; i++)
        for (int q = 0; q < P; q++) acc[i][q][0] = acc[i][q][1] = i8_zero();
    for (long p = 0; p < kq; p++) {
        I8_B b0[4], b1[4];
        for (int q = 0; q < P; q++) {
            b0[q] = i8_load_b(b + q * ps + p * GEMM_NR * 4);
            b1[q] = i8_load_b(b + q * ps + p * GEMM_NR * 4 + GEMM_NR * 2);
        }
        for (int i = 0; i < R; i++) {
            I8_A av = i8_broadcast_a(a + i * lda + 4 * p);
            for (int q = 0; q < P; q++) {
                acc[i][q][0] = i8_step(acc[i][q][0], av, b0[q]);
                acc[i][q][1] = i8_step(acc[i][q][1], av, b1[q]);
            }
        }
    }
    // C = fma((float)d, s_i · s_j, beta ? C : 0): scales and offsets are padded to whole panels.
    const int full = cols >= P * GEMM_NR;
    for (int q = 0; q < P; q++)
        for (int h = 0; h < 2; h++) {
            long j = q * GEMM_NR + h * (GEMM_NR / 2);
            GEMM_LANES mk = gemm_lanes(cols - j);
            VEC sj = VP(loadu_ps)(bs + j);
            IVEC oj = i8_load_offsets(off + j);
            for (int i = 0; i < R; i++) {
                VEC t = mul(k(as[i]), sj);
                VEC c0 = beta ? gemm_c_load(full, mk, c + i * ldc + j) : gemm_zero();
                gemm_c_store(full, mk, c + i * ldc + j, gemm_fmadd(i8_finish(acc[i][q][h], oj), t, c0));
            }
        }
}

#define I8_DEFINE_BLOCK(R, P)                                                                                          \
    static CK_TARGET void i8_block_##R##_##P(long kq, const uint8_t *a, long lda, const float *as, const int8_t *b,    \
                                             const float *bs, const int32_t *off, long ps, int beta, float *c,         \
                                             long ldc, long cols) {                                                    \
        i8_block(R, P, kq, a, lda, as, b, bs, off, ps, beta, c, ldc, cols);                                            \
    }
DOT_BLOCKS(I8_DEFINE_BLOCK)
#undef I8_DEFINE_BLOCK

#define I8_BLOCK_ENTRY(R, P) [R][P] = i8_block_##R##_##P,
static void (*const i8_blocks[DOT_MR + 1][5])(long, const uint8_t *, long, const float *, const int8_t *, const float *,
                                              const int32_t *, long, int, float *, long, long) = { DOT_BLOCKS(I8_BLOCK_ENTRY) };
#undef I8_BLOCK_ENTRY

/// The row's i8_dot_packed (ck_kernels.h).
static CK_TARGET void i8_dot_packed(long m, long n, long kq, const uint8_t *a, long lda, const float *ascales,
                                    const int8_t *packed, const float *bscales, const int32_t *offsets, int beta,
                                    float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    long ps = kq * GEMM_NR * 4;
    CK_FOR_EACH_BLOCK(m, n, DOT_MR, dot_panels_at_once,
                      i8_blocks[rows][p](kq, a + r0 * lda, lda, ascales + r0, packed + q0 * ps, bscales + q0 * GEMM_NR,
                                         offsets + q0 * GEMM_NR, ps, beta, c + r0 * ldc + q0 * GEMM_NR, ldc, n - q0 * GEMM_NR));
}

/// The row's i8_quantize_rows (ck_kernels.h): ck_i8_quantize_rows' bits, WIDTH lanes at a time.
static CK_TARGET void i8_quantize_rows(const float *a, long lda, long m, long kk, uint8_t *out, long ldo, float *scales) {
    long padded = (kk + 3) / 4 * 4;
    for (long i = 0; i < m; i++) {
        const float *row = a + i * lda;
        uint8_t *dst = out + i * ldo;
        VEC amax = gemm_zero(), bad = gemm_zero();   // bad: Σ x·0, NaN once a lane held a NaN or an infinity
        for (long p = 0; p < kk; p += WIDTH) {
            VEC x = ld(kk - p >= WIDTH ? full_lanes() : tail_lanes(kk - p), row + p);
            amax = VP(max_ps)(amax, vabs(x));
            bad = add(bad, mul(x, gemm_zero()));
        }
        float lanes[WIDTH], flags[WIDTH], top = 0;
        VP(storeu_ps)(lanes, amax);
        VP(storeu_ps)(flags, bad);
        int finite = 1;
        for (int l = 0; l < WIDTH; l++) {
            if (flags[l] != flags[l]) finite = 0;
            if (lanes[l] > top) top = lanes[l];
        }
        float s = finite ? top / 127.0f : NAN;
        scales[i] = s;
        if (!(s > 0)) {
            memset(dst, 128, (size_t)padded);
            continue;
        }
        VEC vs = k(s), lo = k(-127.0f), hi = k(127.0f);
        for (long p = 0; p < padded; p += WIDTH) {
            VEC x = p < kk ? ld(kk - p >= WIDTH ? full_lanes() : tail_lanes(kk - p), row + p) : gemm_zero();
            VEC q = VP(min_ps)(VP(max_ps)(vround_even(dvd(x, vs)), lo), hi);
            i8_store_quantized(dst + p, q, padded - p < WIDTH ? padded - p : WIDTH);
        }
    }
}
