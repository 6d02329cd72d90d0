// The cells' fused gate kernels (LSTM, GRU, basic RNN), forward and backward,
// written once for every fast set: each set's compile unit includes it after
// its lane primitives (isa_*.h) and the activations (kernels_body.h). The
// Swift twins are `forwardStep` / `backwardStep` in Sources/RNN/LSTMCell.swift,
// GRUCell.swift and BasicRNNCell.swift; the contracts are the table's
// (include/ck_kernels.h). Each kernel is a `*_lanes` body for WIDTH hidden
// units starting at j under lane mask m, run over a row by FOR_LANES.

// MARK: LSTM

// Forward, per unit (blocks i, f, g, o of a (4H) row; biasHH b):
//     i = σ(z_i + b_i)  f = σ(z_f + b_f)  g = tanh(z_g + b_g)  o = σ(z_o + b_o)
//     c' = f·c + i·g    tanhC = tanh c'    h' = o·tanhC
// Backward (dc in: from later steps; out: dc_prev):
//     dc = dc + (dh·o)·(1 − t·t)   (t = tanh c')
//     dz_i = (dc·g)·(i(1 − i))   dz_f = (dc·c)·(f(1 − f))   dz_g = (dc·i)·(1 − g·g)
//     dz_o = (dh·t)·(o(1 − o))   dc_prev = dc·f

CK_INLINE void lstm_forward_lanes(float *z, const float *b, const float *cp, float *cn, float *tc, float *hn,
                                  long hs, long j, LANES m) {
    float *zI = z, *zF = z + hs, *zG = z + 2 * hs, *zO = z + 3 * hs;
    const float *bI = b, *bF = b + hs, *bG = b + 2 * hs, *bO = b + 3 * hs;
    VEC i = ck_sigmoid(add(ld(m, zI + j), ld(m, bI + j)));
    VEC f = ck_sigmoid(add(ld(m, zF + j), ld(m, bF + j)));
    VEC g = ck_tanh(add(ld(m, zG + j), ld(m, bG + j)));
    VEC o = ck_sigmoid(add(ld(m, zO + j), ld(m, bO + j)));
    st(m, zI + j, i); st(m, zF + j, f); st(m, zG + j, g); st(m, zO + j, o);
    VEC cj = add(mul(f, ld(m, cp + j)), mul(i, g));
    VEC t = ck_tanh(cj);
    st(m, cn + j, cj); st(m, tc + j, t); st(m, hn + j, mul(o, t));
}

static CK_TARGET void lstm_forward_step(float *gates, const float *biasHH, const float *cPrev, float *c,
                                    float *tanhC, float *h, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *z = gates + row * 4 * hs;
        const float *cp = cPrev + row * hs;
        float *cn = c + row * hs, *tc = tanhC + row * hs, *hn = h + row * hs;
#define LSTM_FWD(j, m) lstm_forward_lanes(z, biasHH, cp, cn, tc, hn, hs, j, m)
        FOR_LANES(hs, LSTM_FWD);
#undef LSTM_FWD
    }
}

CK_INLINE void lstm_backward_lanes(const float *z, const float *cp, const float *cn, const float *dh, float *dc,
                                   float *dz, long hs, long j, LANES m) {
    const VEC one = k(1.0f);
    VEC i = ld(m, z + j), f = ld(m, z + hs + j), g = ld(m, z + 2 * hs + j), o = ld(m, z + 3 * hs + j);
    VEC t = ck_tanh(ld(m, cn + j)), dhj = ld(m, dh + j);  // tanh c' recomputed, as the forward computed it
    VEC dcj = add(ld(m, dc + j), mul(mul(dhj, o), sub(one, mul(t, t))));
    st(m, dz + j, mul(mul(dcj, g), mul(i, sub(one, i))));
    st(m, dz + hs + j, mul(mul(dcj, ld(m, cp + j)), mul(f, sub(one, f))));
    st(m, dz + 2 * hs + j, mul(mul(dcj, i), sub(one, mul(g, g))));
    st(m, dz + 3 * hs + j, mul(mul(dhj, t), mul(o, sub(one, o))));
    st(m, dc + j, mul(dcj, f));
}

