#ifndef CHARRNN_CK_CPU_H
#define CHARRNN_CK_CPU_H
// charrnn's own C kernels: the few inner loops that want instructions a
// portable x86-64 Swift binary cannot emit (AVX2, AVX-512, FMA). Each kernel
// is compiled for its instruction set with __attribute__((target(...))) and
// is only called after the matching check below said yes (Swift:
// `Kernels.available`, `KernelSet`), so the binary still runs on any x86-64
// (or ARM) machine: there the Swift code paths run instead.

/// 1 when the CPU and the OS support AVX2 and FMA (the `avx2` kernel set), else 0.
int ck_cpu_has_avx2_fma(void);

/// 1 when the CPU and the OS support AVX-512 F/DQ/BW/VL and FMA (the `avx512` set), else 0.
int ck_cpu_has_avx512(void);

/// 1 when the avx512 set runs and the CPU has AVX512_BF16 and AVX512_VNNI, and its VDPBF16PS gives the bits of
/// ck_gemm.h's definition on a probe (the `avx512bf16` set), else 0. Asked once; the answer is kept.
int ck_cpu_has_avx512_bf16(void);

#endif
