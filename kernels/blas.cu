// BLAS-like kernels that cuBLAS does not cover the way we need: 64-bit element counts, axpby with BLAS's
// beta == 0 rule, and deterministic reductions (cuBLAS has no sum of squares, and we want one fixed order).
#include <algorithm>
#include <cstdint>

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

// 16-byte vectors: each thread moves 16 bytes per load/store, which is what it takes to keep enough bytes in
// flight to approach the copy bandwidth (scalar loads reached about 2/3 of it on an H200).
template <typename T>
struct Vector;
template <>
struct Vector<float> {
    using type = float4;
    static constexpr int width = 4;
};
template <>
struct Vector<double> {
    using type = double2;
    static constexpr int width = 2;
};

template <typename F>
__device__ __forceinline__ float4 map(F f, float4 x, float4 y) {
    return make_float4(f(x.x, y.x), f(x.y, y.y), f(x.z, y.z), f(x.w, y.w));
}
template <typename F>
__device__ __forceinline__ double2 map(F f, double2 x, double2 y) {
    return make_double2(f(x.x, y.x), f(x.y, y.y));
}

bool is_vector_aligned(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

// y[i] = f(x[i], y[i]) for i < n: the first `vectors` 16-byte vectors through vector loads, the rest (and
// everything, when a pointer is not 16-byte aligned) one element at a time. x may be null when f ignores it.
template <typename T, typename F>
__global__ void elementwise_kernel(int64_t n, int64_t vectors, F f, const T* __restrict__ x,
                                   T* __restrict__ y) {
    using V = typename Vector<T>::type;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const V* xv = reinterpret_cast<const V*>(x);
    V* yv = reinterpret_cast<V*>(y);
    // Set does not read y: one stream of writes instead of a read and a write.
    for (int64_t i = first; i < vectors; i += stride)
        yv[i] = map(f, x ? xv[i] : V{}, F::reads_y ? yv[i] : V{});
    for (int64_t i = vectors * Vector<T>::width + first; i < n; i += stride)
        y[i] = f(x ? x[i] : T(0), F::reads_y ? y[i] : T(0));
}

template <typename T>
struct SetOp {
    static constexpr bool reads_y = false;
    T alpha;
    __device__ T operator()(T, T) const { return alpha; }
};
template <typename T>
struct AxpyOp {
    static constexpr bool reads_y = true;
    T alpha;
    __device__ T operator()(T x, T y) const { return alpha * x + y; }
};
template <typename T>
struct AxpbyOp {
    static constexpr bool reads_y =
        true;  // also when beta == 0: the kernel cannot branch on a runtime value here
    T alpha, beta;
    __device__ T operator()(T x, T y) const { return beta == T(0) ? alpha * x : alpha * x + beta * y; }
};
template <typename T>
struct ScalOp {
    static constexpr bool reads_y = true;
    T alpha;
    __device__ T operator()(T, T y) const { return alpha * y; }
};

template <typename T, typename F>
cudaError_t launch_elementwise(cudaStream_t stream, int64_t n, F f, const T* x, T* y) {
    if (n <= 0) return cudaSuccess;
    bool aligned = is_vector_aligned(y) && (x == nullptr || is_vector_aligned(x));
    int64_t vectors = aligned ? n / Vector<T>::width : 0;
    int64_t work = std::max<int64_t>(vectors, n - vectors * Vector<T>::width);
    elementwise_kernel<T, F>
        <<<static_cast<unsigned>(elementwise_blocks(work)), kThreads, 0, stream>>>(n, vectors, f, x, y);
    return cudaGetLastError();
}

// Sums `shared` (blockDim.x entries, a power of two) in a fixed tree order; the total ends in shared[0].
__device__ void block_tree_sum(double* shared) {
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        __syncthreads();
        if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    }
    __syncthreads();
}

template <Reduction Op, typename T>
__device__ __forceinline__ double term(T x, T y) {
    double v = static_cast<double>(x);
    if constexpr (Op == Reduction::Asum) return fabs(v);
    if constexpr (Op == Reduction::Sumsq) return v * v;
    return v * static_cast<double>(y);
}

template <Reduction Op>
__device__ __forceinline__ double vector_terms(float4 x, float4 y) {
    return term<Op>(x.x, y.x) + term<Op>(x.y, y.y) + term<Op>(x.z, y.z) + term<Op>(x.w, y.w);
}
template <Reduction Op>
__device__ __forceinline__ double vector_terms(double2 x, double2 y) {
    return term<Op>(x.x, y.x) + term<Op>(x.y, y.y);
}