static CK_TARGET void lstm_backward_step(const float *gates, const float *cPrev, const float *c, const float *dH,
                                     float *dC, float *dGates, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        const float *z = gates + row * 4 * hs;
        float *dz = dGates + row * 4 * hs;
        const float *cp = cPrev + row * hs, *cn = c + row * hs, *dh = dH + row * hs;
        float *dc = dC + row * hs;
#define LSTM_BWD(j, m) lstm_backward_lanes(z, cp, cn, dh, dc, dz, hs, j, m)
        FOR_LANES(hs, LSTM_BWD);
#undef LSTM_BWD
    }
}

// MARK: GRU

// Forward, per unit (blocks r, z, n of a (3H) row; x the input side, p = h·W_hhᵀ, b = b_hh):
//     r = σ(x_r + (p_r + b_r))   z = σ(x_z + (p_z + b_z))
//     hn = p_n + b_n             n = tanh(x_n + r·hn)       h' = n + z·(h − n)
// Backward:
//     dPreN = (dh·(1 − z))·(1 − n·n)   dPreR = (dPreN·hn)·(r(1 − r))   dPreZ = (dh·(h − n))·(z(1 − z))
//     dX = (dPreR, dPreZ, dPreN)       dR = (dPreR, dPreZ, dPreN·r)     dh_prev = dh_prev + dh·z

CK_INLINE void gru_forward_lanes(float *x, const float *p, const float *b, const float *hp, float *hnRow, float *ho,
                                 long hs, long j, LANES m) {
    float *rG = x, *zG = x + hs, *nG = x + 2 * hs;
    const float *pR = p, *pZ = p + hs, *pN = p + 2 * hs;
    const float *bR = b, *bZ = b + hs, *bN = b + 2 * hs;
    VEC r = ck_sigmoid(add(ld(m, rG + j), add(ld(m, pR + j), ld(m, bR + j))));
    VEC z = ck_sigmoid(add(ld(m, zG + j), add(ld(m, pZ + j), ld(m, bZ + j))));
    VEC hnj = add(ld(m, pN + j), ld(m, bN + j));
    VEC n = ck_tanh(add(ld(m, nG + j), mul(r, hnj)));
    st(m, rG + j, r); st(m, zG + j, z); st(m, nG + j, n); st(m, hnRow + j, hnj);
    st(m, ho + j, add(n, mul(z, sub(ld(m, hp + j), n))));  // (1 − z)·n + z·h
}

static CK_TARGET void gru_forward_step(float *gates, const float *hProj, const float *biasHH, const float *hPrev,
                                   float *hn, float *h, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *x = gates + row * 3 * hs;
        const float *p = hProj + row * 3 * hs, *hp = hPrev + row * hs;
        float *hnRow = hn + row * hs, *ho = h + row * hs;
#define GRU_FWD(j, m) gru_forward_lanes(x, p, biasHH, hp, hnRow, ho, hs, j, m)
        FOR_LANES(hs, GRU_FWD);
#undef GRU_FWD
    }
}

CK_INLINE void gru_backward_lanes(const float *x, const float *hnRow, const float *hp, const float *dh,
                                  float *dx, float *dr, float *dp, long hs, long j, LANES m) {
    const VEC one = k(1.0f);
    VEC r = ld(m, x + j), z = ld(m, x + hs + j), n = ld(m, x + 2 * hs + j);
    VEC d = ld(m, dh + j);
    VEC dPreN = mul(mul(d, sub(one, z)), sub(one, mul(n, n)));
    VEC dPreR = mul(mul(dPreN, ld(m, hnRow + j)), mul(r, sub(one, r)));
    VEC dPreZ = mul(mul(d, sub(ld(m, hp + j), n)), mul(z, sub(one, z)));
    st(m, dx + j, dPreR); st(m, dr + j, dPreR);
    st(m, dx + hs + j, dPreZ); st(m, dr + hs + j, dPreZ);
    st(m, dx + 2 * hs + j, dPreN); st(m, dr + 2 * hs + j, mul(dPreN, r));
    st(m, dp + j, add(ld(m, dp + j), mul(d, z)));
}

