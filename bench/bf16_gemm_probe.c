// Issue 26's probe: bf16 products at charrnn's training shapes, on one core, before the
// engine takes a bf16 path. Three products of C (m x n) = A (m x k) . B (k x n), GFLOP/s:
//   fp32    OpenBLAS sgemm (the engine's window GEMMs today)
//   own     a VDPBF16PS micro-kernel (AVX512_BF16): B packed once into 32-column panels of
//           k/2 bf16 pairs, A rounded to bf16 pairs per call (counted), 12 x 32 register block
//   onednn  oneDNN's matmul, bf16 x bf16 -> f32 (weights reordered once, A converted per call)
// and, separately, whether this CPU's VDPBF16PS computes Intel's documented order
// (acc + a1*b1, then + a0*b0, each product exact, each sum rounded) bit for bit, and
// how it treats subnormals (inputs as zero? results flushed after each step?).
//
//   apt-get install libdnnl-dev libopenblas-dev
//   gcc -O3 -march=native bench/bf16_gemm_probe.c -o /tmp/bf16probe -lopenblas -ldnnl -lm
//   (clang -O3 builds the same kernel 25-35% slower at m = 25-100: see bench/RESULTS.md)
//   OMP_NUM_THREADS=1 /tmp/bf16probe
//
// Needs a CPU with AVX512_BF16 (it does not check). Not part of the build or the tests.
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static uint16_t bf(float x) { uint32_t u; memcpy(&u, &x, 4); u += 0x7FFF + ((u >> 16) & 1); return u >> 16; }

// B (k x n) packed: panel q of 32 columns; pair-row p (k/2 of them): 32 columns x 2 (k = 2p, 2p+1) interleaved.
static void pack_b(const float *b, long k, long n, uint16_t *out) {
  long panels = (n + 31) / 32, kp = (k + 1) / 2;
  for (long q = 0; q < panels; q++)
    for (long p = 0; p < kp; p++)
      for (long j = 0; j < 32; j++)
        for (int e = 0; e < 2; e++) {
          long r = 2 * p + e, c = q * 32 + j;
          out[((q * kp + p) * 32 + j) * 2 + e] = (r < k && c < n) ? bf(b[r * n + c]) : 0;
        }
}
// A (m x k) rounded to bf16 pairs: m x kp uint32.
static void pack_a(const float *a, long m, long k, uint32_t *out) {
  long kp = (k + 1) / 2;
  for (long i = 0; i < m; i++)
    for (long p = 0; p < kp; p++) {
      uint32_t lo = bf(a[i * k + 2 * p]), hi = 2 * p + 1 < k ? bf(a[i * k + 2 * p + 1]) : 0;
      out[i * kp + p] = lo | (hi << 16);
    }
}
#define T __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
// C (R rows x P panels of 32) = A . B, R <= 8, P <= 2 ... generic small block via macros
T static inline __attribute__((always_inline)) void block(int R, int P, long kp, const uint32_t *a, long lda, const uint16_t *b, long ps, float *c, long ldc) {
  __m512 acc[12][4][2];
  for (int i = 0; i < R; i++) for (int q = 0; q < P; q++) { acc[i][q][0] = _mm512_setzero_ps(); acc[i][q][1] = _mm512_setzero_ps(); }
  for (long p = 0; p < kp; p++) {
    __m512bh b0[4], b1[4];
    for (int q = 0; q < P; q++) {
      b0[q] = (__m512bh)_mm512_load_si512((const void *)(b + q * ps + p * 64));
      b1[q] = (__m512bh)_mm512_load_si512((const void *)(b + q * ps + p * 64 + 32));
    }
    for (int i = 0; i < R; i++) {
      __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[i * lda + p]);
      for (int q = 0; q < P; q++) {
        acc[i][q][0] = _mm512_dpbf16_ps(acc[i][q][0], av, b0[q]);
        acc[i][q][1] = _mm512_dpbf16_ps(acc[i][q][1], av, b1[q]);
      }
    }
  }
  for (int i = 0; i < R; i++) for (int q = 0; q < P; q++) {
    _mm512_storeu_ps(c + i * ldc + q * 32, acc[i][q][0]); _mm512_storeu_ps(c + i * ldc + q * 32 + 16, acc[i][q][1]);
  }
}
#define BLK(R,P) T static void b_##R##_##P(long kp,const uint32_t*a,long lda,const uint16_t*b,long ps,float*c,long ldc){block(R,P,kp,a,lda,b,ps,c,ldc);}
BLK(1,4) BLK(1,1) BLK(2,1) BLK(2,2) BLK(4,2) BLK(6,1) BLK(8,1) BLK(10,1) BLK(12,1)
// 12 rows x 1 panel (24 accs), or 1 row x 4 panels for m = 1.
T static void gemm_bf16(long m, long n, long k, const uint32_t *a, const uint16_t *b, float *c) {
  long kp = (k + 1) / 2, panels = n / 32, ps = kp * 64;
  if (m == 1) { for (long q = 0; q < panels; q += 4) b_1_4(kp, a, kp, b + q * ps, ps, c + q * 32, n); return; }
  for (long q = 0; q < panels; q++) {
    long i = 0;
    for (; i + 12 <= m; i += 12) b_12_1(kp, a + i * kp, kp, b + q * ps, ps, c + i * n + q * 32, n);
    long r = m - i;
    if (r >= 10) { b_10_1(kp, a + i * kp, kp, b + q * ps, ps, c + i * n + q * 32, n); i += 10; r -= 10; }
    if (r >= 8) { b_8_1(kp, a + i * kp, kp, b + q * ps, ps, c + i * n + q * 32, n); i += 8; r -= 8; }
    if (r >= 6) { b_6_1(kp, a + i * kp, kp, b + q * ps, ps, c + i * n + q * 32, n); i += 6; r -= 6; }
    while (r >= 2) { b_2_1(kp, a + i * kp, kp, b + q * ps, ps, c + i * n + q * 32, n); i += 2; r -= 2; }  // (P=2 wastes; fine for a probe)
    if (r == 1) { b_1_1(kp, a + i * kp, kp, b + q * ps, ps, c + i * n + q * 32, n); }
  }
}

