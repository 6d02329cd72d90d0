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

// MARK: bf16 weights (sampling from bf16 weights)
//
// The same panels (and, with nr = n, the same dense layout for the portable
// product) holding each element of B in 2 bytes: the upper half of the fp32
// pattern, rounded to nearest even by integer operations (ck_bf16_round): the
// same bits on every CPU, whether or not it has VCVTNEPS2BF16 (which flushes
// subnormals). The value a product multiplies is ck_bf16_round(B), exactly
// representable in fp32: a product over the reduced copy equals the fp32
// product over B with every element replaced by that value (`ck_round_matrix`),
// bit for bit in the same kernel set.

/// Precisions of the weights a sampling step multiplies: 0 fp32, 1 bf16, 2 int8.
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

/// Replaces every element of W (rows × cols, leading dimension ld) by the value a
/// bf16 product multiplies in its place. CK_FP32 leaves W unchanged; so does CK_INT8,
/// whose products quantize their activations too (below): no fp32 weights stand for them.
void ck_round_matrix(float *w, long rows, long cols, long ld, int precision);

// MARK: int8 dot products (sampling from int8 weights)
//
// C (m × n) = A (m × k) · B (k × n) [+ C] with both operands quantized to
// int8, one scale per row of A and per column of B (symmetric, as PyTorch's
// dynamic quantization of an LSTM does it, but per row where it takes one
// scale per tensor, so that a row's result never depends on the rows beside
// it), multiplied exactly in integers and scaled once:
//
//   B, once:    s_j = max_p |B[p, j]| / 127,  qb[p, j] = round-even(B[p, j] / s_j) clamped to ±127
//               (a column of zeros: s_j = 0, qb = 0) — a row of the weight matrix W when B = Wᵀ
//   A, per call: s_i = max_p |A[i, p]| / 127, qa[i, p] = round-even(A[i, p] / s_i) clamped to ±127
//               (a row of zeros: s_i = 0, qa = 0; a row holding a NaN or an infinity: s_i = NaN, qa = 0)
//   d_ij = Σ_p qa[i, p] · qb[p, j], exact in int32 (k ≤ CK_I8_MAX_K)
//   C[i, j] = fma((float)d_ij, s_i · s_j, beta ? C[i, j] : 0)     (s_i · s_j one fp32 rounding)
//
// An integer sum is the same whatever its order, so every set — AVX512_VNNI's
// VPDPBUSD, or its emulation by 16-bit multiplies — and every split of rows or
// columns gives the same bits (TensorTests.I8DotTests).
//
// Layouts. A quantized: row i at out + i·ldo bytes, ldo ≥ 4·ceil(k / 4):
// qa + 128 as uint8 (VPDPBUSD's unsigned operand), 128 (zero) past k; s_i at
// scales[i]. B: panels of nr columns of quads, kq = ceil(k / 4) quad rows:
// panel q at packed + q·kq·nr·4 bytes, quad row p of it at + p·nr·4, column j
// its 4 bytes qb[4p ..< 4p + 4, j0 + j] (0 past k and past n); scales[j] = s_j
// and offsets[j] = 128·Σ_p qb[p, j] (what A's +128 adds, subtracted from the
// sum), both 0 past n up to whole panels.

/// The largest k an int8 product takes: 255 · 127 · k stays inside int32.
#define CK_I8_MAX_K 65536L

/// Bytes of a packed (k × n) B in quad panels of nr columns: ceil(n / nr) · nr · 4 · ceil(k / 4).
size_t ck_gemm_quads_count(long k, long n, long nr);
/// Packs B (k × n, as ck_gemm_pack reads it) into int8 quad panels of nr columns, with each
/// column's scale and offset (ceil(n / nr) · nr of each).
void ck_gemm_pack_quads(const float *b, long ldb, int transposed, long k, long n, long nr, int8_t *packed,
                        float *scales, int32_t *offsets);
/// A (m × k, row i at a + i·lda) quantized by rows: the reference every set's i8_quantize_rows gives the bits of.
void ck_i8_quantize_rows(const float *a, long lda, long m, long k, uint8_t *out, long ldo, float *scales);

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
