#ifndef CHARRNN_CK_GEMM_H
#define CHARRNN_CK_GEMM_H
// A small-M GEMM against a pre-packed B, for the per-step products of a
// recurrence: C (m × n) = A (m × k) · B (k × n) [+ C], with m a few dozen
// rows or one, and B (a weight matrix) the same for every step of a window.
// B is packed once per window into column panels of nr floats (a set's
// `gemm_nr`: 32 for avx512, 16 for avx2); each panel is k × nr contiguous
// floats (row p of the panel = B[p, j0 ..< j0+nr]), zero-padded at the right
// edge. The product (a set's `sgemm_packed`, gemm_body.h) then reads B as one
// sequential stream per panel, with no per-call packing (what OpenBLAS's sgemm does).
//
// Order of operations (determinism): every element of C is
//     acc = (beta ? C[i, j] : 0);  for p in 0 ..< k: acc = fma(A[i, p], B[p, j], acc);  C[i, j] = acc
// whatever m is and however the rows are grouped, so a row's result does not
// depend on how the batch rows were split across threads. Every set follows
// this order, so they agree with each other bit for bit; with the portable
// product (OpenBLAS or Swift, separate multiplies and adds in another order)
// they agree within rounding (tests: (k + 2)·2⁻²³·Σ|a||b| per element, TensorTests.PackedGEMMTests).

#include <stddef.h>

/// Floats a packed (k × n) matrix takes: ceil(n / nr) · nr · k.
size_t ck_gemm_packed_count(long k, long n, long nr);

/// Packs B (k × n) into panels of nr columns. transposed = 0: B[p, j] = b[p · ldb + j]
/// (ldb ≥ n); transposed = 1: b is stored (n × k), B[p, j] = b[j · ldb + p]
/// (ldb ≥ k). packed holds ck_gemm_packed_count(k, n, nr) floats, 64-byte aligned.
void ck_gemm_pack(const float *b, long ldb, int transposed, long k, long n, long nr, float *packed);

#endif
