// ReLU forward and backward: one read of each input and one write of the output per element, 16-byte loads
// and stores when every pointer is aligned, grid-stride loops with 64-bit indices. The arithmetic is the CPU
// reference's, in T (a compare, then one multiply on the negative side), so both engines give the same bits.
#include <algorithm>
#include <cstdint>

#include "relu.cuh"

namespace crema::kernels {
namespace {

constexpr int kThreads = 256;
// Enough blocks to fill any current GPU several times over; the grid-stride loop covers the rest.
constexpr int64_t kMaxBlocks = 65535;

template <typename T>
struct alignas(16) Vector {
    static constexpr int width = 16 / sizeof(T);
    T v[width];
};

__host__ bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename T>
__device__ __forceinline__ T relu(T x, T slope) {
    return x > T(0) ? x : slope * x;
}

template <typename T>
__device__ __forceinline__ T relu_grad(T x, T dy, T slope) {
    return x > T(0) ? dy : slope * dy;
}

// Pointers are not __restrict__: y may be x (forward) and dx may be dy (backward). Each element is read and
// then written by the same thread, so an exact alias is safe.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    relu_forward_kernel(int64_t n, int64_t vectors, T slope, const T* x, T* y) {
    using V = Vector<T>;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const V* xv = reinterpret_cast<const V*>(x);
    V* yv = reinterpret_cast<V*>(y);
    for (int64_t i = first; i < vectors; i += stride) {
        V v = xv[i];
#pragma unroll
        for (int w = 0; w < V::width; ++w) v.v[w] = relu(v.v[w], slope);
        yv[i] = v;
    }
    for (int64_t i = vectors * V::width + first; i < n; i += stride) y[i] = relu(x[i], slope);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    relu_backward_kernel(int64_t n, int64_t vectors, T slope, const T* x, const T* dy, T* dx) {
    using V = Vector<T>;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const V* xv = reinterpret_cast<const V*>(x);
    const V* dyv = reinterpret_cast<const V*>(dy);
    V* dxv = reinterpret_cast<V*>(dx);
    for (int64_t i = first; i < vectors; i += stride) {
        const V xs = xv[i];
        V g = dyv[i];
#pragma unroll
        for (int w = 0; w < V::width; ++w) g.v[w] = relu_grad(xs.v[w], g.v[w], slope);
        dxv[i] = g;
    }
    for (int64_t i = vectors * V::width + first; i < n; i += stride) dx[i] = relu_grad(x[i], dy[i], slope);
}

// The grid for `work` loop iterations of the widest kind (vectors, or the scalar tail).
unsigned blocks_for(int64_t work) {
    return static_cast<unsigned>(
        std::max<int64_t>(1, std::min<int64_t>((work + kThreads - 1) / kThreads, kMaxBlocks)));
}

}  // namespace

template <typename T>
cudaError_t launch_relu_forward(cudaStream_t stream, int64_t n, T negative_slope, const T* x, T* y) {
    if (n <= 0) return cudaSuccess;
    constexpr int W = Vector<T>::width;
    const int64_t vectors = aligned16(x) && aligned16(y) ? n / W : 0;
    const int64_t work = std::max<int64_t>(vectors, n - vectors * W);
    relu_forward_kernel<T><<<blocks_for(work), kThreads, 0, stream>>>(n, vectors, negative_slope, x, y);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_relu_backward(cudaStream_t stream, int64_t n, T negative_slope, const T* x, const T* dy,
                                 T* dx) {
    if (n <= 0) return cudaSuccess;
    constexpr int W = Vector<T>::width;
    const int64_t vectors = aligned16(x) && aligned16(dy) && aligned16(dx) ? n / W : 0;
    const int64_t work = std::max<int64_t>(vectors, n - vectors * W);
    relu_backward_kernel<T><<<blocks_for(work), kThreads, 0, stream>>>(n, vectors, negative_slope, x, dy, dx);
    return cudaGetLastError();
}

template cudaError_t launch_relu_forward<float>(cudaStream_t, int64_t, float, const float*, float*);
template cudaError_t launch_relu_forward<double>(cudaStream_t, int64_t, double, const double*, double*);
template cudaError_t launch_relu_backward<float>(cudaStream_t, int64_t, float, const float*, const float*,
                                                 float*);
template cudaError_t launch_relu_backward<double>(cudaStream_t, int64_t, double, const double*, const double*,
                                                  double*);

}  // namespace crema::kernels
