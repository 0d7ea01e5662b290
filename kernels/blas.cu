// BLAS-like kernels that cuBLAS does not cover the way we need: 64-bit element counts, axpby with BLAS's
// beta == 0 rule, and deterministic reductions (cuBLAS has no sum of squares, and we want one fixed order).
#include <algorithm>

#include "blas.cuh"

namespace crema::kernels {
namespace {

constexpr int kThreads = 256;
// Enough blocks to fill any current GPU several times over; grid-stride loops cover the rest.
constexpr int64_t kMaxElementwiseBlocks = 65535;
// Elements each thread of a reduction handles at least before another block is added.
constexpr int64_t kReductionItemsPerThread = 8;

int64_t elementwise_blocks(int64_t n) {
    return std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxElementwiseBlocks));
}

template <typename T>
__global__ void set_kernel(int64_t n, T alpha, T* __restrict__ y) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x)
        y[i] = alpha;
}

template <typename T>
__global__ void axpy_kernel(int64_t n, T alpha, const T* __restrict__ x, T* __restrict__ y) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x)
        y[i] += alpha * x[i];
}

template <typename T>
__global__ void axpby_kernel(int64_t n, T alpha, const T* __restrict__ x, T beta, T* __restrict__ y) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x)
        y[i] = beta == T(0) ? alpha * x[i] : alpha * x[i] + beta * y[i];
}

template <typename T>
__global__ void scal_kernel(int64_t n, T alpha, T* __restrict__ x) {
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x)
        x[i] *= alpha;
}

// Sums `shared` (blockDim.x entries, a power of two) in a fixed tree order; the total ends in shared[0].
__device__ void block_tree_sum(double* shared) {
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        __syncthreads();
        if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    }
    __syncthreads();
}

template <typename T, Reduction Op>
__global__ void reduce_partial_kernel(int64_t n, const T* __restrict__ x, const T* __restrict__ y,
                                      double* __restrict__ partials) {
    __shared__ double shared[kThreads];
    double sum = 0.0;
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        double v = static_cast<double>(x[i]);
        if constexpr (Op == Reduction::Asum) sum += fabs(v);
        if constexpr (Op == Reduction::Sumsq) sum += v * v;
        if constexpr (Op == Reduction::Dot) sum += v * static_cast<double>(y[i]);
    }
    shared[threadIdx.x] = sum;
    block_tree_sum(shared);
    if (threadIdx.x == 0) partials[blockIdx.x] = shared[0];
}

// One block of `slots` threads (a power of two) adds the first `count` partials.
template <typename T>
__global__ void reduce_final_kernel(int count, const double* __restrict__ partials, T* __restrict__ result) {
    extern __shared__ double shared[];
    shared[threadIdx.x] = threadIdx.x < count ? partials[threadIdx.x] : 0.0;
    block_tree_sum(shared);
    if (threadIdx.x == 0) *result = static_cast<T>(shared[0]);
}

template <typename T, Reduction Op>
void launch_partial(cudaStream_t stream, int blocks, int64_t n, const T* x, const T* y, double* workspace) {
    reduce_partial_kernel<T, Op><<<blocks, kThreads, 0, stream>>>(n, x, y, workspace);
}

}  // namespace

template <typename T>
cudaError_t launch_set(cudaStream_t stream, int64_t n, T alpha, T* y) {
    if (n <= 0) return cudaSuccess;
    set_kernel<T><<<static_cast<unsigned>(elementwise_blocks(n)), kThreads, 0, stream>>>(n, alpha, y);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_axpy(cudaStream_t stream, int64_t n, T alpha, const T* x, T* y) {
    if (n <= 0) return cudaSuccess;
    axpy_kernel<T><<<static_cast<unsigned>(elementwise_blocks(n)), kThreads, 0, stream>>>(n, alpha, x, y);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_axpby(cudaStream_t stream, int64_t n, T alpha, const T* x, T beta, T* y) {
    if (n <= 0) return cudaSuccess;
    axpby_kernel<T>
        <<<static_cast<unsigned>(elementwise_blocks(n)), kThreads, 0, stream>>>(n, alpha, x, beta, y);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_scal(cudaStream_t stream, int64_t n, T alpha, T* x) {
    if (n <= 0) return cudaSuccess;
    scal_kernel<T><<<static_cast<unsigned>(elementwise_blocks(n)), kThreads, 0, stream>>>(n, alpha, x);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_reduce(cudaStream_t stream, Reduction op, int64_t n, const T* x, const T* y,
                          double* workspace, int slots, T* result) {
    int64_t wanted = (std::max<int64_t>(n, 0) + kThreads * kReductionItemsPerThread - 1) /
                     (kThreads * kReductionItemsPerThread);
    int blocks = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(wanted, slots)));
    switch (op) {
        case Reduction::Asum:
            launch_partial<T, Reduction::Asum>(stream, blocks, n, x, y, workspace);
            break;
        case Reduction::Sumsq:
            launch_partial<T, Reduction::Sumsq>(stream, blocks, n, x, y, workspace);
            break;
        case Reduction::Dot:
            launch_partial<T, Reduction::Dot>(stream, blocks, n, x, y, workspace);
            break;
    }
    reduce_final_kernel<T><<<1, slots, slots * sizeof(double), stream>>>(blocks, workspace, result);
    return cudaGetLastError();
}

#define CREMA_INSTANTIATE_BLAS(T)                                                                        \
    template cudaError_t launch_set<T>(cudaStream_t, int64_t, T, T*);                                    \
    template cudaError_t launch_axpy<T>(cudaStream_t, int64_t, T, const T*, T*);                         \
    template cudaError_t launch_axpby<T>(cudaStream_t, int64_t, T, const T*, T, T*);                     \
    template cudaError_t launch_scal<T>(cudaStream_t, int64_t, T, T*);                                   \
    template cudaError_t launch_reduce<T>(cudaStream_t, Reduction, int64_t, const T*, const T*, double*, \
                                          int, T*);

CREMA_INSTANTIATE_BLAS(float)
CREMA_INSTANTIATE_BLAS(double)

}  // namespace crema::kernels
