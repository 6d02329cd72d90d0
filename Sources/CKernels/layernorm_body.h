// The layer-normalized cells' steps (Sources/RNN/LayerNorm*Cell.swift: LSTM, GRU
// and RNN), forward and backward, written once for every fast set: each set's
// compile unit includes it after its lane primitives (isa_*.h, with the acc16
// reductions: 16 floats at a time, one zmm or two ymm, folded by acc16_sum in
// LayerNorm.sum's order: 8 = low + high, then 4, 2, 1) and the activations.
// Not compiled on its own.
//
// Bit for bit with the Swift twin: the same operations in the same order,
// the reductions in 16 lanes then the row's tail one by one as LayerNorm does,
// element-wise code with the same association; no FMA (`fp contract(off)` in
// kernels_body.h). Tested by RNNTests.GateKernelTests.

/// x̂ = (v − mean)·s, s = 1/sqrt(var + 1e-5) over h values (LayerNorm.forward). Returns s.
CK_INLINE float ln_forward(float *xn, const float *v, long h) {
    acc16 sum16 = acc16_zero();
    long j = 0;
    for (; j + 16 <= h; j += 16) sum16 = acc16_add(sum16, acc16_load(v + j));
    float sum = acc16_sum(sum16);
    for (; j < h; j++) sum += v[j];
    const float mean = sum / (float)h;
    acc16 sq16 = acc16_zero();
    const acc16 mean16 = acc16_set(mean);
    for (j = 0; j + 16 <= h; j += 16) {
        acc16 d = acc16_sub(acc16_load(v + j), mean16);
        sq16 = acc16_add(sq16, acc16_mul(d, d));
    }
    float sq = acc16_sum(sq16);
    for (; j < h; j++) { float d = v[j] - mean; sq += d * d; }
    const float s = 1.0f / sqrtf(sq / (float)h + 1e-5f);
    const acc16 s16 = acc16_set(s);
    for (j = 0; j + 16 <= h; j += 16) acc16_store(xn + j, acc16_mul(acc16_sub(acc16_load(v + j), mean16), s16));
    for (; j < h; j++) xn[j] = (v[j] - mean) * s;
    return s;
}

/// dγ += dy⊙x̂, dβ += dy, dv = s·(dy⊙γ − mean(dy⊙γ) − x̂·mean(dy⊙γ⊙x̂)) (LayerNorm.backward); dv may be dy.
CK_INLINE void ln_backward(float *dv, float *dGamma, float *dBeta, const float *dy, const float *xn,
                           const float *gamma, float s, long h) {
    acc16 a16 = acc16_zero(), b16 = acc16_zero();
    long j = 0;
    for (; j + 16 <= h; j += 16) {
        acc16 d = acc16_load(dy + j), x = acc16_load(xn + j), dyg = acc16_mul(d, acc16_load(gamma + j));
        a16 = acc16_add(a16, dyg);
        b16 = acc16_add(b16, acc16_mul(dyg, x));
        acc16_store(dGamma + j, acc16_add(acc16_load(dGamma + j), acc16_mul(d, x)));
        acc16_store(dBeta + j, acc16_add(acc16_load(dBeta + j), d));
    }
    float a = acc16_sum(a16), b = acc16_sum(b16);
    for (; j < h; j++) {
        float dyg = dy[j] * gamma[j];
        a += dyg; b += dyg * xn[j];
        dGamma[j] += dy[j] * xn[j]; dBeta[j] += dy[j];
    }
    const float meanA = a / (float)h, meanB = b / (float)h;
    const acc16 meanA16 = acc16_set(meanA), meanB16 = acc16_set(meanB), s16 = acc16_set(s);
    for (j = 0; j + 16 <= h; j += 16) {
        acc16 dyg = acc16_mul(acc16_load(dy + j), acc16_load(gamma + j));
        acc16_store(dv + j, acc16_mul(s16, acc16_sub(acc16_sub(dyg, meanA16), acc16_mul(acc16_load(xn + j), meanB16))));
    }
    for (; j < h; j++) dv[j] = s * (dy[j] * gamma[j] - meanA - xn[j] * meanB);
}

/// â = γ ⊙ x̂ + β of block `at` (offset into the 5H row), lanes from j.
CK_INLINE VEC ln_pre(const float *gamma, const float *xn, const float *beta, long at, long j, LANES m) {
    return add(mul(ld(m, gamma + at + j), ld(m, xn + at + j)), ld(m, beta + at + j));
}

