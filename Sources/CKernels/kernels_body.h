// One fast kernel set: every kernel body, written once, compiled with the lane
// primitives of the including file (isa_*.h), and the set's row of the table
// (include/ck_kernels.h). set_avx512.c and set_avx2.c are this file with
// their primitives; a new set is an isa_*.h, a set_*.c and a line in sets.c.

#pragma clang fp contract(off)   // no fusing: the gate kernels round as Swift does (the GEMM's FMAs are explicit)

#include "ck_cpu.h"
#include "ck_kernels.h"
#include <math.h>
#include <string.h>

#include "lanes_common.h"
#include "activations_body.h"
#include "gates_body.h"
#include "layernorm_body.h"

// The packed product, once per element type of B (gemm_body.h).
#define GEMM_BT float
#define GEMM_FN(x) x##_f32
#define GEMM_LOAD(p, lo, hi) ((lo) = gemm_load_b(p), (hi) = gemm_load_b((p) + GEMM_NR / 2))
#include "gemm_body.h"
#undef GEMM_BT
#undef GEMM_FN
#undef GEMM_LOAD

#define GEMM_BT uint16_t
#define GEMM_FN(x) x##_bf16
#define GEMM_LOAD(p, lo, hi) gemm_load_bf16_row(p, &(lo), &(hi))
#include "gemm_body.h"
#undef GEMM_BT
#undef GEMM_FN
#undef GEMM_LOAD

// The bf16 dot products of training (dot_body.h) and their operands' rounding (pairs_body.h).
#include "dot_body.h"
#include "ck_gemm.h"
#include "pairs_body.h"
// The int8 dot products of sampling from int8 weights (i8dot_body.h).
#include "i8dot_body.h"

static CK_TARGET void sgemm_packed(long m, long n, long k, const float *a, long lda, const float *packed, int beta,
                                   float *c, long ldc) {
    gemm_packed_f32(m, n, k, a, lda, packed, beta, c, ldc);
}
static CK_TARGET void sgemm_packed_bf16(long m, long n, long k, const float *a, long lda, const uint16_t *packed,
                                        int beta, float *c, long ldc) {
    gemm_packed_bf16(m, n, k, a, lda, packed, beta, c, ldc);
}

const ck_kernel_set CK_SET_ROW = {
    .name = CK_SET_NAME,
    .instructions = CK_SET_INSTRUCTIONS,
    .vector_bits = CK_SET_VECTOR_BITS,
    .cpu_supports = CK_SET_SUPPORTED,
    .gemm_nr = GEMM_NR,
    .sgemm_packed = sgemm_packed,
    .sgemm_packed_bf16 = sgemm_packed_bf16,
    .bf16_dot_native = DOT_NATIVE,
    .bf16_dot_packed = bf16_dot_packed,
    .bf16_round_pairs = bf16_round_pairs,
    .bf16_pack_pairs = bf16_pack_pairs,
    .i8_dot_native = I8_NATIVE,
    .i8_quantize_rows = i8_quantize_rows,
    .i8_dot_packed = i8_dot_packed,
    .lstm_forward_step = lstm_forward_step,
    .lstm_backward_step = lstm_backward_step,
    .gru_forward_step = gru_forward_step,
    .gru_backward_step = gru_backward_step,
    .rnn_tanh_forward_step = rnn_tanh_forward_step,
    .rnn_relu_forward_step = rnn_relu_forward_step,
    .rnn_tanh_backward_step = rnn_tanh_backward_step,
    .rnn_relu_backward_step = rnn_relu_backward_step,
    .ln_lstm_forward_step = ln_lstm_forward_step,
    .ln_lstm_backward_step = ln_lstm_backward_step,
    .ln_gru_forward_step = ln_gru_forward_step,
    .ln_gru_backward_step = ln_gru_backward_step,
    .ln_rnn_forward_step = ln_rnn_forward_step,
    .ln_rnn_backward_step = ln_rnn_backward_step,
};