static float f16(uint16_t b) { uint32_t u = (uint32_t)b << 16; float x; memcpy(&x, &u, 4); return x; }
static uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static float daz(float x) { return fpclassify(x) == FP_SUBNORMAL ? copysignf(0, x) : x; }
T static void semantics(void) {
  srand(3);
  long same[4] = {0}, total = 0;
  for (int trial = 0; trial < 200000; trial++) {
    uint16_t a[32], b[32]; float acc[16];
    for (int i = 0; i < 32; i++) {
      // mostly normal values of mixed magnitudes, some subnormal bf16
      uint16_t e = (rand() % 8 == 0) ? (uint16_t)(rand() % 2) : (uint16_t)(100 + rand() % 56);
      a[i] = (uint16_t)((rand() & 1) << 15 | e << 7 | (rand() & 0x7F));
      e = (rand() % 8 == 0) ? (uint16_t)(rand() % 2) : (uint16_t)(100 + rand() % 56);
      b[i] = (uint16_t)((rand() & 1) << 15 | e << 7 | (rand() & 0x7F));
    }
    for (int i = 0; i < 16; i++) acc[i] = ((float)((double)rand() / RAND_MAX) - 0.5f) * ldexpf(1, rand() % 40 - 30);
    __m512 r = _mm512_dpbf16_ps(_mm512_loadu_ps(acc), (__m512bh)_mm512_loadu_si512(a), (__m512bh)_mm512_loadu_si512(b));
    float out[16]; _mm512_storeu_ps(out, r);
    for (int i = 0; i < 16; i++) {
      float a0 = daz(f16(a[2*i])), a1 = daz(f16(a[2*i+1])), b0 = daz(f16(b[2*i])), b1 = daz(f16(b[2*i+1]));
      float oddFirst = fmaf(a0, b0, fmaf(a1, b1, daz(acc[i])));
      float evenFirst = fmaf(a1, b1, fmaf(a0, b0, daz(acc[i])));
      float fused = (float)((double)daz(acc[i]) + ((double)a0 * b0 + (double)a1 * b1));
      float noDaz = fmaf(f16(a[2*i]), f16(b[2*i]), fmaf(f16(a[2*i+1]), f16(b[2*i+1]), acc[i]));
      uint32_t o = bits(out[i]);
      same[0] += bits(oddFirst) == o || (fabsf(oddFirst) < 1.2e-38f && fabsf(out[i]) < 1.2e-38f && (bits(oddFirst) & 0x7fffffff) == 0 && (o & 0x7fffffff) == 0);
      same[1] += bits(evenFirst) == o; same[2] += bits(fused) == o; same[3] += bits(noDaz) == o;
      total++;
    }
  }
  printf("of %ld lanes: intel order (odd pair first, DAZ) %ld, even first %ld, fused one rounding %ld, no DAZ %ld\n", total, same[0], same[1], same[2], same[3]);
}