// Each block sums its grid-stride share (16-byte vectors first when aligned, then the tail) into
// partials[block].
template <typename T, Reduction Op>
__global__ void reduce_partial_kernel(int64_t n, int64_t vectors, const T* __restrict__ x,
                                      const T* __restrict__ y, double* __restrict__ partials) {
    using V = typename Vector<T>::type;
    __shared__ double shared[kThreads];
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const V* xv = reinterpret_cast<const V*>(x);
    const V* yv = reinterpret_cast<const V*>(y);
    double sum = 0.0;
    for (int64_t i = first; i < vectors; i += stride)
        sum += vector_terms<Op>(xv[i], Op == Reduction::Dot ? yv[i] : V{});
    for (int64_t i = vectors * Vector<T>::width + first; i < n; i += stride)
        sum += term<Op>(x[i], Op == Reduction::Dot ? y[i] : T(0));
    shared[threadIdx.x] = sum;
    block_tree_sum(shared);
    if (threadIdx.x == 0) partials[blockIdx.x] = shared[0];
}

// One block of `slots` threads (a power of two) adds the first `count` partials and stores the total as R,
// or (Accumulate) adds it, rounded to R first, to what *result holds.
template <typename R, bool Accumulate>
__global__ void reduce_final_kernel(int count, const double* __restrict__ partials, R* __restrict__ result) {
    extern __shared__ double shared[];
    shared[threadIdx.x] = threadIdx.x < count ? partials[threadIdx.x] : 0.0;
    block_tree_sum(shared);
    if (threadIdx.x == 0) {
        R total = static_cast<R>(shared[0]);
        *result = Accumulate ? *result + total : total;
    }
}

template <typename T, Reduction Op>
void launch_partial(cudaStream_t stream, int blocks, int64_t n, const T* x, const T* y, double* workspace) {
    bool aligned = is_vector_aligned(x) && (Op != Reduction::Dot || is_vector_aligned(y));
    int64_t vectors = aligned ? n / Vector<T>::width : 0;
    reduce_partial_kernel<T, Op><<<blocks, kThreads, 0, stream>>>(n, vectors, x, y, workspace);
}

// The partial pass of a reduction (the grid depends on n only), then one final block writing an R result.
template <typename T, typename R, bool Accumulate>
cudaError_t reduce_into(cudaStream_t stream, Reduction op, int64_t n, const T* x, const T* y,
                        double* workspace, int slots, R* result) {
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
    reduce_final_kernel<R, Accumulate>
        <<<1, slots, slots * sizeof(double), stream>>>(blocks, workspace, result);
    return cudaGetLastError();
}

}  // namespace

template <typename T>
cudaError_t launch_set(cudaStream_t stream, int64_t n, T alpha, T* y) {
    return launch_elementwise<T>(stream, n, SetOp<T>{alpha}, nullptr, y);
}

template <typename T>
cudaError_t launch_axpy(cudaStream_t stream, int64_t n, T alpha, const T* x, T* y) {
    return launch_elementwise<T>(stream, n, AxpyOp<T>{alpha}, x, y);
}

template <typename T>
cudaError_t launch_axpby(cudaStream_t stream, int64_t n, T alpha, const T* x, T beta, T* y) {
    return launch_elementwise<T>(stream, n, AxpbyOp<T>{alpha, beta}, x, y);
}

template <typename T>
cudaError_t launch_scal(cudaStream_t stream, int64_t n, T alpha, T* x) {
    return launch_elementwise<T>(stream, n, ScalOp<T>{alpha}, nullptr, x);
}

template <typename T>
cudaError_t launch_reduce(cudaStream_t stream, Reduction op, int64_t n, const T* x, const T* y,
                          double* workspace, int slots, T* result) {
    return reduce_into<T, T, false>(stream, op, n, x, y, workspace, slots, result);
}

template <typename T>
cudaError_t launch_dot_accumulate(cudaStream_t stream, int64_t n, const T* x, const T* y, double* workspace,
                                  int slots, T* result) {
    return reduce_into<T, T, true>(stream, Reduction::Dot, n, x, y, workspace, slots, result);
}

template <typename T>
cudaError_t launch_sumsq_double(cudaStream_t stream, int64_t n, const T* x, double* workspace, int slots,
                                double* result) {
    return reduce_into<T, double, false>(stream, Reduction::Sumsq, n, x, x, workspace, slots, result);
}

#define CREMA_INSTANTIATE_BLAS(T)                                                                          \
    template cudaError_t launch_set<T>(cudaStream_t, int64_t, T, T*);                                      \
    template cudaError_t launch_axpy<T>(cudaStream_t, int64_t, T, const T*, T*);                           \
    template cudaError_t launch_axpby<T>(cudaStream_t, int64_t, T, const T*, T, T*);                       \
    template cudaError_t launch_scal<T>(cudaStream_t, int64_t, T, T*);                                     \
    template cudaError_t launch_reduce<T>(cudaStream_t, Reduction, int64_t, const T*, const T*, double*,   \
                                          int, T*);                                                        \
    template cudaError_t launch_dot_accumulate<T>(cudaStream_t, int64_t, const T*, const T*, double*, int, \
                                                  T*);                                                     \
    template cudaError_t launch_sumsq_double<T>(cudaStream_t, int64_t, const T*, double*, int, double*);

CREMA_INSTANTIATE_BLAS(float)
CREMA_INSTANTIATE_BLAS(double)

}  // namespace crema::kernels
