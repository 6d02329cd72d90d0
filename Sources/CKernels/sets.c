// The table of kernel sets this build holds, slowest first. Off x86-64 it is
// empty: the portable Swift code (Sources/Tensor/Kernels.swift) is then the only set.
#include "ck_kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
extern const ck_kernel_set ck_set_avx2, ck_set_avx512, ck_set_avx512bf16;
static const ck_kernel_set *const sets[] = {&ck_set_avx2, &ck_set_avx512, &ck_set_avx512bf16};
long ck_kernel_set_count(void) { return (long)(sizeof sets / sizeof sets[0]); }
const ck_kernel_set *ck_kernel_set_at(long index) { return sets[index]; }
#else
long ck_kernel_set_count(void) { return 0; }
const ck_kernel_set *ck_kernel_set_at(long index) { (void)index; return 0; }
#endif