static float ftz(float x) { return fpclassify(x) == FP_SUBNORMAL ? copysignf(0, x) : x; }
/// Near the subnormal range: which of DAZ (inputs) and FTZ (after each step) the instruction applies.
T static void subnormals(void) {
  srand(5);
  long n = 0, m[4] = {0}; long subIn = 0, subOut = 0;
  for (int t = 0; t < 100000; t++) {
    uint16_t a[32], b[32]; float acc[16];
    for (int i = 0; i < 32; i++) {
      // exponents near the bottom: products and sums land in and around the subnormal range
      a[i] = (uint16_t)((rand() & 1) << 15 | (rand() % 70) << 7 | (rand() & 0x7F));
      b[i] = (uint16_t)((rand() & 1) << 15 | (60 + rand() % 20) << 7 | (rand() & 0x7F));
    }
    for (int i = 0; i < 16; i++) { uint32_t u = (rand() % 4 == 0) ? 0 : ((uint32_t)(rand() & 1) << 31 | (uint32_t)(rand() % 3) << 23 | (uint32_t)(rand() & 0x7FFFFF)); memcpy(&acc[i], &u, 4); }
    __m512 r = _mm512_dpbf16_ps(_mm512_loadu_ps(acc), (__m512bh)_mm512_loadu_si512(a), (__m512bh)_mm512_loadu_si512(b));
    float out[16]; _mm512_storeu_ps(out, r);
    for (int i = 0; i < 16; i++) {
      float a0 = f16(a[2*i]), a1 = f16(a[2*i+1]), b0 = f16(b[2*i]), b1 = f16(b[2*i+1]);
      subIn += fpclassify(a0) == FP_SUBNORMAL || fpclassify(a1) == FP_SUBNORMAL || fpclassify(acc[i]) == FP_SUBNORMAL;
      subOut += fpclassify(fmaf(a0, b0, fmaf(a1, b1, acc[i]))) == FP_SUBNORMAL;
      float plain = fmaf(a0, b0, fmaf(a1, b1, acc[i]));
      float dazOnly = fmaf(daz(a0), daz(b0), fmaf(daz(a1), daz(b1), daz(acc[i])));
      float dazFtz = ftz(fmaf(daz(a0), daz(b0), ftz(fmaf(daz(a1), daz(b1), daz(acc[i])))));
      float ftzOnly = ftz(fmaf(a0, b0, ftz(fmaf(a1, b1, acc[i]))));
      uint32_t o = bits(out[i]);
      m[0] += bits(plain) == o; m[1] += bits(dazOnly) == o; m[2] += bits(dazFtz) == o; m[3] += bits(ftzOnly) == o;
      n++;
    }
  }
  printf("%ld lanes (%ld with a subnormal input, %ld with a subnormal exact result): plain %ld, DAZ %ld, DAZ+FTZ %ld, FTZ %ld\n", n, subIn, subOut, m[0], m[1], m[2], m[3]);
}

