// The avx512bf16 set's lane primitives: the avx512 set's (isa_avx512.h), with
// the bf16 dot products of training (dot_body.h) on the CPU's own VDPBF16PS
// (AVX512_BF16: Intel Xeons from Cooper Lake and Sapphire Rapids, AMD Zen 4),
// which multiplies a pair of bf16 along k into each fp32 lane in one
// instruction, twice the fp32 FMA's rate, with DAZ, FTZ and nearest-even of
// its own (MXCSR is not read); and the int8 dot products of sampling
// (i8dot_body.h) on AVX512_VNNI's VPDPBUSD, four byte products into each int32
// lane, which every CPU with AVX512_BF16 has. Everything else is the avx512 set's code.
//
// The row says yes only where the CPU has AVX512_BF16 *and* its VDPBF16PS
// gives the definition's bits (ck_gemm.h) on a probe (ck_cpu_has_avx512_bf16,
// cpu.c): a CPU that rounds its pairs differently would break "the same bits
// on every CPU", so it runs the avx512 set (emulated bf16) instead.

#define CK_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512bf16,avx512vnni,fma")))
#define CK_SET_NAME "avx512bf16"
#define CK_SET_INSTRUCTIONS "AVX-512 with AVX512_BF16"
#define CK_SET_SUPPORTED ck_cpu_has_avx512_bf16
#define CK_SET_ROW ck_set_avx512bf16
#define CK_NATIVE_BF16 1
#define CK_NATIVE_VNNI 1
#include "isa_avx512.h"

// MARK: The bf16 dot products' register block (dot_body.h), native
//
// The packed product's blocks; a pair row of B is one zmm as loaded, an A pair one broadcast.
#define DOT_NATIVE 1
#define DOT_MR GEMM_MR
#define DOT_BLOCKS GEMM_BLOCKS
static inline int dot_panels_at_once(long rows) { return gemm_panels_at_once(rows); }
#define DOT_A __m512i
#define DOT_B __m512i
CK_INLINE __m512i dot_broadcast_a(const uint32_t *p) { return _mm512_set1_epi32((int)*p); }
CK_INLINE __m512i dot_load_b(const uint32_t *p) { return _mm512_loadu_si512((const void *)p); }
CK_INLINE VEC dot_step(VEC acc, __m512i a, __m512i b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }

// MARK: The int8 dot products (i8dot_body.h), native: a quad row of B is one zmm as loaded, an A quad one broadcast.
#define I8_NATIVE 1
#define I8_A __m512i
#define I8_B __m512i
CK_INLINE __m512i i8_broadcast_a(const uint8_t *p) {
    int32_t v;
    __builtin_memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}
CK_INLINE __m512i i8_load_b(const int8_t *p) { return _mm512_loadu_si512((const void *)p); }
CK_INLINE IVEC i8_step(IVEC acc, __m512i a, __m512i b) { return _mm512_dpbusd_epi32(acc, a, b); }
