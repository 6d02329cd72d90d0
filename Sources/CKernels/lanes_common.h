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
