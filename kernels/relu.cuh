// Host launchers for the ReLU kernels in relu.cu (Caffe's ReLU with negative_slope). Plain C++ (no device
// code) so native/ can include it. Each launcher queues work on stream and returns cudaGetLastError(); none
// synchronises with the host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

// y[i] = x[i] > 0 ? x[i] : negative_slope * x[i] for i < n. y may equal x (in place).
template <typename T>
cudaError_t launch_relu_forward(cudaStream_t stream, int64_t n, T negative_slope, const T* x, T* y);

// dx[i] = x[i] > 0 ? dy[i] : negative_slope * dy[i] for i < n, with x the forward pass's input (for an
// in-place layer its output, whose sign is the input's when negative_slope >= 0). dx may equal dy.
template <typename T>
cudaError_t launch_relu_backward(cudaStream_t stream, int64_t n, T negative_slope, const T* x, const T* dy,
                                 T* dx);

}  // namespace crema::kernels
