// The all-reduce that data-parallel training runs (issue 28): MPI_Allreduce in place, fp32 sums, of
// the gradient sizes of charrnn's bench models, timed between the ranks mpirun starts.
//   mpicc -O2 bench/allreduce_probe.c -o /tmp/allreduce_probe
//   mpirun --oversubscribe -n 2 /tmp/allreduce_probe
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    // Parameters of LSTM 2x128 and 2x512 on tinyshakespeare (V = 65; `charrnn info`), and a one-float message.
    const long counts[] = {1, 248013, 3351117};
    const char *names[] = {"1 float (latency)", "LSTM 2x128 gradients", "LSTM 2x512 gradients"};
    for (int c = 0; c < 3; c++) {
        long n = counts[c];
        float *x = malloc(sizeof(float) * n);
        for (long i = 0; i < n; i++) x[i] = 1.0f;
        int runs = n > 1000000 ? 20 : 200;
        MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);   // warm-up
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        for (int r = 0; r < runs; r++) MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double each = (MPI_Wtime() - start) / runs;
        if (rank == 0)
            printf("%d ranks, %-22s %9ld floats (%6.2f MB): %8.1f us, %6.2f GB/s\n", size, names[c], n, n * 4e-6, each * 1e6,
                   n * 4e-9 / each);
        free(x);
    }
    MPI_Finalize();
    return 0;
}
