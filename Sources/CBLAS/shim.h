#ifndef FRUGAL_CBLAS_SHIM_H
#define FRUGAL_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface, the baseline `frugal bench gemm --baseline openblas` measures against.
#include <cblas.h>
#endif
