// Host launchers for the SGD solver's kernels in sgd.cu. Plain C++ (no device code) so native/ can include
// it. Each launcher queues work on stream and returns cudaGetLastError(); none synchronises with the host,
// and the per-step scale (iter_size and clipping) travels from kernel to kernel through device memory.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

// One thread. total = sumsqs[0] + sumsqs[1] + ... + sumsqs[count - 1], added in index order in double;
// norm = sqrt(total) / iter_size, the L2 norm of the gradient averaged over iter_size; *norm_out = norm (when
// norm_out is not null). factor = clip / norm when clip >= 0 and norm > clip, else 1; *scale = T(factor /
// iter_size), the one factor the update kernels apply to the accumulated diffs. With clip < 0 pass count 0.
template <typename T>
cudaError_t launch_sgd_clip_scale(cudaStream_t stream, int64_t count, const double* sumsqs, double clip,
                                  double iter_size, double* norm_out, T* scale);

// The momentum update of one param, one read of data, diff and history per element:
//   g = diff * scale[0];  g = local_decay * data + g  (only when local_decay != 0)
//   h = momentum * history + local_rate * g  (h = local_rate * g when momentum == 0: NaN in history does not
//   survive, as BLAS axpby's beta == 0)
//   history = h;  diff = h;  data = data - h  (only when apply_update != 0)
// Every product and sum is rounded on its own (no fused multiply-add), so the result equals the managed CPU
// twin (Crema.Solvers.SgdCpu.Update) bit for bit.
template <typename T>
cudaError_t launch_sgd_update(cudaStream_t stream, int64_t n, T momentum, T local_decay, T local_rate,
                              const T* scale, bool apply_update, T* data, T* diff, T* history);

}  // namespace crema::kernels
