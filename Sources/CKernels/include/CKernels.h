// The umbrella header of module CKernels (an umbrella header rather than the
// include directory, so that a header added here invalidates clang's module cache).
#include "ck_cpu.h"
#include "ck_gemm.h"
#include "ck_kernels.h"
