// The avx512bf16 kernel set: the avx512 set with training's bf16 dot products on
// VDPBF16PS (isa_avx512bf16.h). Chosen over avx512 where the CPU has AVX512_BF16.
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "isa_avx512bf16.h"
#include "kernels_body.h"
#include "ck_gemm.h"

/// The row's bf16 dot product on a few matrices against the definition, computed here in scalar C
/// (ck_gemm.h's steps with explicit flushes): 1 when every bit agrees. cpu.c asks it once.
int ck_avx512bf16_probe(void) {
    enum { M = 3, N = 37, K = 41, KH = (K + 1) / 2, NR = GEMM_NR };
    static float a[M * K], b[K * N], c[M * N], want[M * N];
    static uint32_t ar[M * KH], packed[((N + NR - 1) / NR) * NR * KH];
    uint32_t state = 12345;
    for (int i = 0; i < M * K + K * N; i++) {
        state = state * 1664525u + 1013904223u;
        float x = (float)((int)(state >> 8) - (1 << 23)) / (float)(1 << 23);      // in [-1, 1)
        if (i % 13 == 5) x *= 0x1p-64f;                                           // products near and below FLT_MIN
        if (i % 17 == 3) x = 0x1p-130f;                                           // a subnormal operand
        if (i < M * K) a[i] = x; else b[i - M * K] = x;
    }
    ck_bf16_round_pairs(a, K, 0, M, K, ar, KH);
    ck_gemm_pack_pairs(b, N, 0, K, N, NR, packed);
    for (int i = 0; i < M * N; i++) c[i] = i % 7 == 0 ? 0x1p-140f : 1.0f;        // a subnormal start: read as 0
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = c[i * N + j];
            for (int p = 0; p < KH; p++) {
                uint32_t x = ar[i * KH + p], y = (uint32_t)ck_bf16_bits(b[2 * p * N + j]) | (2 * p + 1 < K ? (uint32_t)ck_bf16_bits(b[(2 * p + 1) * N + j]) << 16 : 0);
                if ((y & 0x7F80u) == 0) y &= 0xFFFF8000u;                               // DAZ on B's operands, as packed
                if ((y & 0x7F800000u) == 0) y &= 0x8000FFFFu;
                float xo = ck_bf16_value((uint16_t)(x >> 16)), xe = ck_bf16_value((uint16_t)x);
                float yo = ck_bf16_value((uint16_t)(y >> 16)), ye = ck_bf16_value((uint16_t)y);
                if (fabsf(acc) < 0x1p-126f) acc = copysignf(0, acc);
                acc = fmaf(xo, yo, acc);
                if (fabsf(acc) < 0x1p-126f) acc = copysignf(0, acc);
                acc = fmaf(xe, ye, acc);
                if (fabsf(acc) < 0x1p-126f) acc = copysignf(0, acc);
            }
            want[i * N + j] = acc;
        }
    bf16_dot_packed(M, N, KH, ar, KH, packed, 1, c, N);
    return memcmp(c, want, sizeof c) == 0;
}
#endif
