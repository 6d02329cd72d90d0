#ifndef CHARRNN_CK_GEMM_H
#define CHARRNN_CK_GEMM_H
// A small-M GEMM against a pre-packed B, for the per-step products of a
// recurrence: C (m × n) = A (m × k) · B (k × n) [+ C], with m a few dozen
// rows or one, and B (a weight matrix) the same for every step of a window.
// B is packed once per window into column panels of NR floats (NR = 32 for
// the AVX-512 kernel, 16 for the AVX2 one); each panel is k × NR contiguous
// floats (row p of the panel = B[p, j0 ..< j0+NR]), zero-padded at the right
// edge. The product then reads B as one sequential stream per panel, with no
// per-call packing (what OpenBLAS's sgemm does).
//
// Order of operations (determinism): every element of C is
//     acc = (beta ? C[i, j] : 0);  for p in 0 ..< k: acc = fma(A[i, p], B[p, j], acc);  C[i, j] = acc
// whatever m is and however the rows are grouped, so a row's result does not
// depend on how the batch rows were split across threads. Both kernels follow
// this order, so they agree with each other bit for bit; with the portable
// product (OpenBLAS or Swift, separate multiplies and adds in another order)
// they agree within rounding (tests: (k + 2)·2⁻²³·Σ|a||b| per element, TensorTests.PackedGEMMTests).
//
// ck_sgemm_packed needs AVX-512 F/DQ/BW/VL + FMA: call it only when
// ck_cpu_has_avx512() said yes; ck_sgemm_packed_avx2 needs AVX2 + FMA
// (ck_cpu_has_avx2_fma()). ck_gemm_pack is plain C.

#include <stddef.h>

/// Columns per packed panel of the AVX-512 kernel.
#define CK_GEMM_NR 32
/// Columns per packed panel of the AVX2 kernel (two ymm registers).
#define CK_GEMM_AVX2_NR 16

/// Floats a packed (k × n) matrix takes: ceil(n / nr) · nr · k.
size_t ck_gemm_packed_count(long k, long n, long nr);

/// Packs B (k × n) into panels of nr columns. transposed = 0: B[p, j] = b[p · ldb + j]
/// (ldb ≥ n); transposed = 1: b is stored (n × k), B[p, j] = b[j · ldb + p]
/// (ldb ≥ k). packed holds ck_gemm_packed_count(k, n, nr) floats, 64-byte aligned.
void ck_gemm_pack(const float *b, long ldb, int transposed, long k, long n, long nr, float *packed);

/// C (m × n, ldc ≥ n) = A (m × k, lda ≥ k) · B + (beta ? C : 0), with B packed by
/// ck_gemm_pack with the same k and n and nr = CK_GEMM_NR. beta is 0 or 1; with 0,
/// C is not read. Columns ≥ n of C are neither read nor written.
void ck_sgemm_packed(long m, long n, long k, const float *a, long lda,
                     const float *packed, int beta, float *c, long ldc);

/// The same with AVX2 + FMA, for B packed with nr = CK_GEMM_AVX2_NR (gemm_avx2.c).
void ck_sgemm_packed_avx2(long m, long n, long k, const float *a, long lda,
                          const float *packed, int beta, float *c, long ldc);

#endif
