// The lane primitives whose intrinsics differ between sets only in their
// prefix (VP, from the set's isa_*.h): written once. The others (masks,
// comparisons, selects, loads and stores under a mask) are each set's own.

CK_INLINE VEC k(float x) { return VP(set1_ps)(x); }
CK_INLINE VEC add(VEC a, VEC b) { return VP(add_ps)(a, b); }
CK_INLINE VEC sub(VEC a, VEC b) { return VP(sub_ps)(a, b); }
CK_INLINE VEC mul(VEC a, VEC b) { return VP(mul_ps)(a, b); }
CK_INLINE VEC dvd(VEC a, VEC b) { return VP(div_ps)(a, b); }
CK_INLINE VEC neg(VEC a) { return VP(xor_ps)(a, k(-0.0f)); }  // Swift's prefix −: flips the sign bit only

// The packed product's loads and FMAs (gemm_body.h): B panels are 64-byte aligned.
CK_INLINE VEC gemm_load_b(const float *p) { return VP(load_ps)(p); }
CK_INLINE VEC gemm_fmadd(VEC a, VEC b, VEC c) { return VP(fmadd_ps)(a, b, c); }
CK_INLINE VEC gemm_zero(void) { return VP(setzero_ps)(); }

// The blocking every packed product shares (gemm_body.h, dot_body.h, i8dot_body.h): the m rows cut
// into ceil(m / MR) groups of even size (base or base + 1 rows), the n columns into panels of
// GEMM_NR taken `panels_at_once(rows of the larger group)` at a time; panels outer, groups inner
// (a panel is read from L3 once per call, then from L1/L2 by the other groups). The body runs one
// block and sees q0 (its first panel), p (panels in it), r0 (its first row) and rows.
#define CK_FOR_EACH_BLOCK(m, n, MR, panels_at_once, ...)                                        \
    do {                                                                                          \
        long groups_ = ((m) + (MR) - 1) / (MR), base_ = (m) / groups_, extra_ = (m) % groups_;    \
        long panels_ = ((n) + GEMM_NR - 1) / GEMM_NR;                                             \
        int chunk_ = panels_at_once(base_ + (extra_ > 0));                                        \
        for (long q0 = 0; q0 < panels_; q0 += chunk_) {                                           \
            int p = panels_ - q0 < chunk_ ? (int)(panels_ - q0) : chunk_;                         \
            long r0 = 0;                                                                          \
            for (long g_ = 0; g_ < groups_; g_++) {                                               \
                long rows = base_ + (g_ < extra_);                                                \
                __VA_ARGS__;                                                                      \
                r0 += rows;                                                                       \
            }                                                                                     \
        }                                                                                         \
    } while (0)
