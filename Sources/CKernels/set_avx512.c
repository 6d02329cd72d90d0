// The avx512 kernel set: AVX-512 F/DQ/BW/VL + FMA (Intel Xeons since Skylake-SP, AMD Zen 4).
// Why its own set: a portable x86-64 Swift build lowers Elementwise's SIMD16
// exp / tanh / sigmoid to four SSE registers; one zmm register does their work,
// and 32 registers hold a 12 × 32 GEMM block.
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include "isa_avx512.h"
#include "kernels_body.h"
#endif
