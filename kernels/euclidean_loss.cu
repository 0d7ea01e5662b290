// Euclidean loss, forward and backward. Forward reads a and b once and writes diff once (what backward
// needs), adding diff^2 in double per thread; a block's threads are combined by a fixed tree, and one block
// adds the block partials in order, so the loss is the same bits on every run (no floating-point atomics).
// Backward reads diff once and writes each requested gradient once; the scale top_diff / num is read on the
// device.
#include <algorithm>
#include <cstdint>

#include "euclidean_loss.cuh"
#include "softmax.cuh"  // the shared block reductions (softmax_detail::block_sum)

namespace crema::kernels {
namespace {

using softmax_detail::block_sum;

constexpr int kThreads = 256;
constexpr int kFinalThreads = 1024;
// Per-block partials the forward grid writes at most: enough blocks to fill a GPU with this memory-bound
// pass.
constexpr int64_t kMaxPartials = 4096;
// Elements each forward thread handles at least before another block is added.
constexpr int64_t kItemsPerThread = 8;
constexpr int64_t kMaxBlocks = 65535;

template <typename T>
struct alignas(16) Vector {
    static constexpr int width = 16 / sizeof(T);
    T v[width];
};

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename T>
__global__ void __launch_bounds__(kThreads)
    euclidean_loss_forward_kernel(int64_t n, int64_t vectors, const T* a, const T* b, T* diff,
                                  double* partials) {
    using V = Vector<T>;
    __shared__ double scratch[32];
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const V* av = reinterpret_cast<const V*>(a);
    const V* bv = reinterpret_cast<const V*>(b);
    V* dv = reinterpret_cast<V*>(diff);
    double sum = 0.0;
    for (int64_t i = first; i < vectors; i += stride) {
        const V x = av[i], y = bv[i];
        V d;
#pragma unroll
        for (int w = 0; w < V::width; ++w) {
            d.v[w] = x.v[w] - y.v[w];
            const double e = static_cast<double>(d.v[w]);
            sum += e * e;
        }
        dv[i] = d;
    }
    for (int64_t i = vectors * V::width + first; i < n; i += stride) {
        const T d = a[i] - b[i];
        diff[i] = d;
        const double e = static_cast<double>(d);
        sum += e * e;
    }
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// One block adds the first `count` partials in a fixed order and writes the loss.
template <typename T>
__global__ void __launch_bounds__(kFinalThreads)
    euclidean_loss_final_kernel(const double* partials, int count, int64_t num, T* loss) {
    __shared__ double scratch[32];
    double v = 0.0;
    for (int k = threadIdx.x; k < count; k += blockDim.x) v += partials[k];
    v = block_sum(v, scratch);
    // In T, as the CPU reference: the sum rounded to T, divided by 2·num rounded to T.
    if (threadIdx.x == 0) *loss = num > 0 ? static_cast<T>(v) / static_cast<T>(2.0 * num) : T(0);
}

// grad_a and grad_b may be the same address (then grad_b's value wins, as on the CPU, which writes b last).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    euclidean_loss_backward_kernel(int64_t n, int64_t vectors, int64_t num, const T* diff, const T* top_diff,
                                   T* grad_a, T* grad_b) {
    using V = Vector<T>;
    const T s = *top_diff / static_cast<T>(num);
    const T ns = -s;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const V* dv = reinterpret_cast<const V*>(diff);
    V* av = reinterpret_cast<V*>(grad_a);
    V* bv = reinterpret_cast<V*>(grad_b);
    for (int64_t i = first; i < vectors; i += stride) {
        const V d = dv[i];
        if (grad_a) {
            V g;
#pragma unroll
            for (int w = 0; w < V::width; ++w) g.v[w] = s * d.v[w];
            av[i] = g;
        }
        if (grad_b) {
            V g;
#pragma unroll
            for (int w = 0; w < V::width; ++w) g.v[w] = ns * d.v[w];
            bv[i] = g;
        }
    }
    for (int64_t i = vectors * V::width + first; i < n; i += stride) {
        const T d = diff[i];
        if (grad_a) grad_a[i] = s * d;
        if (grad_b) grad_b[i] = ns * d;
    }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

template <typename T>
cudaError_t launch_euclidean_loss_forward(cudaStream_t stream, int64_t n, int64_t num, const T* a, const T* b,
                                          T* diff, T* loss, double* workspace, int64_t workspace_doubles) {
    if (workspace_doubles < kEuclideanLossMinWorkspace) return cudaErrorInvalidValue;
    int blocks = 0;
    if (n > 0) {
        constexpr int W = Vector<T>::width;
        const int64_t vectors = aligned16(a) && aligned16(b) && aligned16(diff) ? n / W : 0;
        const int64_t work = std::max<int64_t>(vectors, n - vectors * W);
        const int64_t slots = std::min(kMaxPartials, workspace_doubles);
        // The grid depends on n (and the alignment) only: the same inputs are always summed in the same
        // order.
        blocks = static_cast<int>(
            std::max<int64_t>(1, std::min(ceil_div(work, kThreads * kItemsPerThread), slots)));
        euclidean_loss_forward_kernel<T><<<blocks, kThreads, 0, stream>>>(n, vectors, a, b, diff, workspace);
    }
    euclidean_loss_final_kernel<T><<<1, kFinalThreads, 0, stream>>>(workspace, blocks, num, loss);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_euclidean_loss_backward(cudaStream_t stream, int64_t n, int64_t num, const T* diff,
                                           const T* top_diff, T* grad_a, T* grad_b) {
    if (n <= 0 || num == 0 || (!grad_a && !grad_b)) return cudaSuccess;
    constexpr int W = Vector<T>::width;
    const bool aligned = aligned16(diff) && (!grad_a || aligned16(grad_a)) && (!grad_b || aligned16(grad_b));
    const int64_t vectors = aligned ? n / W : 0;
    const int64_t work = std::max<int64_t>(vectors, n - vectors * W);
    const int blocks = static_cast<int>(std::max<int64_t>(1, std::min(ceil_div(work, kThreads), kMaxBlocks)));
    euclidean_loss_backward_kernel<T>
        <<<blocks, kThreads, 0, stream>>>(n, vectors, num, diff, top_diff, grad_a, grad_b);
    return cudaGetLastError();
}

template cudaError_t launch_euclidean_loss_forward<float>(cudaStream_t, int64_t, int64_t, const float*,
                                                          const float*, float*, float*, double*, int64_t);
template cudaError_t launch_euclidean_loss_forward<double>(cudaStream_t, int64_t, int64_t, const double*,
                                                           const double*, double*, double*, double*, int64_t);
template cudaError_t launch_euclidean_loss_backward<float>(cudaStream_t, int64_t, int64_t, const float*,
                                                           const float*, float*, float*);
template cudaError_t launch_euclidean_loss_backward<double>(cudaStream_t, int64_t, int64_t, const double*,
                                                            const double*, double*, double*);

}  // namespace crema::kernels
