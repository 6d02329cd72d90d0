#ifndef CHARRNN_CBLAS_SHIM_H
#define CHARRNN_CBLAS_SHIM_H
// OpenBLAS's cblas interface (Debian: libopenblas-dev, pkg-config `openblas`).
#include <cblas.h>

// OpenBLAS extensions, declared in its cblas.h; wrapped so Swift sees one stable name.
static inline void charrnn_blas_set_threads(int n) { openblas_set_num_threads(n); }
static inline int charrnn_blas_get_threads(void) { return openblas_get_num_threads(); }
#endif