int main(int argc, char **argv) {
  semantics();
  subnormals();
  long shapes[][3] = {{1,512,128},{25,512,128},{50,512,128},{100,512,128},{2500,512,128},
                      {1,2048,512},{25,2048,512},{50,2048,512},{100,2048,512},{2500,2048,512}};
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  openblas_set_num_threads(threads);
  printf("threads %d\n%6s %5s %5s | %9s %9s %9s  GFLOP/s (fp32 OpenBLAS, bf16 own VDPBF16PS, bf16 oneDNN)\n", threads, "m","n","k","fp32","own","onednn");
  dnnl_engine_t eng; dnnl_engine_create(&eng, dnnl_cpu, 0);
  dnnl_stream_t st; dnnl_stream_create(&st, eng, dnnl_stream_default_flags);
  for (int s = 0; s < 10; s++) {
    long m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
    float *a = aligned_alloc(64, 4 * m * k + 64), *b = aligned_alloc(64, 4 * k * n + 64), *c = aligned_alloc(64, 4 * m * n + 64), *c2 = aligned_alloc(64, 4 * m * n + 64);
    for (long i = 0; i < m * k; i++) a[i] = (float)((double)rand() / RAND_MAX) - 0.5f;
    for (long i = 0; i < k * n; i++) b[i] = (float)((double)rand() / RAND_MAX) - 0.5f;
    double flops = 2.0 * m * n * k, t0, reps;
    // fp32 OpenBLAS
    reps = 0; t0 = now(); do { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n); reps++; } while (now() - t0 < 0.3);
    double g32 = flops * reps / (now() - t0) / 1e9;
    // own bf16 (single thread only: the probe)
    uint16_t *pb = aligned_alloc(64, 2 * ((k + 1) / 2 * 2) * ((n + 31) / 32 * 32) + 64); pack_b(b, k, n, pb);
    uint32_t *pa = aligned_alloc(64, 4 * m * ((k + 1) / 2) + 64);
    reps = 0; t0 = now(); do { pack_a(a, m, k, pa); gemm_bf16(m, n, k, pa, pb, c2); reps++; } while (now() - t0 < 0.3);
    double gown = flops * reps / (now() - t0) / 1e9;
    double err = 0, ref = 0; for (long i = 0; i < m * n; i++) { double d = c[i] - c2[i]; err += d * d; ref += (double)c[i] * c[i]; }
    // oneDNN matmul: src (m,k) bf16, wei (k,n) bf16, dst (m,n) f32; reorders counted for src only (weights once)
    dnnl_memory_desc_t sd, wd, dd; dnnl_dims_t sdims = {m, k}, wdims = {k, n}, ddims = {m, n};
    dnnl_memory_desc_init_by_tag(&sd, 2, sdims, dnnl_bf16, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&wd, 2, wdims, dnnl_bf16, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&dd, 2, ddims, dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t md; dnnl_matmul_desc_init(&md, &sd, &wd, NULL, &dd);
    dnnl_primitive_desc_t pd; dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL);
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_t prim; dnnl_primitive_create(&prim, pd);
    dnnl_memory_t sm, wm, dm; dnnl_memory_create(&sm, &sd, eng, DNNL_MEMORY_ALLOCATE); dnnl_memory_create(&wm, wq, eng, DNNL_MEMORY_ALLOCATE);
    dnnl_memory_create(&dm, &dd, eng, c2);
    uint16_t *sp; dnnl_memory_get_data_handle(sm, (void **)&sp);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, dm}};
    reps = 0; t0 = now(); do { for (long i = 0; i < m * k; i++) sp[i] = bf(a[i]); dnnl_primitive_execute(prim, st, 3, args); dnnl_stream_wait(st); reps++; } while (now() - t0 < 0.3);
    double gdnn = flops * reps / (now() - t0) / 1e9;
    const char *impl; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    printf("%6ld %5ld %5ld | %9.1f %9.1f %9.1f  (own rel err %.1e; oneDNN impl %s)\n", m, n, k, g32, gown, gdnn, ref > 0 ? sqrt(err / ref) : 0, impl);
    free(a); free(b); free(c); free(c2); free(pb); free(pa);
  }
  return 0;
}
