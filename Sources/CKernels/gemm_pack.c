#include "ck_gemm.h"

#include <string.h>

// Packing for the packed GEMM (ck_gemm.h): plain C, every architecture; nr = a set's gemm_nr.

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

// MARK: Reduced precision (ck_gemm.h)

#include <math.h>

uint16_t ck_bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);  // NaN: keep it quiet
    u += 0x7FFFu + ((u >> 16) & 1u);                                                // nearest, ties to even
    return (uint16_t)(u >> 16);
}

float ck_bf16_value(uint16_t bits) {
    uint32_t u = (uint32_t)bits << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/// B[p, j] as ck_gemm_pack reads it.
static inline float element(const float *b, long ldb, int transposed, long p, long j) {
    return transposed ? b[j * ldb + p] : b[p * ldb + j];
}

/// Column j's int8 scale: max |B[p, j]| / 127 (0 for a column of zeros, NaN for one holding a NaN or an infinity).
static float column_scale(const float *b, long ldb, int transposed, long k, long j) {
    float m = 0;
    for (long p = 0; p < k; p++) {
        float x = element(b, ldb, transposed, p, j);
        if (!isfinite(x)) return NAN;
        if (fabsf(x) > m) m = fabsf(x);
    }
    return m / 127.0f;
}

/// round-even(x / scale) clamped to ±127; 0 when the scale is 0 or NaN.
static int8_t quantize(float x, float scale) {
    if (!(scale > 0)) return 0;
    float q = nearbyintf(x / scale);  // the default rounding mode: nearest, ties to even
    return (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
}

/// The column of a panel row that bf16 position i holds. In unpack order (a table set's panels, nr a
/// multiple of 16) each 128-bit lane L of the row holds columns 4L … 4L+3 of the first half, then
/// 4L … 4L+3 of the second, so that an unpack of the low and of the high words against zero gives
/// the two halves in column order. Otherwise (the portable layout) plain order.
static long bf16_column(long i, long nr, int unpack_order) {
    if (!unpack_order) return i;
    long lane = i / 8, w = i % 8;
    return w < 4 ? lane * 4 + w : nr / 2 + lane * 4 + (w - 4);
}

void ck_gemm_pack_bf16(const float *b, long ldb, int transposed, long k, long n, long nr, int unpack_order,
                       uint16_t *packed) {
    long panels = (n + nr - 1) / nr;
    for (long q = 0; q < panels; q++) {
        uint16_t *dst = packed + q * k * nr;                 // (k, nr)
        long j0 = q * nr;
        for (long p = 0; p < k; p++)
            for (long i = 0; i < nr; i++) {
                long j = bf16_column(i, nr, unpack_order);
                dst[p * nr + i] = j0 + j < n ? ck_bf16_bits(element(b, ldb, transposed, p, j0 + j)) : 0;
            }
    }
}

void ck_round_matrix(float *w, long rows, long cols, long ld, int precision) {
    if (precision != CK_BF16) return;
    for (long r = 0; r < rows; r++) {
        float *row = w + r * ld;
        for (long c = 0; c < cols; c++) row[c] = ck_bf16_value(ck_bf16_bits(row[c]));
    }
}

// MARK: int8 dot products (ck_gemm.h)

size_t ck_gemm_quads_count(long k, long n, long nr) {
    if (k <= 0 || n <= 0) return 0;
    return (size_t)((n + nr - 1) / nr) * (size_t)nr * 4 * (size_t)((k + 3) / 4);
}

void ck_gemm_pack_quads(const float *b, long ldb, int transposed, long k, long n, long nr, int8_t *packed,
                        float *scales, int32_t *offsets) {
    long panels = (n + nr - 1) / nr, kq = (k + 3) / 4;
    for (long j = 0; j < panels * nr; j++) {
        scales[j] = j < n ? column_scale(b, ldb, transposed, k, j) : 0;
        offsets[j] = 0;
    }
    for (long q = 0; q < panels; q++) {
        int8_t *dst = packed + q * kq * nr * 4;
        long j0 = q * nr;
        for (long p = 0; p < kq * 4; p++)
            for (long j = 0; j < nr; j++) {
                int8_t v = p < k && j0 + j < n ? quantize(element(b, ldb, transposed, p, j0 + j), scales[j0 + j]) : 0;
                dst[(p / 4) * nr * 4 + j * 4 + p % 4] = v;
                offsets[j0 + j] += 128 * v;
            }
    }
}

void ck_i8_quantize_rows(const float *a, long lda, long m, long k, uint8_t *out, long ldo, float *scales) {
    long padded = (k + 3) / 4 * 4;
    for (long i = 0; i < m; i++) {
        const float *row = a + i * lda;
        uint8_t *dst = out + i * ldo;
        float s = column_scale(row, 1, 1, k, 0);              // row i of A is column 0 of Aᵀ stored (1 × k)
        for (long p = 0; p < padded; p++) dst[p] = (uint8_t)((p < k ? quantize(row[p], s) : 0) + 128);
        scales[i] = s;
    }
}

// MARK: bf16 dot products (ck_gemm.h)

/// x rounded to bf16 with a subnormal result read as zero of its sign (VDPBF16PS's DAZ).
static inline uint32_t bf16_daz(float x) {
    uint16_t bits = ck_bf16_bits(x);
    return (bits & 0x7F80u) == 0 ? (uint32_t)(bits & 0x8000u) : (uint32_t)bits;
}

void ck_bf16_round_pairs(const float *a, long lda, int transposed, long m, long k, uint32_t *out, long ldo) {
    long kh = (k + 1) / 2;
    if (!transposed) {
        for (long i = 0; i < m; i++) {
            const float *row = a + i * lda;
            uint32_t *dst = out + i * ldo;
            for (long p = 0; p < k / 2; p++) dst[p] = bf16_daz(row[2 * p]) | bf16_daz(row[2 * p + 1]) << 16;
            if (k % 2) dst[kh - 1] = bf16_daz(row[k - 1]);
        }
    } else {
        // Stored (k × m): two stored rows make one pair row of every output row.
        for (long p = 0; p < kh; p++) {
            const float *even = a + 2 * p * lda, *odd = 2 * p + 1 < k ? even + lda : 0;
            for (long i = 0; i < m; i++) out[i * ldo + p] = bf16_daz(even[i]) | (odd ? bf16_daz(odd[i]) << 16 : 0);
        }
    }
}

size_t ck_gemm_pairs_count(long k, long n, long nr) { return ck_gemm_packed_count((k + 1) / 2, n, nr); }

void ck_gemm_pack_pairs(const float *b, long ldb, int transposed, long k, long n, long nr, uint32_t *packed) {
    long panels = (n + nr - 1) / nr, kh = (k + 1) / 2;
    for (long q = 0; q < panels; q++) {
        uint32_t *dst = packed + q * kh * nr;                // (kh, nr)
        long j0 = q * nr, w = n - j0 < nr ? n - j0 : nr;
        if (transposed) {
            // B column j is stored row j (k floats): rounded as a row of A would be, scattered into the panel.
            for (long j = 0; j < w; j++) {
                const float *src = b + (j0 + j) * ldb;
                for (long p = 0; p < kh; p++)
                    dst[p * nr + j] = bf16_daz(src[2 * p]) | (2 * p + 1 < k ? bf16_daz(src[2 * p + 1]) << 16 : 0);
            }
        } else {
            for (long p = 0; p < kh; p++) {
                const float *even = b + 2 * p * ldb + j0, *odd = 2 * p + 1 < k ? even + ldb : 0;
                for (long j = 0; j < w; j++) dst[p * nr + j] = bf16_daz(even[j]) | (odd ? bf16_daz(odd[j]) << 16 : 0);
            }
        }
        for (long p = 0; p < kh; p++)
            for (long j = w; j < nr; j++) dst[p * nr + j] = 0;
    }
}
