// The bf16 pairs of training (include/ck_gemm.h, "bf16 dot products"), written
// once for every fast set: A rounded into pair rows (ck_bf16_round_pairs) and
// B packed into pair panels (ck_gemm_pack_pairs), the same bits as those
// reference loops (gemm_pack.c), WIDTH lanes at a time. Each set's compile unit
// includes it after its lane primitives (isa_*.h):
//
//   PAIRS                       WIDTH lanes of one pair each (even element's bits low, odd's high)
//   pairs_zero()
//   pairs_of_rows(e, o, count)  lane l: the pair (e[l], o[l]); o NULL: (e[l], 0); count lanes read
//   pairs_of_run(p, count)      lane l: the pair (p[2l], p[2l + 1]); count floats read
//   pairs_store(p, v, count)    the first count lanes
//   pairs_across_lanes(r)       the last step of a WIDTH × WIDTH transpose (below): the 4 × 4 blocks
//                               already transposed inside each 128-bit lane, moved to their places
//
// A pair row of a transposed A (the weight gradients' dGᵀ) or a panel of a transposed B (Wᵀ) is a
// column of what is read: those are built WIDTH × WIDTH pairs at a time and transposed in registers,
// so that every load and store runs along memory.

/// r[WIDTH] as a WIDTH × WIDTH matrix of lanes, transposed in place: 4 × 4 blocks inside each 128-bit
/// lane by unpacks (the same in every set), then the set's moves across lanes.
CK_INLINE void pairs_transpose(PAIRS r[WIDTH]) {
    PAIRS t[WIDTH];
    for (int i = 0; i < WIDTH; i += 2) {
        t[i] = VP(unpacklo_epi32)(r[i], r[i + 1]);
        t[i + 1] = VP(unpackhi_epi32)(r[i], r[i + 1]);
    }
    for (int i = 0; i < WIDTH; i += 4) {        // r[4g + c], 128-bit lane L: column 4L + c of rows 4g ..< 4g + 4
        r[i] = VP(unpacklo_epi64)(t[i], t[i + 2]);
        r[i + 1] = VP(unpackhi_epi64)(t[i], t[i + 2]);
        r[i + 2] = VP(unpacklo_epi64)(t[i + 1], t[i + 3]);
        r[i + 3] = VP(unpackhi_epi64)(t[i + 1], t[i + 3]);
    }
    pairs_across_lanes(r);
}

/// A (m × k; stored k × m when transposed) into out (m rows of ldo ≥ kh pairs), as ck_bf16_round_pairs.
static CK_TARGET void bf16_round_pairs(const float *a, long lda, int transposed, long m, long k, uint32_t *out,
                                       long ldo) {
    long kh = (k + 1) / 2;
    if (!transposed) {
        // Row i's pairs are its floats in order, two by two.
        for (long i = 0; i < m; i++)
            for (long p = 0; p < kh; p += WIDTH)
                pairs_store(out + i * ldo + p, pairs_of_run(a + i * lda + 2 * p, k - 2 * p), kh - p);
        return;
    }
    // Stored rows 2p and 2p + 1 give pair p of every output row: a tile of WIDTH pairs × WIDTH rows, transposed.
    for (long p0 = 0; p0 < kh; p0 += WIDTH) {
        long np = kh - p0 < WIDTH ? kh - p0 : WIDTH;
        for (long i0 = 0; i0 < m; i0 += WIDTH) {
            long ni = m - i0 < WIDTH ? m - i0 : WIDTH;
            PAIRS t[WIDTH];
            for (long q = 0; q < WIDTH; q++) {
                long p = p0 + q;
                const float *even = a + 2 * p * lda + i0;
                t[q] = q < np ? pairs_of_rows(even, 2 * p + 1 < k ? even + lda : 0, ni) : pairs_zero();
            }
            pairs_transpose(t);
            for (long r = 0; r < ni; r++) pairs_store(out + (i0 + r) * ldo + p0, t[r], np);
        }
    }
}

/// B (k × n; stored n × k when transposed) into pair panels of nr columns, as ck_gemm_pack_pairs.
/// nr is a multiple of WIDTH (a set's gemm_nr); columns past n are zero.
static CK_TARGET void bf16_pack_pairs(const float *b, long ldb, int transposed, long k, long n, long nr,
                                      uint32_t *packed) {
    if (nr % WIDTH != 0) {
        ck_gemm_pack_pairs(b, ldb, transposed, k, n, nr, packed);
        return;
    }
    long panels = (n + nr - 1) / nr, kh = (k + 1) / 2;
    for (long q = 0; q < panels; q++) {
        uint32_t *dst = packed + q * kh * nr;                // (kh, nr)
        long j0 = q * nr, w = n - j0 < nr ? n - j0 : nr;
        if (!transposed) {
            // Pair row p of the panel: stored rows 2p and 2p + 1, lane by lane.
            for (long p = 0; p < kh; p++) {
                const float *even = b + 2 * p * ldb + j0, *odd = 2 * p + 1 < k ? even + ldb : 0;
                for (long j = 0; j < nr; j += WIDTH)
                    pairs_store(dst + p * nr + j, j < w ? pairs_of_rows(even + j, odd ? odd + j : 0, w - j) : pairs_zero(),
                                WIDTH);
            }
            continue;
        }
        // Column j of the panel is stored row j0 + j, its pairs in order: WIDTH columns × WIDTH pairs, transposed.
        for (long p0 = 0; p0 < kh; p0 += WIDTH) {
            long np = kh - p0 < WIDTH ? kh - p0 : WIDTH;
            for (long j = 0; j < nr; j += WIDTH) {
                PAIRS t[WIDTH];
                for (long c = 0; c < WIDTH; c++)
                    t[c] = j + c < w ? pairs_of_run(b + (j0 + j + c) * ldb + 2 * p0, k - 2 * p0) : pairs_zero();
                pairs_transpose(t);
                for (long r = 0; r < np; r++) pairs_store(dst + (p0 + r) * nr + j, t[r], WIDTH);
            }
        }
    }
}
