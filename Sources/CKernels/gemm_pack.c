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
