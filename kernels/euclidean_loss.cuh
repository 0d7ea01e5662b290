// Host launchers for the Euclidean loss kernels in euclidean_loss.cu (Caffe's EuclideanLoss). Plain C++ (no
// device code) so native/ can include it. Each launcher queues work on stream and returns cudaGetLastError();
// none synchronises with the host, and no value travels through the host: the loss stays on the device and
// the gradient scale is read there.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

// Doubles of the context workspace the forward launcher needs at least (it bounds its grid by what it gets).
constexpr int64_t kEuclideanLossMinWorkspace = 1;

// diff[i] = a[i] - b[i] for i < n (in T), and *loss = (T)(sum of diff^2) / (T)(2 num) with the sum
// accumulated in double in a fixed order (per-block partials in workspace, combined by one block): bitwise
// reproducible. num == 0 gives a loss of 0.
template <typename T>
cudaError_t launch_euclidean_loss_forward(cudaStream_t stream, int64_t n, int64_t num, const T* a, const T* b,
                                          T* diff, T* loss, double* workspace, int64_t workspace_doubles);

// With s = top_diff[0] / (T)num read on the device: grad_a[i] = s * diff[i] and grad_b[i] = -s * diff[i],
// each only when its pointer is not null. num == 0 writes nothing.
template <typename T>
cudaError_t launch_euclidean_loss_backward(cudaStream_t stream, int64_t n, int64_t num, const T* diff,
                                           const T* top_diff, T* grad_a, T* grad_b);

}  // namespace crema::kernels
