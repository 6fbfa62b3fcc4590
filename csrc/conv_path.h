// One SIMD path of csrc/conv.cpp (included per path by simd_paths.inc): the GEMM, the
// convolution kernels on it, and the table conv.cpp dispatches through.
#include "gemm_f32.h"
#include "conv_kernels.h"

ConvKernels kernels(const char* name) { return {name, conv_forward, conv_backward_input, conv_backward_weight}; }
