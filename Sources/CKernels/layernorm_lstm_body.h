// The layer-normalized LSTM step (Sources/RNN/LayerNormCells.swift), forward and
// backward, written once for both fast kernel sets: gates.c includes it with
// 16-lane AVX-512 vectors, gates_avx2.c with 8-lane AVX2 ones. Not compiled on
// its own. The including file defines, before including it:
//
//   VEC, LANES, FOR_LANES(hs, body)   its lane vector, lane mask and row loop
//   k add sub mul ld st ck_sigmoid ck_tanh   its lane-wise operations
//   acc16 and acc16_zero / _load / _set / _add / _sub / _mul / _store / _sum:
//       16 floats at a time (one zmm, or two ymm), folded by acc16_sum in
//       LayerNorm.sum's order (8 = low + high, then 4, 2, 1)
//   LN_NAME(name)   the exported name (name, or name_avx2)
//
// Bit for bit with the Swift twin: the same operations in the same order,
// the reductions in 16 lanes then the row's tail one by one as LayerNorm does,
// element-wise code with the same association; no FMA (`fp contract(off)` in the
// including file). Tested by RNNTests.GateKernelTests.

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
CK_TARGET void LN_NAME(ck_ln_lstm_forward_step)(float *gates, const float *cPrev, float *c, float *h,
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
CK_TARGET void LN_NAME(ck_ln_lstm_backward_step)(float *dGates, float *dC, float *sums, const float *dH,
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
