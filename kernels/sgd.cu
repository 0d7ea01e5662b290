// The SGD solver's kernels: the step's scale (iter_size and gradient clipping, from the per-param sums of
// squares) and the fused momentum update of one param. sgd.cuh defines what each computes.
#include <algorithm>
#include <cstdint>

#include "sgd.cuh"

namespace crema::kernels {
namespace {

constexpr int kThreads = 256;
// Enough blocks to fill any current GPU several times over; grid-stride loops cover the rest.
constexpr int64_t kMaxBlocks = 65535;

// Each product and sum rounded on its own: nvcc would otherwise contract a * b + c into one fma, and the CPU
// twin rounds every operation.
__device__ __forceinline__ float mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double sub(double a, double b) { return __dsub_rn(a, b); }

// 16 bytes of T, moved as one vector load or store (what it takes to approach the copy bandwidth).
template <typename T>
struct alignas(16) Pack {
    static constexpr int width = 16 / sizeof(T);
    T v[width];
};

bool is_pack_aligned(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

template <typename T>
struct Coefficients {
    T momentum, decay, rate;
};

// One element of the update; w, d and h are data, diff and history, updated in place.
template <typename T, bool Decay, bool Momentum, bool Apply>
__device__ __forceinline__ void update_element(T scale, const Coefficients<T>& c, T& w, T& d, T& h) {
    T g = mul(d, scale);
    if (Decay) g = add(mul(c.decay, w), g);
    T step = mul(c.rate, g);
    h = Momentum ? add(mul(c.momentum, h), step) : step;
    d = h;
    if (Apply) w = sub(w, h);
}

// The first `packs` 16-byte packs through vector accesses (all three pointers aligned), the rest one element
// at a time. data is read only with Decay or Apply, history only with Momentum.
template <typename T, bool Decay, bool Momentum, bool Apply>
__global__ void sgd_update_kernel(int64_t n, int64_t packs, Coefficients<T> c, const T* __restrict__ scale,
                                  T* __restrict__ data, T* __restrict__ diff, T* __restrict__ history) {
    using P = Pack<T>;
    const T s = *scale;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const int64_t first = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    P* wp = reinterpret_cast<P*>(data);
    P* dp = reinterpret_cast<P*>(diff);
    P* hp = reinterpret_cast<P*>(history);
    for (int64_t i = first; i < packs; i += stride) {
        P w = Decay || Apply ? wp[i] : P{};
        P d = dp[i];
        P h = Momentum ? hp[i] : P{};
#pragma unroll
        for (int k = 0; k < P::width; ++k)
            update_element<T, Decay, Momentum, Apply>(s, c, w.v[k], d.v[k], h.v[k]);
        hp[i] = h;
        dp[i] = d;
        if (Apply) wp[i] = w;
    }
    for (int64_t i = packs * P::width + first; i < n; i += stride) {
        T w = Decay || Apply ? data[i] : T(0);
        T d = diff[i];
        T h = Momentum ? history[i] : T(0);
        update_element<T, Decay, Momentum, Apply>(s, c, w, d, h);
        history[i] = h;
        diff[i] = d;
        if (Apply) data[i] = w;
    }
}

template <typename T, bool Decay, bool Momentum, bool Apply>
void launch_update_variant(cudaStream_t stream, int64_t n, Coefficients<T> c, const T* scale, T* data,
                           T* diff, T* history) {
    bool aligned = is_pack_aligned(data) && is_pack_aligned(diff) && is_pack_aligned(history);
    int64_t packs = aligned ? n / Pack<T>::width : 0;
    int64_t work = std::max<int64_t>(packs, n - packs * Pack<T>::width);
    int64_t blocks = std::max<int64_t>(1, std::min<int64_t>((work + kThreads - 1) / kThreads, kMaxBlocks));
    sgd_update_kernel<T, Decay, Momentum, Apply>
        <<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(n, packs, c, scale, data, diff, history);
}

template <typename T, bool Decay, bool Momentum>
void launch_update_apply(cudaStream_t stream, int64_t n, Coefficients<T> c, const T* scale, bool apply,
                         T* data, T* diff, T* history) {
    if (apply)
        launch_update_variant<T, Decay, Momentum, true>(stream, n, c, scale, data, diff, history);
    else
        launch_update_variant<T, Decay, Momentum, false>(stream, n, c, scale, data, diff, history);
}

template <typename T, bool Decay>
void launch_update_momentum(cudaStream_t stream, int64_t n, Coefficients<T> c, const T* scale, bool apply,
                            T* data, T* diff, T* history) {
    if (c.momentum != T(0))
        launch_update_apply<T, Decay, true>(stream, n, c, scale, apply, data, diff, history);
    else
        launch_update_apply<T, Decay, false>(stream, n, c, scale, apply, data, diff, history);
}

template <typename T>
__global__ void sgd_clip_scale_kernel(int64_t count, const double* __restrict__ sumsqs, double clip,
                                      double iter_size, double* __restrict__ norm_out,
                                      T* __restrict__ scale) {
    double total = 0.0;
    for (int64_t i = 0; i < count; ++i) total = __dadd_rn(total, sumsqs[i]);
    double norm = __ddiv_rn(__dsqrt_rn(total), iter_size);
    if (norm_out) *norm_out = norm;
    double factor = clip >= 0.0 && norm > clip ? __ddiv_rn(clip, norm) : 1.0;
    *scale = static_cast<T>(__ddiv_rn(factor, iter_size));
}

}  // namespace

template <typename T>
cudaError_t launch_sgd_clip_scale(cudaStream_t stream, int64_t count, const double* sumsqs, double clip,
                                  double iter_size, double* norm_out, T* scale) {
    sgd_clip_scale_kernel<T><<<1, 1, 0, stream>>>(count, sumsqs, clip, iter_size, norm_out, scale);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_sgd_update(cudaStream_t stream, int64_t n, T momentum, T local_decay, T local_rate,
                              const T* scale, bool apply_update, T* data, T* diff, T* history) {
    if (n <= 0) return cudaSuccess;
    Coefficients<T> c{momentum, local_decay, local_rate};
    if (local_decay != T(0))
        launch_update_momentum<T, true>(stream, n, c, scale, apply_update, data, diff, history);
    else
        launch_update_momentum<T, false>(stream, n, c, scale, apply_update, data, diff, history);
    return cudaGetLastError();
}

#define CREMA_INSTANTIATE_SGD(T)                                                                        \
    template cudaError_t launch_sgd_clip_scale<T>(cudaStream_t, int64_t, const double*, double, double, \
                                                  double*, T*);                                         \
    template cudaError_t launch_sgd_update<T>(cudaStream_t, int64_t, T, T, T, const T*, bool, T*, T*, T*);

CREMA_INSTANTIATE_SGD(float)
CREMA_INSTANTIATE_SGD(double)

}  // namespace crema::kernels
