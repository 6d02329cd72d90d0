#ifndef CHARRNN_CK_GATES_H
#define CHARRNN_CK_GATES_H
// AVX-512 (gates.c) and AVX2 (gates_avx2.c, the `_avx2` names) twins of the
// cells' fused gate kernels (Sources/RNN/LSTMCell.swift, GRUCell.swift,
// BasicRNNCell.swift: `forwardStep` / `backwardStep`). Same arguments, same
// shapes, same in-place conventions, and the same results bit for bit (no
// FMA in either): each Swift kernel calls its twin for `KernelSet.avx512` /
// `.avx2`. Call the plain names only after ck_cpu_has_avx512() said yes, the
// `_avx2` ones after ck_cpu_has_avx2_fma(). Letters: B batch rows, H hidden size.

#pragma clang assume_nonnull begin

// MARK: LSTM (gate blocks i, f, g, o in a (4H) row)

/// gates (B, 4H) in: pre-activations without b_hh; out: i, f, g, o. biasHH (4H).
/// cPrev (B, H); c, tanhC, h (B, H) out.
void ck_lstm_forward_step(float *gates, const float *biasHH, const float *cPrev, float *c,
                          float *tanhC, float *h, long batchSize, long hiddenSize);

/// gates (B, 4H) activated; cPrev (c), c (c', tanh c' is recomputed from it), dH (B, H);
/// dC (B, H) in: dL/dc, out: dL/dc_prev; dGates (B, 4H) out, may be `gates`.
void ck_lstm_backward_step(const float *gates, const float *cPrev, const float *c, const float *dH,
                           float *dC, float *dGates, long batchSize, long hiddenSize);

// MARK: GRU (gate blocks r, z, n in a (3H) row)

/// gates (B, 3H) in: input side; out: r, z, n. hProj (B, 3H) h·W_hhᵀ; biasHH (3H);
/// hPrev (B, H); hn (B, H) out: W_hn h + b_hn; h (B, H) out.
void ck_gru_forward_step(float *gates, const float *hProj, const float *biasHH, const float *hPrev,
                         float *hn, float *h, long batchSize, long hiddenSize);

/// gates (B, 3H) activated; hn, hPrev, dH (B, H); dGatesX (B, 3H) out, may be `gates`;
/// dGatesH (B, 3H) out; dHPrev (B, H) += dh ⊙ z.
void ck_gru_backward_step(const float *gates, const float *hn, const float *hPrev, const float *dH,
                          float *dGatesX, float *dGatesH, float *dHPrev, long batchSize, long hiddenSize);

// MARK: Basic RNN (one (H) block: h' itself)

/// gates (B, H) in: pre-activation without b_hh; out: h'. biasHH (H); h (B, H) out.
void ck_rnn_tanh_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize);
void ck_rnn_relu_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize);

/// dGates[k] = dH[k] · φ'(output[k]) for k < count; dGates may be `output`.
void ck_rnn_tanh_backward_step(const float *output, const float *dH, float *dGates, long count);
void ck_rnn_relu_backward_step(const float *output, const float *dH, float *dGates, long count);

// MARK: AVX2 + FMA twins (gates_avx2.c): the same contracts as above, 8 lanes at a time

void ck_lstm_forward_step_avx2(float *gates, const float *biasHH, const float *cPrev, float *c,
                               float *tanhC, float *h, long batchSize, long hiddenSize);
void ck_lstm_backward_step_avx2(const float *gates, const float *cPrev, const float *c, const float *dH,
                                float *dC, float *dGates, long batchSize, long hiddenSize);
void ck_gru_forward_step_avx2(float *gates, const float *hProj, const float *biasHH, const float *hPrev,
                              float *hn, float *h, long batchSize, long hiddenSize);
void ck_gru_backward_step_avx2(const float *gates, const float *hn, const float *hPrev, const float *dH,
                               float *dGatesX, float *dGatesH, float *dHPrev, long batchSize, long hiddenSize);
void ck_rnn_tanh_forward_step_avx2(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize);
void ck_rnn_relu_forward_step_avx2(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize);
void ck_rnn_tanh_backward_step_avx2(const float *output, const float *dH, float *dGates, long count);
void ck_rnn_relu_backward_step_avx2(const float *output, const float *dH, float *dGates, long count);

// MARK: Layer-normalized LSTM (layernorm_body.h): LayerNormLSTMCell.forwardStep / backwardStep

/// gates (B, 4H) in: a, out: i, f, g, o; normalized (B, 5H) and rstd (B, 5) out; gamma, beta (5H).
void ck_ln_lstm_forward_step(float *gates, const float *cPrev, float *c, float *h, float *normalized, float *rstd,
                             const float *gamma, const float *beta, long batchSize, long hiddenSize);
/// dGates (B, 4H) out (may be gates); dC (B, H) in and out; sums (10H) +=; dState (B, H) scratch.
void ck_ln_lstm_backward_step(float *dGates, float *dC, float *sums, const float *dH, const float *gates,
                              const float *cPrev, const float *normalized, const float *rstd, const float *gamma,
                              const float *beta, float *dState, long batchSize, long hiddenSize);
void ck_ln_lstm_forward_step_avx2(float *gates, const float *cPrev, float *c, float *h, float *normalized, float *rstd,
                                  const float *gamma, const float *beta, long batchSize, long hiddenSize);
void ck_ln_lstm_backward_step_avx2(float *dGates, float *dC, float *sums, const float *dH, const float *gates,
                                   const float *cPrev, const float *normalized, const float *rstd, const float *gamma,
                                   const float *beta, float *dState, long batchSize, long hiddenSize);

// MARK: Layer-normalized GRU and RNN (layernorm_body.h): LayerNormGRUCell / LayerNormRNNCell forwardStep / backwardStep

void ck_ln_gru_forward_step(float *gates, const float *hProj, const float *hPrev, float *h, float *normalized,
                             float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize);
void ck_ln_gru_backward_step(float *dGatesX, float *dGatesH, float *dHPrev, float *sums, const float *dH,
                              const float *gates, const float *hPrev, const float *normalized, const float *rstd,
                              const float *gamma, const float *beta, long batchSize, long hiddenSize);
/// relu: 0 for tanh, 1 for relu.
void ck_ln_rnn_forward_step(float *gates, float *h, float *normalized, float *rstd, const float *gamma,
                             const float *beta, long batchSize, long hiddenSize, int relu);
void ck_ln_rnn_backward_step(float *dGates, float *sums, const float *dH, const float *normalized,
                              const float *rstd, const float *gamma, long batchSize, long hiddenSize, int relu);

void ck_ln_gru_forward_step_avx2(float *gates, const float *hProj, const float *hPrev, float *h, float *normalized,
                             float *rstd, const float *gamma, const float *beta, long batchSize, long hiddenSize);
void ck_ln_gru_backward_step_avx2(float *dGatesX, float *dGatesH, float *dHPrev, float *sums, const float *dH,
                              const float *gates, const float *hPrev, const float *normalized, const float *rstd,
                              const float *gamma, const float *beta, long batchSize, long hiddenSize);
void ck_ln_rnn_forward_step_avx2(float *gates, float *h, float *normalized, float *rstd, const float *gamma,
                             const float *beta, long batchSize, long hiddenSize, int relu);
void ck_ln_rnn_backward_step_avx2(float *dGates, float *sums, const float *dH, const float *normalized,
                              const float *rstd, const float *gamma, long batchSize, long hiddenSize, int relu);

#pragma clang assume_nonnull end
#endif
