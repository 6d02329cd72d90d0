#ifndef CHARRNN_CK_UNREACHABLE_H
#define CHARRNN_CK_UNREACHABLE_H
// What the AVX2 and AVX-512 kernels are when CKernels is compiled for another
// architecture (ARM64, …): a stop with a message, never a silent return that
// would leave their outputs as they were. They cannot be reached: off x86-64
// the checks in cpu.c return 0, so `Kernels.available` (Sources/Tensor/
// Kernels.swift) is [.portable], `Kernels.current` is portable and
// `CHARRNN_KERNELS=avx2|avx512` is refused at start; only a caller that passed
// a set `Kernels.available` does not list would get here. Private to CKernels
// (not in include/): the stubs exist only so that the module links everywhere.

#include <stdio.h>
#include <stdlib.h>

__attribute__((noreturn, cold)) static inline void ck_unreachable(const char *kernel) {
    fprintf(stderr, "charrnn: internal error: %s was called, but this build has no such kernel "
                    "(Kernels.available never lists its set on this architecture)\n", kernel);
    abort();
}

#endif
