// The batched sampling step's ceiling (issue 27): the packed small-M GEMM of the fastest kernel set this
// CPU runs (CKernels' sgemm_packed) at a step's shapes, on one thread, then on two threads at once each
// multiplying its own rows by the same packed weights (as `StackedRNN.steps` runs two parts of a batch),
// beside OpenBLAS's sgemm on the same operands (one thread).
//   K=Sources/CKernels; clang -O2 -w -I$K/include -I$K bench/packed_gemm_probe.c $K/set_*.c $K/sets.c \
//     $K/cpu.c $K/gemm_pack.c -lopenblas -lpthread -lm -o /tmp/packed_gemm_probe
//   OPENBLAS_NUM_THREADS=1 /tmp/packed_gemm_probe [M K N]   (default: the 2×512 LSTM's layer 1, 32 rows a part)
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ck_gemm.h"
#include "ck_kernels.h"

static const ck_kernel_set *set;
static long m = 32, k = 1024, n = 2048;
static float *packed;
static int reps;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *filled(long count, float scale) {
    float *x = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
    for (long i = 0; i < count; i++) x[i] = scale * (float)((i * 7919) % 13 - 6);
    return x;
}

// reps products of this thread's own rows by the shared packed weights.
static void *rows_times_weights(void *unused) {
    (void)unused;
    float *a = filled(m * k, 0.01f), *c = filled(m * n, 0);
    for (int r = 0; r < reps; r++) set->sgemm_packed(m, n, k, a, k, packed, 1, c, n);
    free(a);
    free(c);
    return 0;
}

int main(int argc, char **argv) {
    for (long i = 0; i < ck_kernel_set_count(); i++) {  // the table's rows widen: the last this CPU runs, as charrnn's default
        const ck_kernel_set *s = ck_kernel_set_at(i);
        if (s->cpu_supports()) set = s;
    }
    if (!set) { fprintf(stderr, "no kernel set of CKernels runs on this CPU\n"); return 1; }
    if (argc == 4) { m = atol(argv[1]); k = atol(argv[2]); n = atol(argv[3]); }
    if (m < 1 || k < 1 || n < 1) { fprintf(stderr, "usage: %s [M K N], each at least 1\n", argv[0]); return 64; }
    float *b = filled(k * n, 0.001f);
    packed = aligned_alloc(64, ck_gemm_packed_count(k, n, set->gemm_nr) * 4 + 64);
    ck_gemm_pack(b, n, 0, k, n, set->gemm_nr, packed);
    double flop = 2.0 * m * n * k;
    reps = (int)(4e9 / flop) + 1;
    printf("kernel set %s, M=%ld K=%ld N=%ld, %d products per timing\n", set->name, m, k, n, reps);
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        rows_times_weights(0);
        double t1 = now();
        pthread_t two[2];
        for (int i = 0; i < 2; i++) pthread_create(&two[i], 0, rows_times_weights, 0);
        for (int i = 0; i < 2; i++) pthread_join(two[i], 0);
        double t2 = now();
        float *a = filled(m * k, 0.01f), *c = filled(m * n, 0);
        double t3 = now();
        for (int r = 0; r < reps; r++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 1, c, n);
        double t4 = now();
        free(a);
        free(c);
        printf("packed: one thread %.1f GFLOP/s, two threads at once %.1f in all; OpenBLAS sgemm one thread %.1f\n",
               flop * reps / (t1 - t0) / 1e9, 2 * flop * reps / (t2 - t1) / 1e9, flop * reps / (t4 - t3) / 1e9);
    }
    return 0;
}
