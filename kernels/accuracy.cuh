// Host launcher for the accuracy kernels in accuracy.cu (Caffe's Accuracy with top_k, ignore_label and the
// per-class output). Plain C++ (no device code) so native/ can include it. The launcher queues work on stream
// and returns cudaGetLastError(); it does not synchronise with the host, and the results stay on the device.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

// Scores viewed as (outer, channels, inner): element (i, c, j) at i*channels*inner + c*inner + j; position
// p = i*inner + j has the label labels[p] (stored as T).
template <typename T>
struct AccuracyForward {
    int64_t outer, channels, inner;
    const T* scores;  // [outer*channels*inner]
    const T* labels;  // [outer*inner]
    int32_t top_k;    // >= 1
    int32_t has_ignore_label;
    int32_t ignore_label;
    T* accuracy;            // device scalar out: correct / counted, 0 when nothing is counted
    T* per_class;           // [channels] out, or null
    int64_t* class_counts;  // [2*channels] scratch when per_class is given (counted, then correct, per class)
    int64_t* bad_label;     // device scalar: 0x7F7F7F7F7F7F7F7F, or the least position of an invalid label
};

// Doubles of the context workspace the launcher needs at least (it bounds its grid by what it gets).
constexpr int64_t kAccuracyMinWorkspace = 2;

// A label is the integer it truncates to (saturating at the int32 range), as Caffe's static_cast<int> and the
// CPU reference; a NaN label, or one that is neither ignore_label nor in [0, channels), is invalid: its
// position is not counted and the least such position is stored in *bad_label. A counted position is correct
// when fewer than top_k classes score strictly higher than its label's class (ties count for the label).
// The counts are integers, so the results do not depend on the order in which blocks finish.
template <typename T>
cudaError_t launch_accuracy_forward(cudaStream_t stream, const AccuracyForward<T>& args, double* workspace,
                                    int64_t workspace_doubles);

}  // namespace crema::kernels