CK_INLINE void ln_lstm_gates_lanes(float *z, const float *cp, float *cn, const float *xn, const float *gamma,
                                   const float *beta, long hs, long j, LANES m) {
    VEC i = ck_sigmoid(ln_pre(gamma, xn, beta, 0, j, m)), f = ck_sigmoid(ln_pre(gamma, xn, beta, hs, j, m));
    VEC g = ck_tanh(ln_pre(gamma, xn, beta, 2 * hs, j, m)), o = ck_sigmoid(ln_pre(gamma, xn, beta, 3 * hs, j, m));
    st(m, z + j, i); st(m, z + hs + j, f); st(m, z + 2 * hs + j, g); st(m, z + 3 * hs + j, o);
    st(m, cn + j, add(mul(f, ld(m, cp + j)), mul(i, g)));
}

CK_INLINE void ln_lstm_output_lanes(const float *z, float *hn, const float *xn, const float *gamma,
                                    const float *beta, long hs, long j, LANES m) {
    st(m, hn + j, mul(ld(m, z + 3 * hs + j), ck_tanh(ln_pre(gamma, xn, beta, 4 * hs, j, m))));
}

/// LayerNormLSTMCell.forwardStep: per row, the four gate blocks normalized and
/// activated, c' = f⊙c + i⊙g, c' normalized, h' = o ⊙ tanh(LN(c')).
static CK_TARGET void ln_lstm_forward_step(float *gates, const float *cPrev, float *c, float *h,
                                                 float *normalized, float *rstd, const float *gamma,
                                                 const float *beta, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *z = gates + row * 4 * hs, *xn = normalized + row * 5 * hs, *s = rstd + row * 5;
        const float *cp = cPrev + row * hs;
        float *cn = c + row * hs, *hn = h + row * hs;
        for (long gate = 0; gate < 4; gate++) s[gate] = ln_forward(xn + gate * hs, z + gate * hs, hs);
#define LN_GATES(j, m) ln_lstm_gates_lanes(z, cp, cn, xn, gamma, beta, hs, j, m)
        FOR_LANES(hs, LN_GATES);
#undef LN_GATES
        s[4] = ln_forward(xn + 4 * hs, cn, hs);
#define LN_OUT(j, m) ln_lstm_output_lanes(z, hn, xn, gamma, beta, hs, j, m)
        FOR_LANES(hs, LN_OUT);
#undef LN_OUT
    }
}

CK_INLINE void ln_lstm_state_lanes(const float *z, float *dz, const float *dh, float *ds, const float *xn,
                                   const float *gamma, const float *beta, long hs, long j, LANES m) {
    const VEC one = k(1.0f);
    VEC o = ld(m, z + 3 * hs + j), dhj = ld(m, dh + j);
    VEC tc = ck_tanh(ln_pre(gamma, xn, beta, 4 * hs, j, m));
    st(m, ds + j, mul(mul(dhj, o), sub(one, mul(tc, tc))));
    st(m, dz + 3 * hs + j, mul(mul(dhj, tc), mul(o, sub(one, o))));
}

CK_INLINE void ln_lstm_cell_lanes(const float *z, float *dz, float *dc, const float *ds, const float *cp,
                                  long hs, long j, LANES m) {
    const VEC one = k(1.0f);
    VEC i = ld(m, z + j), f = ld(m, z + hs + j), g = ld(m, z + 2 * hs + j);  // read before dz (may be z) is written
    VEC dcj = add(ld(m, dc + j), ld(m, ds + j));
    st(m, dz + j, mul(mul(dcj, g), mul(i, sub(one, i))));
    st(m, dz + hs + j, mul(mul(dcj, ld(m, cp + j)), mul(f, sub(one, f))));
    st(m, dz + 2 * hs + j, mul(mul(dcj, i), sub(one, mul(g, g))));
    st(m, dc + j, mul(dcj, f));
}

