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
#include "gemm_body.h"

const ck_kernel_set CK_SET_ROW = {
    .name = CK_SET_NAME,
    .instructions = CK_SET_INSTRUCTIONS,
    .vector_bits = CK_SET_VECTOR_BITS,
    .cpu_supports = CK_SET_SUPPORTED,
    .gemm_nr = GEMM_NR,
    .sgemm_packed = sgemm_packed,
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
