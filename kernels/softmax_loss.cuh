// Host launchers for the softmax cross-entropy kernels in softmax_loss.cu (docs/softmax-loss-semantics.md is
// the definition). Plain C++ (no device code) so native/ can include it. Each launcher queues work on stream
// and returns cudaGetLastError() (or the first CUDA error); none synchronises with the host, and no value
// travels through the host: the normalizer and the gradient scale are read on the device.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

// Caffe's LossParameter.NormalizationMode numbers.
enum class Normalization : int32_t { Full = 0, Valid = 1, BatchSize = 2, None = 3 };

// The forward call: element (i, c, j) of logits at i*channels*inner + c*inner + j, position p = i*inner + j.
template <typename T>
struct SoftmaxLossForward {
    int64_t outer, channels, inner;
    const T* logits;  // [outer*channels*inner]
    const T* labels;  // [outer*inner]
    int32_t has_ignore_label;
    int32_t ignore_label;
    Normalization normalization;
    double label_smoothing;  // 0 = off
    const T* class_weights;  // [channels] or null
    T* lse;                  // [outer*inner] out
    T* prob;                 // [outer*channels*inner] out, or null
    T* loss;                 // device scalar out: sum of the losses / normalizer
    T* normalizer;           // device scalar out: the normalizer after the guard (N <= 0 -> 1)
    int64_t* bad_label;      // device scalar: 0x7F7F7F7F7F7F7F7F, or the least position of an invalid label
    const T* grad_scale;     // null, or (fused mode) device scalar: top diff
    T* grad;                 // fused mode: [outer*channels*inner] out = d loss / d logits * grad_scale
};

template <typename T>
struct SoftmaxLossBackward {
    int64_t outer, channels, inner;
    const T* logits;
    const T* labels;
    const T* lse;  // from the forward call
    int32_t has_ignore_label;
    int32_t ignore_label;
    double label_smoothing;
    const T* class_weights;
    const T* top_diff;    // device scalar
    const T* normalizer;  // device scalar, from the forward call
    T* grad;
};

// Doubles of the context workspace the loss launchers need at least (they bound their grids by what they
// get).
constexpr int64_t kSoftmaxLossMinWorkspace = 4;

// workspace: workspace_doubles device doubles for the per-block partial sums (deterministic: a grid that
// depends on the shape only, combined in a fixed order by one block, no floating-point atomics).
template <typename T>
cudaError_t launch_softmax_loss_forward(cudaStream_t stream, const SoftmaxLossForward<T>& args,
                                        double* workspace, int64_t workspace_doubles);

template <typename T>
cudaError_t launch_softmax_loss_backward(cudaStream_t stream, const SoftmaxLossBackward<T>& args,
                                         double* workspace, int64_t workspace_doubles);

}  // namespace crema::kernels