/// LayerNormLSTMCell.backwardStep: d LN(c') and dâ_o, back through LN(c') into dc,
/// the gates' dâ, dc_prev = dc ⊙ f, then each gate block back through its LN.
/// sums: dγ (5H) then dβ (5H), added to. dGates may be gates.
static CK_TARGET void ln_lstm_backward_step(float *dGates, float *dC, float *sums, const float *dH,
                                                  const float *gates, const float *cPrev, const float *normalized,
                                                  const float *rstd, const float *gamma, const float *beta,
                                                  float *dState, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    float *dGamma = sums, *dBeta = sums + 5 * hs;
    for (long row = 0; row < batchSize; row++) {
        const float *z = gates + row * 4 * hs, *xn = normalized + row * 5 * hs, *s = rstd + row * 5;
        const float *cp = cPrev + row * hs, *dh = dH + row * hs;
        float *dz = dGates + row * 4 * hs, *dc = dC + row * hs, *ds = dState + row * hs;
#define LN_STATE(j, m) ln_lstm_state_lanes(z, dz, dh, ds, xn, gamma, beta, hs, j, m)
        FOR_LANES(hs, LN_STATE);
#undef LN_STATE
        ln_backward(ds, dGamma + 4 * hs, dBeta + 4 * hs, ds, xn + 4 * hs, gamma + 4 * hs, s[4], hs);
#define LN_CELL(j, m) ln_lstm_cell_lanes(z, dz, dc, ds, cp, hs, j, m)
        FOR_LANES(hs, LN_CELL);
#undef LN_CELL
        for (long gate = 0; gate < 4; gate++) {
            const long at = gate * hs;
            ln_backward(dz + at, dGamma + at, dBeta + at, dz + at, xn + at, gamma + at, s[gate], hs);
        }
    }
}

// MARK: GRU (LayerNormGRUCell: blocks r, z, n-input, n-hidden; gates r, z, n)

CK_INLINE void ln_gru_gates_lanes(float *x, const float *hp, float *ho, const float *xn, const float *gamma,
                                  const float *beta, long hs, long j, LANES m) {
    VEC r = ck_sigmoid(ln_pre(gamma, xn, beta, 0, j, m)), z = ck_sigmoid(ln_pre(gamma, xn, beta, hs, j, m));
    VEC n = ck_tanh(add(ln_pre(gamma, xn, beta, 2 * hs, j, m), mul(r, ln_pre(gamma, xn, beta, 3 * hs, j, m))));
    st(m, x + j, r); st(m, x + hs + j, z); st(m, x + 2 * hs + j, n);
    st(m, ho + j, add(n, mul(z, sub(ld(m, hp + j), n))));  // (1 − z)·n + z·h
}

/// LayerNormGRUCell.forwardStep: r and z normalize both sides' sum, n-input and
/// n-hidden apart; n = tanh(LN(W_in·x) + r ⊙ LN(W_hn·h)), h' = (1 − z)⊙n + z⊙h.
static CK_TARGET void ln_gru_forward_step(float *gates, const float *hProj, const float *hPrev, float *h,
                                                float *normalized, float *rstd, const float *gamma,
                                                const float *beta, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *x = gates + row * 3 * hs, *xn = normalized + row * 4 * hs, *s = rstd + row * 4, *ho = h + row * hs;
        const float *p = hProj + row * 3 * hs, *hp = hPrev + row * hs;
        for (long j = 0; j < hs; j++) { x[j] += p[j]; x[hs + j] += p[hs + j]; }
        s[0] = ln_forward(xn, x, hs);
        s[1] = ln_forward(xn + hs, x + hs, hs);
        s[2] = ln_forward(xn + 2 * hs, x + 2 * hs, hs);
        s[3] = ln_forward(xn + 3 * hs, p + 2 * hs, hs);
#define LN_GRU(j, m) ln_gru_gates_lanes(x, hp, ho, xn, gamma, beta, hs, j, m)
        FOR_LANES(hs, LN_GRU);
#undef LN_GRU
    }
}

CK_INLINE void ln_gru_backward_lanes(const float *x, float *dx, float *dr, float *dp, const float *hp, const float *dh,
                                     const float *xn, const float *gamma, const float *beta, long hs, long j, LANES m) {
    const VEC one = k(1.0f);
    VEC r = ld(m, x + j), z = ld(m, x + hs + j), n = ld(m, x + 2 * hs + j), d = ld(m, dh + j);  // before dx (may be x)
    VEC nh = ln_pre(gamma, xn, beta, 3 * hs, j, m);
    VEC dn = mul(mul(d, sub(one, z)), sub(one, mul(n, n)));
    st(m, dx + j, mul(mul(dn, nh), mul(r, sub(one, r))));
    st(m, dx + hs + j, mul(mul(d, sub(ld(m, hp + j), n)), mul(z, sub(one, z))));
    st(m, dx + 2 * hs + j, dn);
    st(m, dr + 2 * hs + j, mul(dn, r));
    st(m, dp + j, add(ld(m, dp + j), mul(d, z)));
}

