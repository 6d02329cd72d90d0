#include "ck_cpu.h"

// The compiler runtime's CPU model also checks that the OS saves the ymm/zmm
// registers (XGETBV), so a CPU whose OS does not save them says no.

int ck_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int ck_cpu_has_avx512(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}
