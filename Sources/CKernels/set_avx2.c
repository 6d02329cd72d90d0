// The avx2 kernel set: AVX2 + FMA (x86-64 CPUs since 2013–2015 without AVX-512:
// AMD Zen 1–4 client parts and Zen 3 servers, Intel client chips).
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "isa_avx2.h"
#include "kernels_body.h"
#endif
