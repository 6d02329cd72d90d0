// The activations of the gate kernels, lane by lane, written once for every
// fast set (Elementwise.swift's exp / sigmoid / tanh / relu, the Swift twins).
// Not compiled on its own: kernels_body.h includes it after the set's isa_*.h.
//
// Bit for bit: the same operations as the Swift code in the same order, the
// same constants (same bit patterns), the same clamps and selects, so the same
// NaN behaviour. Multiplies and adds stay separate: no FMA, which would round
// once where Swift rounds twice (`fp contract(off)` in kernels_body.h stops the
// compiler from fusing on its own). Swift reads `a * b * c` as `(a * b) * c`;
// so do the comments.

/// eˣ: clamp to [−87, 88], 2ⁿ·eʳ with n = round(x·log₂e), eʳ a degree-6 polynomial.
CK_INLINE VEC ck_exp(VEC x) {
    VEC clamped = sel(lt(x, k(-87.0f)), k(-87.0f), x);  // NaN fails both tests and stays NaN
    clamped = sel(gt(x, k(88.0f)), k(88.0f), clamped);
    const VEC shifter = k(12582912.0f);                 // 1.5·2²³
    VEC t = add(mul(clamped, k(1.44269504f)), shifter);
    VEC n = sub(t, shifter);
    VEC r = sub(clamped, mul(n, k(0.693359375f)));
    r = add(r, mul(n, k(2.1219444e-4f)));
    VEC z = mul(r, r);
    VEC p = k(1.98756915e-4f);
    p = add(mul(p, r), k(1.39819995e-3f));
    p = add(mul(p, r), k(8.3334519e-3f));
    p = add(mul(p, r), k(4.16657959e-2f));
    p = add(mul(p, r), k(1.66666655e-1f));
    p = add(mul(p, r), k(5.00000012e-1f));
    p = add(add(mul(p, z), r), k(1.0f));
    return mul(p, pow2_from_bits(t));
}

/// σ(x) = 1 / (1 + e⁻ˣ).
CK_INLINE VEC ck_sigmoid(VEC x) { return dvd(k(1.0f), add(k(1.0f), ck_exp(neg(x)))); }

/// tanh x: odd polynomial for |x| < 0.625, (1 − e)/(1 + e) with e = e^(−2|x|) beyond, sign restored.
CK_INLINE VEC ck_tanh(VEC x) {
    VEC a = vabs(x);
    VEC e = ck_exp(mul(k(-2.0f), a));
    VEC large = dvd(sub(k(1.0f), e), add(k(1.0f), e));
    VEC z = mul(x, x);
    VEC p = k(-5.70498872e-3f);
    p = add(mul(p, z), k(2.06390888e-2f));
    p = sub(mul(p, z), k(5.37397155e-2f));
    p = add(mul(p, z), k(1.33314422e-1f));
    p = sub(mul(p, z), k(3.33332819e-1f));
    VEC small = add(x, mul(mul(x, z), p));
    VEC signedLarge = sel(lt(x, k(0.0f)), neg(large), large);
    return sel(lt(a, k(0.625f)), small, signedLarge);  // NaN: a < 0.625 is false, large is NaN
}

/// max(x, 0); NaN and −0 stay.
CK_INLINE VEC ck_relu(VEC x) { return sel(lt(x, k(0.0f)), k(0.0f), x); }

/// body(j, lanes) for each whole vector of a row of n values, then for its tail under a mask.
#define FOR_LANES(n, body)                                            \
    do {                                                              \
        long j_ = 0;                                                  \
        for (; j_ + WIDTH <= (n); j_ += WIDTH) body(j_, full_lanes()); \
        if (j_ < (n)) body(j_, tail_lanes((n) - j_));                 \
    } while (0)
