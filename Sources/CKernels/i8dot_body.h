// The int8 dot products of sampling from int8 weights (include/ck_gemm.h,
// "int8 dot products"), written once for every fast set: A's rows quantized
// (i8_quantize_rows), then the exact integer product over B's quad panels
// scaled once per element (i8_dot_packed). Each set's compile unit includes it
// after its lane primitives (isa_*.h):
//
//   IVEC, ivec_load, ivec_and     a vector of WIDTH int32 lanes, an unaligned load, a bitwise and
//   vround_even, i8_store_quantized   quantization's rounding, and its bytes (qa + 128)
//   I8_NATIVE             1 when the set brings VPDPBUSD itself: I8_A, I8_B (four bytes of A in every lane,
//                         a quad row of B), i8_broadcast_a(p), i8_load_b(p), i8_step(acc, a, b) = acc + Σ of
//                         the 4 byte products (a unsigned, b signed); 0: the emulation below, by VPMADDWD
//
// Blocking is dot_body.h's (DOT_MR, DOT_BLOCKS: the same register counts).
// Integer sums are exact in any order: every set and every split of the rows
// and columns gives the same bits (TensorTests.I8DotTests).

CK_INLINE IVEC i8_zero(void) { return VP(set1_epi32)(0); }
/// (float)(acc − offsets): the exact integer dot product, rounded to fp32 once.
CK_INLINE VEC i8_finish(IVEC acc, IVEC offsets) { return VP(cvtepi32_ps)(VP(sub_epi32)(acc, offsets)); }

#if !I8_NATIVE
// VPDPBUSD without AVX512_VNNI, exactly: each byte widened to 16 bits (A's unsigned, B's signed, the even
// and odd bytes of a lane apart) and multiplied in pairs by VPMADDWD; the sums of products are exact.
typedef struct { IVEC even, odd; } I8_SPLIT;
#define I8_A I8_SPLIT
#define I8_B I8_SPLIT
CK_INLINE I8_SPLIT i8_broadcast_a(const uint8_t *p) {
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    IVEC x = VP(set1_epi32)(v);
    I8_SPLIT r = {ivec_and(x, VP(set1_epi16)(0xFF)), VP(srli_epi16)(x, 8)};
    return r;
}
CK_INLINE I8_SPLIT i8_load_b(const int8_t *p) {
    IVEC x = ivec_load(p);
    I8_SPLIT r = {VP(srai_epi16)(VP(slli_epi16)(x, 8), 8), VP(srai_epi16)(x, 8)};
    return r;
}
CK_INLINE IVEC i8_step(IVEC acc, I8_SPLIT a, I8_SPLIT b) {
    return VP(add_epi32)(acc, VP(add_epi32)(VP(madd_epi16)(a.even, b.even), VP(madd_epi16)(a.odd, b.odd)));
}
#endif

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
            IVEC oj = ivec_load(off + j);
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
