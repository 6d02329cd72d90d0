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
#include <stdint.h>

/// Floats a packed (k × n) matrix takes: ceil(n / nr) · nr · k.
size_t ck_gemm_packed_count(long k, long n, long nr);

/// Packs B (k × n) into panels of nr columns. transposed = 0: B[p, j] = b[p · ldb + j]
/// (ldb ≥ n); transposed = 1: b is stored (n × k), B[p, j] = b[j · ldb + p]
/// (ldb ≥ k). packed holds ck_gemm_packed_count(k, n, nr) floats, 64-byte aligned.
void ck_gemm_pack(const float *b, long ldb, int transposed, long k, long n, long nr, float *packed);

// MARK: Reduced-precision B (sampling from bf16 or int8 weights)
//
// The same panels (and, with nr = n, the same dense layout for the portable
// product) holding each element of B in 2 bytes or 1:
//
//   bf16  the upper half of the fp32 pattern, rounded to nearest even by
//         integer operations (ck_bf16_round): the same bits on every CPU,
//         whether or not it has VCVTNEPS2BF16 (which flushes subnormals).
//   int8  q = round-to-even(B / s_j), clamped to ±127, with one scale per
//         column of B, s_j = max_p |B[p, j]| / 127 (a row of the weight
//         matrix W when B = Wᵀ: "per-row scales"); a column of zeros has s = 0.
//
// The value a product multiplies is ck_bf16_round(B) or (float)q · s_j, both
// exactly representable in fp32 and computed here once: a product over the
// reduced copy equals the fp32 product over B with every element replaced by
// that value (`ck_round_matrix`, which `eval --precision` uses), bit for bit
// in the same kernel set.

/// Precisions of a packed B: 0 fp32, 1 bf16, 2 int8.
enum { CK_FP32 = 0, CK_BF16 = 1, CK_INT8 = 2 };

/// x rounded to bfloat16 (nearest, ties to even), as the 16 bits that are kept. A NaN stays a (quiet) NaN.
uint16_t ck_bf16_bits(float x);
/// The fp32 value of bf16 bits (exact).
float ck_bf16_value(uint16_t bits);

/// Packs B (k × n, as ck_gemm_pack reads it) into bf16 panels of nr columns: ck_gemm_packed_count(k, n, nr) values.
/// unpack_order 1 (a table set's panels; nr a multiple of 16): each row in the order the sets widen with
/// one load and two unpacks (gemm_pack.c, bf16_column); 0 (the portable layout, nr = n): plain order.
void ck_gemm_pack_bf16(const float *b, long ldb, int transposed, long k, long n, long nr, int unpack_order,
                       uint16_t *packed);
/// Packs B into int8 panels of nr columns, and each column's scale into scales
/// (ceil(n / nr) · nr floats, 0 past n).
void ck_gemm_pack_i8(const float *b, long ldb, int transposed, long k, long n, long nr, int8_t *packed, float *scales);

/// Replaces every element of W (rows × cols, leading dimension ld) by the value a
/// product of `precision` multiplies in its place; int8 scales per row of W (a
/// column of B = Wᵀ). CK_FP32 leaves W unchanged.
void ck_round_matrix(float *w, long rows, long cols, long ld, int precision);

// MARK: bf16 dot products (training in bf16)
//
// C (m × n) = A (m × k) · B (k × n) [+ C] with both operands rounded to bf16
// (ck_bf16_bits) and multiplied in pairs along k, as AVX512_BF16's VDPBF16PS
// multiplies them, accumulating in fp32. For every element of C:
//
//     acc = (beta ? C[i, j] : 0)
//     for p in 0 ..< ceil(k / 2):          (k odd: a zero pair element at the end)
//         acc = FTZ(fma(A[i, 2p+1], B[2p+1, j], DAZ(acc)))
//         acc = FTZ(fma(A[i, 2p],   B[2p, j],   acc))
//     C[i, j] = acc
//
// with subnormal inputs read as zero (DAZ: the operands are flushed when they
// are rounded, the accumulator by the kernel), subnormal results flushed to
// zero of the same sign (FTZ), round to nearest even: VDPBF16PS's rules. A
// set without VDPBF16PS runs the same steps as two FMAs under MXCSR.DAZ|FTZ;
// the portable product (Swift) writes them out. So every set gives the same
// bits as every other, native or not (TensorTests.BF16DotTests).
//
// Layouts. A rounded: row i at out + i·ldo, ldo ≥ ceil(k / 2) pairs, each
// uint32 = bf16(A[i, 2p]) | bf16(A[i, 2p+1]) << 16 (the even element in the
// low half, as VDPBF16PS reads it). B packed in panels of nr columns of
// pairs: panel q at packed + q·ceil(k / 2)·nr, pair row p of it at + p·nr,
// element j = bf16(B[2p, j0+j]) | bf16(B[2p+1, j0+j]) << 16, zero past n.

/// A (m × k; transposed = 1: stored (k × m), A[i, p] = a[p · lda + i]) rounded into pairs, out (m × ldo).
void ck_bf16_round_pairs(const float *a, long lda, int transposed, long m, long k, uint32_t *out, long ldo);
/// uint32 pairs a packed (k × n) B takes in panels of nr columns: ceil(n / nr) · nr · ceil(k / 2).
size_t ck_gemm_pairs_count(long k, long n, long nr);
/// Packs B (k × n, as ck_gemm_pack reads it) into pair panels of nr columns.
void ck_gemm_pack_pairs(const float *b, long ldb, int transposed, long k, long n, long nr, uint32_t *packed);

#endif
