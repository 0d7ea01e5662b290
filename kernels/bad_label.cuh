// Host launcher for the bad-label latch in bad_label.cu. Plain C++ (no device code) so native/ can include
// it. The launcher queues work on stream and returns cudaGetLastError(); it does not synchronise with the
// host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

// What a bad-label slot holds when every label was valid (cudaMemset with 0x7F bytes).
constexpr int64_t kNoBadLabel = 0x7F7F7F7F7F7F7F7F;

// One thread. When *latched holds kNoBadLabel and *bad_label does not, copies *bad_label to *latched and the
// label there, labels[*bad_label] (NaN when the position is outside [0, positions)), to *latched_value.
// Otherwise changes nothing. Launched after every forward pass, it keeps the first invalid label of several
// passes, and its value as it was then, until the owner reads the latch and re-arms it with 0x7F bytes.
template <typename T>
cudaError_t launch_latch_bad_label(cudaStream_t stream, int64_t positions, const T* labels,
                                   const int64_t* bad_label, int64_t* latched, T* latched_value);

}  // namespace crema::kernels