/// LayerNormGRUCell.backwardStep. sums: dγ (4H) then dβ (4H), added to; dHPrev += dh ⊙ z.
static CK_TARGET void ln_gru_backward_step(float *dGatesX, float *dGatesH, float *dHPrev, float *sums,
                                                 const float *dH, const float *gates, const float *hPrev,
                                                 const float *normalized, const float *rstd, const float *gamma,
                                                 const float *beta, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    float *dGamma = sums, *dBeta = sums + 4 * hs;
    for (long row = 0; row < batchSize; row++) {
        const float *x = gates + row * 3 * hs, *xn = normalized + row * 4 * hs, *s = rstd + row * 4;
        const float *hp = hPrev + row * hs, *dh = dH + row * hs;
        float *dx = dGatesX + row * 3 * hs, *dr = dGatesH + row * 3 * hs, *dp = dHPrev + row * hs;
#define LN_GRU_BWD(j, m) ln_gru_backward_lanes(x, dx, dr, dp, hp, dh, xn, gamma, beta, hs, j, m)
        FOR_LANES(hs, LN_GRU_BWD);
#undef LN_GRU_BWD
        ln_backward(dx, dGamma, dBeta, dx, xn, gamma, s[0], hs);
        ln_backward(dx + hs, dGamma + hs, dBeta + hs, dx + hs, xn + hs, gamma + hs, s[1], hs);
        ln_backward(dx + 2 * hs, dGamma + 2 * hs, dBeta + 2 * hs, dx + 2 * hs, xn + 2 * hs, gamma + 2 * hs, s[2], hs);
        ln_backward(dr + 2 * hs, dGamma + 3 * hs, dBeta + 3 * hs, dr + 2 * hs, xn + 3 * hs, gamma + 3 * hs, s[3], hs);
        memcpy(dr, dx, (size_t)(2 * hs) * sizeof(float));  // r and z: the same on both sides
    }
}

// MARK: RNN (LayerNormRNNCell: h' = φ(LN(a)), one block)

CK_INLINE void ln_rnn_lanes(float *z, float *out, const float *xn, const float *gamma, const float *beta,
                            long j, LANES m, int relu) {
    VEC pre = ln_pre(gamma, xn, beta, 0, j, m);
    VEC y = relu ? ck_relu(pre) : ck_tanh(pre);
    st(m, z + j, y); st(m, out + j, y);
}

/// LayerNormRNNCell.forwardStep: h' = φ(LN(a)), kept in gates and written to h.
static CK_TARGET void ln_rnn_forward_step(float *gates, float *h, float *normalized, float *rstd,
                                                const float *gamma, const float *beta, long batchSize,
                                                long hiddenSize, int relu) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *z = gates + row * hs, *out = h + row * hs, *xn = normalized + row * hs;
        rstd[row] = ln_forward(xn, z, hs);
#define LN_RNN(j, m) ln_rnn_lanes(z, out, xn, gamma, beta, j, m, relu)
        FOR_LANES(hs, LN_RNN);
#undef LN_RNN
    }
}

/// LayerNormRNNCell.backwardStep: per row, dâ = dh ⊙ φ'(h') (the plain RNN kernels'
/// derivative), then through LN. dGates holds h' on entry (read, then overwritten).
/// sums: dγ (H) then dβ (H), added to.
static CK_TARGET void ln_rnn_backward_step(float *dGates, float *sums, const float *dH, const float *normalized,
                                                 const float *rstd, const float *gamma, long batchSize,
                                                 long hiddenSize, int relu) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *dz = dGates + row * hs;
        if (relu) rnn_relu_backward_step(dz, dH + row * hs, dz, hs);
        else rnn_tanh_backward_step(dz, dH + row * hs, dz, hs);
        ln_backward(dz, sums, sums + hs, dz, normalized + row * hs, gamma, rstd[row], hs);
    }
}