static CK_TARGET void gru_backward_step(const float *gates, const float *hn, const float *hPrev, const float *dH,
                                    float *dGatesX, float *dGatesH, float *dHPrev, long batchSize, long hiddenSize) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        const float *x = gates + row * 3 * hs;
        float *dx = dGatesX + row * 3 * hs, *dr = dGatesH + row * 3 * hs;
        const float *hnRow = hn + row * hs, *hp = hPrev + row * hs, *dh = dH + row * hs;
        float *dp = dHPrev + row * hs;
#define GRU_BWD(j, m) gru_backward_lanes(x, hnRow, hp, dh, dx, dr, dp, hs, j, m)
        FOR_LANES(hs, GRU_BWD);
#undef GRU_BWD
    }
}

// MARK: Basic RNN

// Forward: h' = φ(z + b), written to both gates and h.  Backward: d(pre) = dh·φ'(h'),
// tanh' = 1 − h'·h', relu' = (h' > 0 ? 1 : 0).

// `relu` is a constant at each call site below, so each exported function is
// compiled with its own activation inlined (no branch per vector).
CK_INLINE void rnn_forward_lanes(float *z, const float *b, float *out, long j, LANES m, int relu) {
    VEC pre = add(ld(m, z + j), ld(m, b + j));
    VEC y = relu ? ck_relu(pre) : ck_tanh(pre);
    st(m, z + j, y); st(m, out + j, y);
}

CK_INLINE void rnn_forward_rows(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize, int relu) {
    const long hs = hiddenSize;
    for (long row = 0; row < batchSize; row++) {
        float *z = gates + row * hs, *out = h + row * hs;
#define RNN_FWD(j, m) rnn_forward_lanes(z, biasHH, out, j, m, relu)
        FOR_LANES(hs, RNN_FWD);
#undef RNN_FWD
    }
}

static CK_TARGET void rnn_tanh_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    rnn_forward_rows(gates, biasHH, h, batchSize, hiddenSize, 0);
}

static CK_TARGET void rnn_relu_forward_step(float *gates, const float *biasHH, float *h, long batchSize, long hiddenSize) {
    rnn_forward_rows(gates, biasHH, h, batchSize, hiddenSize, 1);
}

CK_INLINE void rnn_tanh_backward_lanes(const float *y, const float *dh, float *dz, long j, LANES m) {
    VEC yj = ld(m, y + j);
    st(m, dz + j, mul(ld(m, dh + j), sub(k(1.0f), mul(yj, yj))));
}

CK_INLINE void rnn_relu_backward_lanes(const float *y, const float *dh, float *dz, long j, LANES m) {
    VEC derivative = sel(gt(ld(m, y + j), k(0.0f)), k(1.0f), k(0.0f));
    st(m, dz + j, mul(ld(m, dh + j), derivative));
}

static CK_TARGET void rnn_tanh_backward_step(const float *output, const float *dH, float *dGates, long count) {
#define RNN_TANH_BWD(j, m) rnn_tanh_backward_lanes(output, dH, dGates, j, m)
    FOR_LANES(count, RNN_TANH_BWD);
#undef RNN_TANH_BWD
}

static CK_TARGET void rnn_relu_backward_step(const float *output, const float *dH, float *dGates, long count) {
#define RNN_RELU_BWD(j, m) rnn_relu_backward_lanes(output, dH, dGates, j, m)
    FOR_LANES(count, RNN_RELU_BWD);
#undef RNN_RELU_BWD
}
