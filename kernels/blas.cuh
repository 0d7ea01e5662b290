// Host launchers for the BLAS-like kernels in blas.cu. Plain C++ (no device code) so native/ can include it.
// Each launcher queues work on stream and returns cudaGetLastError(); none synchronises with the host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

enum class Reduction : int { Asum = 0, Sumsq = 1, Dot = 2 };

// y[i] = alpha
template <typename T>
cudaError_t launch_set(cudaStream_t stream, int64_t n, T alpha, T* y);

// y = alpha x + y
template <typename T>
cudaError_t launch_axpy(cudaStream_t stream, int64_t n, T alpha, const T* x, T* y);

// y = alpha x + beta y; beta == 0 overwrites y (no NaN carried over from y, as BLAS does)
template <typename T>
cudaError_t launch_axpby(cudaStream_t stream, int64_t n, T alpha, const T* x, T beta, T* y);

// x = alpha x
template <typename T>
cudaError_t launch_scal(cudaStream_t stream, int64_t n, T alpha, T* x);

// *result = sum over i of |x|, x*x or x*y, accumulated in double in a fixed order: the grid depends on n only
// and the partial sums (one per block, at most `slots`) are combined by one block, so results are bitwise
// reproducible. workspace holds `slots` doubles.
template <typename T>
cudaError_t launch_reduce(cudaStream_t stream, Reduction op, int64_t n, const T* x, const T* y,
                          double* workspace, int slots, T* result);

// *result += sum over i of x*y: the same reduction as launch_reduce's Dot, its total rounded to T and then
// added to the device scalar (as a host loop does `loss += dot(x, y)`). A net adds its losses this way.
template <typename T>
cudaError_t launch_dot_accumulate(cudaStream_t stream, int64_t n, const T* x, const T* y, double* workspace,
                                  int slots, T* result);

// *result = sum over i of x*x as a double, never rounded to T: one tensor's share of a global norm, so that
// the shares of many tensors add up without T rounding. Same fixed order as launch_reduce.
template <typename T>
cudaError_t launch_sumsq_double(cudaStream_t stream, int64_t n, const T* x, double* workspace, int slots,
                                double* result);

}  // namespace crema::kernels
