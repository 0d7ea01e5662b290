// The structs behind the opaque handles of crema.h.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

struct crema_stream {
    int device;
    cudaStream_t stream;
    bool owned;  // false for the stream embedded in a context
};

struct crema_event {
    int device;
    cudaEvent_t event;
};

struct crema_context {
    int device;
    crema_stream stream;
    cublasHandle_t cublas;
    double* workspace;  // per-block partial sums of the deterministic reductions
};

namespace crema {
// Partial-sum slots in a context's workspace; also the largest grid a reduction launches.
constexpr int kReductionSlots = 1024;
inline cudaStream_t raw_stream(const crema_stream* stream) { return stream ? stream->stream : nullptr; }
}  // namespace crema
