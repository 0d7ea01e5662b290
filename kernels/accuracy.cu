// Accuracy (top-k, ignore_label, per class). One pass over the scores: inner == 1 with wide rows takes a warp
// per row (coalesced loads along the row), every other shape a thread per position (coalesced along inner).
// Each block writes its correct and counted totals (integers) to the workspace and one block combines them;
// the per-class counts are integer atomics (a block-local histogram in shared memory first when the classes
// fit), so every result is exact and the same on every run. The least invalid-label position is recorded with
// an integer atomicMin, as the softmax loss does.
#include <algorithm>
#include <climits>
#include <cstdint>

#include "accuracy.cuh"
#include "softmax.cuh"  // the shared warp and block reductions (softmax_detail)

namespace crema::kernels {
namespace {

using softmax_detail::block_sum;
using softmax_detail::warp_sum;
using Count = unsigned long long;

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / 32;
constexpr int kFinalThreads = 1024;
// Blocks (and so per-block partial pairs) the main kernel launches at most.
constexpr int64_t kMaxBlocks = 4096;
// Rows wider than this take a warp each when inner == 1; narrower rows a thread each.
constexpr int64_t kWarpRowMinChannels = 32;
// Classes up to which a block keeps its per-class counts in shared memory (2 x 8 bytes each: 16 KiB).
constexpr int64_t kSharedClasses = 1024;
constexpr int64_t kIgnored = -1;
constexpr int64_t kInvalid = -2;

template <typename T>
struct Args {
    int64_t outer, channels, inner;
    const T* scores;
    const T* labels;
    int64_t top_k;
    int32_t has_ignore;
    int32_t ignore;
    Count* class_counts;  // null: no per-class output
    bool shared_counts;   // class_counts are gathered in shared memory first
    int64_t* bad_label;
    Count* correct_partials;
    Count* counted_partials;
};

// The class of a label, or kIgnored, or kInvalid. Saturating truncation toward zero, as the CPU reference's
// int.CreateSaturating; NaN is invalid.
template <typename T>
__device__ __forceinline__ int64_t label_class(T label, const Args<T>& a) {
    const double v = static_cast<double>(label);
    if (v != v) return kInvalid;
    const int l = v >= 2147483647.0 ? INT_MAX : v <= -2147483648.0 ? INT_MIN : static_cast<int>(v);
    if (a.has_ignore && l == a.ignore) return kIgnored;
    if (l < 0 || l >= a.channels) return kInvalid;
    return l;
}

__device__ __forceinline__ void record_bad(int64_t* bad_label, int64_t p) {
    atomicMin(reinterpret_cast<long long*>(bad_label), static_cast<long long>(p));
}

// Adds a counted position of class cls to the per-class counts (shared when they fit, else global).
template <typename T>
__device__ __forceinline__ void count_class(const Args<T>& a, Count* shared, int64_t cls, bool hit) {
    if (!a.class_counts) return;
    Count* counts = a.shared_counts ? shared : a.class_counts;
    atomicAdd(counts + cls, Count(1));
    if (hit) atomicAdd(counts + a.channels + cls, Count(1));
}

template <typename T>
__device__ void begin_counts(const Args<T>& a, Count* shared) {
    if (a.class_counts && a.shared_counts) {
        for (int64_t k = threadIdx.x; k < 2 * a.channels; k += blockDim.x) shared[k] = 0;
    }
    __syncthreads();
}

// Flushes the block's per-class counts and writes its totals (every thread of the block calls this).
template <typename T>
__device__ void end_block(const Args<T>& a, Count* shared, Count correct, Count counted, Count* scratch) {
    __syncthreads();
    if (a.class_counts && a.shared_counts) {
        for (int64_t k = threadIdx.x; k < 2 * a.channels; k += blockDim.x)
            if (shared[k]) atomicAdd(a.class_counts + k, shared[k]);
    }
    correct = block_sum(correct, scratch);
    counted = block_sum(counted, scratch);
    if (threadIdx.x == 0) {
        a.correct_partials[blockIdx.x] = correct;
        a.counted_partials[blockIdx.x] = counted;
    }
}

// A thread per position; consecutive threads take consecutive j, so each class's loads are coalesced when
// inner > 1. Stops counting once top_k classes are known to score higher.
template <typename T>
__global__ void __launch_bounds__(kThreads) accuracy_position_kernel(Args<T> a) {
    extern __shared__ Count shared_counts[];
    __shared__ Count scratch[32];
    begin_counts(a, shared_counts);
    const int64_t positions = a.outer * a.inner, channels = a.channels, inner = a.inner;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    Count correct = 0, counted = 0;
    for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < positions;
         p += stride) {
        const int64_t cls = label_class(a.labels[p], a);
        if (cls == kInvalid) record_bad(a.bad_label, p);
        if (cls < 0) continue;
        const int64_t i = p / inner, j = p - i * inner;
        const T* s = a.scores + i * channels * inner + j;
        const T truth = s[cls * inner];
        int64_t better = 0;
        for (int64_t c = 0; c < channels && better < a.top_k; ++c)
            if (s[c * inner] > truth) ++better;
        const bool hit = better < a.top_k;
        ++counted;
        correct += hit ? 1 : 0;
        count_class(a, shared_counts, cls, hit);
    }
    end_block(a, shared_counts, correct, counted, scratch);
}

// inner == 1: a warp per row, the lanes striding over the classes. Every lane of a warp sees the same label,
// so the warp takes each branch together and the shuffle reduction has all lanes.
template <typename T>
__global__ void __launch_bounds__(kThreads) accuracy_row_kernel(Args<T> a) {
    extern __shared__ Count shared_counts[];
    __shared__ Count scratch[32];
    begin_counts(a, shared_counts);
    const int lane = threadIdx.x % 32;
    const int64_t warp = threadIdx.x / 32, channels = a.channels;
    Count correct = 0, counted = 0;
    for (int64_t row = blockIdx.x * static_cast<int64_t>(kWarpsPerBlock) + warp; row < a.outer;
         row += static_cast<int64_t>(gridDim.x) * kWarpsPerBlock) {
        const int64_t cls = label_class(a.labels[row], a);
        if (cls == kInvalid && lane == 0) record_bad(a.bad_label, row);
        if (cls < 0) continue;
        const T* s = a.scores + row * channels;
        const T truth = s[cls];
        long long better = 0;
        for (int64_t c = lane; c < channels; c += 32)
            if (s[c] > truth) ++better;
        better = warp_sum(better);
        const bool hit = better < a.top_k;
        if (lane == 0) {
            ++counted;
            correct += hit ? 1 : 0;
            count_class(a, shared_counts, cls, hit);
        }
    }
    end_block(a, shared_counts, correct, counted, scratch);
}

// One block: the totals (integers: any order gives the same sums) and the per-class fractions, each computed
// in double and rounded to T as the CPU reference does.
template <typename T>
__global__ void __launch_bounds__(kFinalThreads)
    accuracy_final_kernel(const Count* correct_partials, const Count* counted_partials, int blocks,
                          int64_t channels, const Count* class_counts, T* accuracy, T* per_class) {
    __shared__ Count scratch[32];
    Count correct = 0, counted = 0;
    for (int k = threadIdx.x; k < blocks; k += blockDim.x) {
        correct += correct_partials[k];
        counted += counted_partials[k];
    }
    correct = block_sum(correct, scratch);
    counted = block_sum(counted, scratch);
    if (threadIdx.x == 0)
        *accuracy =
            counted == 0 ? T(0) : static_cast<T>(static_cast<double>(correct) / static_cast<double>(counted));
    if (per_class) {
        for (int64_t c = threadIdx.x; c < channels; c += blockDim.x) {
            const Count n = class_counts[c];
            per_class[c] = n == 0 ? T(0)
                                  : static_cast<T>(static_cast<double>(class_counts[channels + c]) /
                                                   static_cast<double>(n));
        }
    }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

template <typename T>
cudaError_t launch_accuracy_forward(cudaStream_t stream, const AccuracyForward<T>& f, double* workspace,
                                    int64_t workspace_doubles) {
    if (workspace_doubles < kAccuracyMinWorkspace) return cudaErrorInvalidValue;
    cudaError_t status = cudaMemsetAsync(f.bad_label, 0x7F, sizeof(int64_t), stream);
    if (status != cudaSuccess) return status;
    const bool per_class = f.per_class && f.channels > 0;
    if (per_class) {
        status =
            cudaMemsetAsync(f.class_counts, 0, 2 * static_cast<size_t>(f.channels) * sizeof(int64_t), stream);
        if (status != cudaSuccess) return status;
    }

    // The workspace holds the two partial arrays (8-byte counts in double-sized slots).
    const int64_t slots = std::min(kMaxBlocks, workspace_doubles / 2);
    Args<T> a{};
    a.outer = f.outer;
    a.channels = f.channels;
    a.inner = f.inner;
    a.scores = f.scores;
    a.labels = f.labels;
    a.top_k = f.top_k;
    a.has_ignore = f.has_ignore_label;
    a.ignore = f.ignore_label;
    a.class_counts = per_class ? reinterpret_cast<Count*>(f.class_counts) : nullptr;
    a.shared_counts = per_class && f.channels <= kSharedClasses;
    a.bad_label = f.bad_label;
    a.correct_partials = reinterpret_cast<Count*>(workspace);
    a.counted_partials = reinterpret_cast<Count*>(workspace) + slots;

    const int64_t positions = f.outer * f.inner;
    int blocks = 0;
    if (positions > 0) {
        const size_t shared = a.shared_counts ? 2 * static_cast<size_t>(f.channels) * sizeof(Count) : 0;
        if (f.inner == 1 && f.channels > kWarpRowMinChannels) {
            blocks =
                static_cast<int>(std::max<int64_t>(1, std::min(ceil_div(f.outer, kWarpsPerBlock), slots)));
            accuracy_row_kernel<T><<<blocks, kThreads, shared, stream>>>(a);
        } else {
            blocks = static_cast<int>(std::max<int64_t>(1, std::min(ceil_div(positions, kThreads), slots)));
            accuracy_position_kernel<T><<<blocks, kThreads, shared, stream>>>(a);
        }
    }
    accuracy_final_kernel<T><<<1, kFinalThreads, 0, stream>>>(a.correct_partials, a.counted_partials, blocks,
                                                              f.channels, a.class_counts, f.accuracy,
                                                              per_class ? f.per_class : nullptr);
    return cudaGetLastError();
}

template cudaError_t launch_accuracy_forward<float>(cudaStream_t, const AccuracyForward<float>&, double*,
                                                    int64_t);
template cudaError_t launch_accuracy_forward<double>(cudaStream_t, const AccuracyForward<double>&, double*,
                                                     int64_t);

}  // namespace crema::kernels
