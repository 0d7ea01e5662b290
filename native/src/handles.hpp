// The structs behind the opaque handles of crema.h.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>

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
    double* workspace;  // kWorkspaceDoubles: per-block partial sums of the deterministic reductions
};

namespace crema {
// Partial-sum slots the BLAS reductions use; also the largest grid a reduction launches.
constexpr int kReductionSlots = 1024;
// Doubles in a context's workspace: room for the reductions and for the softmax loss, whose forward grid
// writes two arrays of partials (loss and normalizer shares) of up to 4096 blocks each, plus two scalars; a
// grid that large is what it takes to fill a GPU with a bandwidth-bound kernel. 64 KiB per context.
constexpr int64_t kWorkspaceDoubles = 2 * 4096 + 8;
static_assert(kWorkspaceDoubles >= kReductionSlots, "the workspace also serves the BLAS reductions");
inline cudaStream_t raw_stream(const crema_stream* stream) { return stream ? stream->stream : nullptr; }
}  // namespace crema
