// One SIMD path of csrc/gemm.cpp (included per path by simd_paths.inc): the micro-kernel and the driver.
#include "gemm_f32.h"
#include "gemm_driver.h"
