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

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
int ck_avx512bf16_probe(void);  // set_avx512bf16.c
#endif

int ck_cpu_has_avx512_bf16(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    static int answer = -1;  // racing first callers compute the same answer
    if (answer < 0) answer = ck_cpu_has_avx512() && __builtin_cpu_supports("avx512bf16")
                          && __builtin_cpu_supports("avx512vnni") && ck_avx512bf16_probe();
    return answer;
#else
    return 0;
#endif
}
