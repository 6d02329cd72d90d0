#ifndef CHARRNN_CK_KERNELS_H
#define CHARRNN_CK_KERNELS_H
// The kernel-set table: every inner loop of one instruction set, one row per
// set. A set is one compile unit (set_avx512.c, set_avx2.c) that includes its
// lane primitives (isa_*.h) and then the kernel bodies, each written once
// (activations_body.h, gates_body.h, layernorm_body.h, gemm_body.h), and ends
// with its row (kernels_body.h). Swift reads the rows through
// `ck_kernel_sets()` (Sources/Tensor/Kernels.swift); the portable set is the
// Swift code itself, the reference every row is tested against. A new set is
// one isa_*.h, one set_*.c and one line in sets.c.
//
// Contracts. The gate kernels do exactly the operations of their Swift twins
// (Sources/RNN/*Cell.swift `forwardStep` / `backwardStep`, Elementwise.swift),
// in the same order, with the same constants, clamps and selects: the same
// results bit for bit, NaNs included. Letters: B batch rows, H hidden size.
// The packed GEMM agrees with the portable product within rounding (ck_gemm.h).

#include <stdint.h>

#pragma clang assume_nonnull begin

typedef struct ck_kernel_set {
    /// The name `CHARRNN_KERNELS` takes, e.g. "avx512".
    const char *name;
    /// What a CPU without this set lacks, for messages: "AVX-512".
    const char *instructions;
    /// The width of its vector registers in bits (OpenBLAS's core is chosen to match).
    long vector_bits;
    /// 1 when this CPU and OS can run the set; nothing else may be called otherwise.
    int (*cpu_supports)(void);

    // MARK: Packed small-M GEMM (ck_gemm.h)

    /// Columns per packed panel: B is packed with ck_gemm_pack(…, nr = gemm_nr, …).
    long gemm_nr;
    /// C (m × n, ldc ≥ n) = A (m × k, lda ≥ k) · B + (beta ? C : 0); B packed with gemm_nr.
    /// beta is 0 or 1 (with 0, C is not read); columns ≥ n of C are neither read nor written.
    void (*sgemm_packed)(long m, long n, long k, const float *a, long lda, const float *packed, int beta,
                         float *c, long ldc);
    /// The same product with B in bf16 panels (ck_gemm_pack_bf16): each value widened exactly, then the
    /// same FMA chain as sgemm_packed, so the result equals sgemm_packed's over the rounded B
    /// (ck_round_matrix) bit for bit.
    void (*sgemm_packed_bf16)(long m, long n, long k, const float *a, long lda, const uint16_t *packed, int beta,
                              float *c, long ldc);

    /// 1 when bf16_dot_packed is the CPU's own bf16 dot product (VDPBF16PS), 0 when emulated by FMAs.
    int bf16_dot_native;
    /// Training in bf16 (ck_gemm.h, "bf16 dot products"): C (m × n) = A · B + (beta ? C : 0) with A
    /// rounded into pairs (m × kh, lda ≥ kh pairs) and B packed in pair panels of gemm_nr columns
    /// (ck_gemm_pack_pairs); kh = ceil(k / 2). The same bits in every set.
    void (*bf16_dot_packed)(long m, long n, long kh, const uint32_t *a, long lda, const uint32_t *packed, int beta,
                            float *c, long ldc);
    /// Its operands, the same bits as ck_bf16_round_pairs and ck_gemm_pack_pairs (ck_gemm.h) with
    /// nr = gemm_nr, WIDTH lanes at a time (pairs_body.h).
    void (*bf16_round_pairs)(const float *a, long lda, int transposed, long m, long k, uint32_t *out, long ldo);
    void (*bf16_pack_pairs)(const float *b, long ldb, int transposed, long k, long n, long nr, uint32_t *packed);

    // MARK: int8 dot products (ck_gemm.h, "int8 dot products": sampling from int8 weights)

    /// 1 when i8_dot_packed multiplies with the CPU's own VPDPBUSD (AVX512_VNNI), 0 when emulated.
    int i8_dot_native;
    /// A (m × k, lda ≥ k) quantized by rows, the bits of ck_i8_quantize_rows: out (m rows of ldo ≥
    /// 4·ceil(k / 4) bytes), scales (m).
    void (*i8_quantize_rows)(const float *a, long lda, long m, long k, uint8_t *out, long ldo, float *scales);
    /// C (m × n) = the int8 product of A quantized (m × 4·kq bytes, lda ≥ 4·kq; ascales) and B packed in quad
    /// panels of gemm_nr columns (ck_gemm_pack_quads: packed, bscales, offsets; the first column of C's) +
    /// (beta ? C : 0). The same bits in every set.
    void (*i8_dot_packed)(long m, long n, long kq, const uint8_t *a, long lda, const float *ascales,
                          const int8_t *packed, const float *bscales, const int32_t *offsets, int beta, float *c,
                          long ldc);

    // MARK: LSTM (gate blocks i, f, g, o in a (4H) row)

    /// gates (B, 4H) in: pre-activations without b_hh; out: i, f, g, o. biasHH (4H).
    /// cPrev (B, H); c, tanhC, h (B, H) out.
    void (*lstm_forward_step)(float *gates, const float *biasHH, const float *cPrev, float *c, float *tanhC,
                              float *h, long batchSize, long hiddenSize);
    /// gates (B, 4H) activated; cPrev (c), c (c', tanh c' is recomputed from it), dH (B, H);
    /// dC (B, H) in: dL/dc, out: dL/dc_prev; dGates (B, 4H) out, may be `gates`.
    void (*lstm_backward_step)(const float *gates, const float *cPrev, const float *c, const float *dH, float *dC,
                               float *dGates, long batchSize, long hiddenSize);

    // MARK: GRU (gate blocks r, z, n in a (3H) row)

    /// gates (B, 3H) in: input side; out: r, z, n. hProj (B, 3H) h·W_hhᵀ; biasHH (3H);
    /// hPrev (B, H); hn (B, H) out: W_hn h + b_hn; h (B, H) out.
    void (*gru_forward_step)(float *gates, const float *hProj, const float *biasHH, const float *hPrev, float *hn,
                             float *h, long batchSize, long hiddenSize);
    /// gates (B, 3H) activated; hn, hPrev, dH (B, H); dGatesX (B, 3H) out, may be `gates`;
    /// dGatesH (B, 3H) out; dHPrev (B, H) += dh ⊙ z.
    void (*gru_backward_step)(const float *gates, const float *hn, const float *hPrev, const float *dH,
                              float *dGatesX, float *dGatesH, float *dHPrev, long batchSize, long hiddenSize);

    // MARK: Basic RNN (one (H) block: h' itself), φ = tanh or relu

    /// gates (B, H) in: pre-activation without b_hh; out: h'. biasHH (H); h (B, H) out.
    void (*rnn_tanh_forward_step)(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize);
    void (*rnn_relu_forward_step)(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize);
    /// dGates[k] = dH[k] · φ'(output[k]) for k < count; dGates may be `output`.
    void (*rnn_tanh_backward_step)(const float *output, const float *dH, float *dGates, long count);
    void (*rnn_relu_backward_step)(const float *output, const float *dH, float *dGates, long count);

    // MARK: Layer-normalized cells (Sources/RNN/LayerNorm*.swift)

    /// gates (B, 4H) in: a, out: i, f, g, o; normalized (B, 5H) and rstd (B, 5) out; gamma, beta (5H).
    void (*ln_lstm_forward_step)(float *gates, const float *cPrev, float *c, float *h, float *normalized,
                                 float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize);
    /// dGates (B, 4H) out (may be gates); dC (B, H) in and out; sums (10H) +=; dState (B, H) scratch.
    void (*ln_lstm_backward_step)(float *dGates, float *dC, float *sums, const float *dH, const float *gates,
                                  const float *cPrev, const float *normalized, const float *rstd, const float *gamma,
                                  const float *beta, float *dState, long batchSize, long hiddenSize);
    void (*ln_gru_forward_step)(float *gates, const float *hProj, const float *hPrev, float *h, float *normalized,
                                float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize);
    void (*ln_gru_backward_step)(float *dGatesX, float *dGatesH, float *dHPrev, float *sums, const float *dH,
                                 const float *gates, const float *hPrev, const float *normalized, const float *rstd,
                                 const float *gamma, const float *beta, long batchSize, long hiddenSize);
    /// relu: 0 for tanh, 1 for relu.
    void (*ln_rnn_forward_step)(float *gates, float *h, float *normalized, float *rstd, const float *gamma,
                                const float *beta, long batchSize, long hiddenSize, int relu);
    void (*ln_rnn_backward_step)(float *dGates, float *sums, const float *dH, const float *normalized,
                                 const float *rstd, const float *gamma, long batchSize, long hiddenSize, int relu);
} ck_kernel_set;

/// How many sets this build holds (0 off x86-64).
long ck_kernel_set_count(void);
/// Set `index` (0 ..< ck_kernel_set_count()), slowest first. A set whose
/// cpu_supports() says 0 is listed all the same, and must not be called.
const ck_kernel_set *ck_kernel_set_at(long index);

#pragma clang assume_nonnull end
#endif
