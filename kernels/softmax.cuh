// Host launchers for the softmax kernels in softmax.cu, plus (for .cu files only) the device helpers that
// softmax.cu and softmax_loss.cu share. The launcher part is plain C++ so native/ can include it; the device
// part is compiled only by nvcc (__CUDACC__), which keeps the two ops' numerics identical without a third
// file. Each launcher queues work on stream and returns cudaGetLastError(); none synchronises with the host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace crema::kernels {

// y = softmax(x) along the channel axis of an (outer, channels, inner) view; element (i, c, j) is at
// i*channels*inner + c*inner + j. y may equal x.
template <typename T>
cudaError_t launch_softmax_forward(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                                   const T* x, T* y);

// dx = y * (dy - sum_c dy*y) along the channel axis. dx may equal dy.
template <typename T>
cudaError_t launch_softmax_backward(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                                    const T* y, const T* dy, T* dx);

}  // namespace crema::kernels

#if defined(__CUDACC__)
#include <math_constants.h>

#include <algorithm>
#include <type_traits>

// Shared device helpers. Three regimes cover every shape (the same ones in both .cu files):
//  - tile:   inner == 1 and channels <= kTileMaxChannels. A block stages a tile of kTileRows contiguous rows
//  in
//            shared memory with coalesced (16-byte when aligned) loads; one thread then owns one row. A
//            thread per row reading global memory directly would touch C different cache lines per warp load.
//  - row:    inner == 1 and wider rows. A warp per row (up to kWarpRowMaxVectors vectors per row), else a
//  block
//            per row. Each thread keeps its share of the row in registers (up to kRowCacheVectors 16-byte
//            vectors), so the second pass over the row (outputs) reads no memory; the part of a row past that
//            cache is read again, while it is still in L1/L2.
//  - column: inner > 1 (or channels == 0). A thread per position (i, j); consecutive threads take consecutive
//  j,
//            so every load of a class c is coalesced; up to kColumnCache values per position stay in
//            registers.
namespace crema::kernels::softmax_detail {

constexpr int kTileMaxChannels = 32;
constexpr int kTileThreads = 128;
constexpr int kTileBytes = 32 * 1024;  // shared memory per tile block, at most
constexpr int kWarpRowThreads = 256;   // 8 rows (warps) per block
constexpr int kRowCacheVectors = 8;
constexpr int kWarpRowMaxVectors = 32 * kRowCacheVectors;
constexpr int kBlockRowMaxThreads = 1024;
constexpr int kColumnThreads = 256;
constexpr int kColumnCache = 32;
// Blocks a grid-stride kernel launches at most when no workspace bounds it (enough to fill any current GPU).
constexpr int64_t kMaxBlocks = 8192;

// W consecutive elements moved as one load/store: 16 bytes when W * sizeof(T) == 16, else W scalars.
template <typename T, int W>
struct alignas(sizeof(T) * W) Pack {
    T v[W];
};

template <typename T>
struct VectorWidth {
    static constexpr int value = 16 / sizeof(T);
};

__host__ __device__ inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename T>
__device__ __forceinline__ T infinity();
template <>
__device__ __forceinline__ float infinity<float>() {
    return CUDART_INF_F;
}
template <>
__device__ __forceinline__ double infinity<double>() {
    return CUDART_INF;
}
template <typename T>
__device__ __forceinline__ T quiet_nan();
template <>
__device__ __forceinline__ float quiet_nan<float>() {
    return CUDART_NAN_F;
}
template <>
__device__ __forceinline__ double quiet_nan<double>() {
    return CUDART_NAN;
}
// The running maximum starts at the lowest finite value, not at -inf: then exp(x - m) of a -inf logit is
// exp(-inf) = 0 and never exp(-inf - -inf) = NaN.
template <typename T>
__device__ __forceinline__ T lowest();
template <>
__device__ __forceinline__ float lowest<float>() {
    return -3.402823466e+38f;
}
template <>
__device__ __forceinline__ double lowest<double>() {
    return -1.7976931348623157e+308;
}

// exp for arguments <= 0 (or NaN/-inf). For float, the SFU's exp2: its error (a few ulp, growing with |x|)
// stays far below the 1e-5 the results are checked to, and it keeps the kernels memory-bound.
__device__ __forceinline__ float exp_nonpositive(float x) { return __expf(x); }
__device__ __forceinline__ double exp_nonpositive(double x) { return exp(x); }
__device__ __forceinline__ float log_of(float x) { return logf(x); }
__device__ __forceinline__ double log_of(double x) { return log(x); }
// Products that must not be contracted into an FMA, so that combine(a, b) == combine(b, a) bitwise and every
// lane of a butterfly ends with the same value.
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }

// Online max and sum of exp(x - max) (one pass over the row). m never becomes NaN (x > m is false for NaN), a
// NaN logit makes s NaN for good, and finish() turns a +inf maximum or an all -inf row into NaN, which is
// what the two-pass definition gives (exp(inf - inf), exp(-inf - -inf)).
template <typename T>
struct MaxSum {
    T m;
    T s;

    __device__ __forceinline__ static MaxSum empty() { return {lowest<T>(), T(0)}; }

    __device__ __forceinline__ void add(T x) {
        bool up = x > m;
        T e = exp_nonpositive(up ? m - x : x - m);
        s = up ? s * e + T(1) : s + e;
        m = up ? x : m;
    }

    __device__ __forceinline__ static MaxSum combine(MaxSum a, MaxSum b) {
        T m = b.m > a.m ? b.m : a.m;
        return {m, mul_rn(a.s, exp_nonpositive(a.m - m)) + mul_rn(b.s, exp_nonpositive(b.m - m))};
    }

    // Sum as the definition has it: NaN when the maximum is +inf or every logit is -inf (s == 0).
    __device__ __forceinline__ T sum() const {
        return (s == T(0) || m == infinity<T>()) ? quiet_nan<T>() : s;
    }
    __device__ __forceinline__ T log_sum_exp() const { return m + log_of(sum()); }
};

// NaN-skipping maximum: fmax returns the other operand for a NaN, as `x > m ? x : m` does (m is never NaN).
__device__ __forceinline__ float max_skip_nan(float m, float x) { return fmaxf(m, x); }
__device__ __forceinline__ double max_skip_nan(double m, double x) { return fmax(m, x); }

// For values already on chip (registers, shared memory): the maximum first, then independent sums of
// exp(x - max). Same results as MaxSum::add for NaN and infinities, without the online update's serial chain
// of rescaling exps, which made the loss-only forward compute-bound. Unrolled over compile-time bounds so
// register arrays stay in registers.
template <typename T, int W, int NV>
__device__ __forceinline__ MaxSum<T> max_then_sum(const Pack<T, W> (&cache)[NV], int64_t first, int64_t step,
                                                  int64_t vectors) {
    T m = lowest<T>();
#pragma unroll
    for (int k = 0; k < NV; ++k) {
        if (first + k * step < vectors) {
#pragma unroll
            for (int w = 0; w < W; ++w) m = max_skip_nan(m, cache[k].v[w]);
        }
    }
    T part[W];
#pragma unroll
    for (int w = 0; w < W; ++w) part[w] = T(0);
#pragma unroll
    for (int k = 0; k < NV; ++k) {
        if (first + k * step < vectors) {
#pragma unroll
            for (int w = 0; w < W; ++w) part[w] += exp_nonpositive(cache[k].v[w] - m);
        }
    }
    T s = part[0];
#pragma unroll
    for (int w = 1; w < W; ++w) s += part[w];
    return {m, s};
}

// The first min(K, n) values of a register array.
template <typename T, int K>
__device__ __forceinline__ MaxSum<T> max_then_sum(const T (&cache)[K], int64_t n) {
    T m = lowest<T>();
#pragma unroll
    for (int k = 0; k < K; ++k)
        if (k < n) m = max_skip_nan(m, cache[k]);
    T part[2] = {T(0), T(0)};
#pragma unroll
    for (int k = 0; k < K; ++k)
        if (k < n) part[k % 2] += exp_nonpositive(cache[k] - m);
    return {m, part[0] + part[1]};
}

// n values in shared memory.
template <typename T>
__device__ __forceinline__ MaxSum<T> max_then_sum(const T* values, int n) {
    T m = lowest<T>();
    for (int k = 0; k < n; ++k) m = max_skip_nan(m, values[k]);
    T part[2] = {T(0), T(0)};
    for (int k = 0; k < n; ++k) part[k % 2] += exp_nonpositive(values[k] - m);
    return {m, part[0] + part[1]};
}

// Classes a column kernel loads together when it does not keep them in registers: the chunk's loads are all
// issued before any of its values is used, so they overlap (one load, use, store after another would not: the
// compiler may not move a load above a store to a pointer that might alias it).
constexpr int kColumnChunk = 8;

// Calls f(c, value) for the classes [first, count) of a column (stride `inner`), loading kColumnChunk at a
// time.
template <typename T, typename F>
__device__ __forceinline__ void for_column_chunks(const T* column, int64_t inner, int64_t first,
                                                  int64_t count, F&& f) {
    for (int64_t c0 = first; c0 < count; c0 += kColumnChunk) {
        T v[kColumnChunk];
#pragma unroll
        for (int k = 0; k < kColumnChunk; ++k)
            if (c0 + k < count) v[k] = column[(c0 + k) * inner];
#pragma unroll
        for (int k = 0; k < kColumnChunk; ++k)
            if (c0 + k < count) f(c0 + k, v[k]);
    }
}

// MaxSum over the classes [first, count) of a column: a max-then-sum per chunk, chunks combined in order.
template <typename T>
__device__ __forceinline__ MaxSum<T> column_max_sum(MaxSum<T> st, const T* column, int64_t inner,
                                                    int64_t first, int64_t count) {
    for (int64_t c0 = first; c0 < count; c0 += kColumnChunk) {
        T v[kColumnChunk];
#pragma unroll
        for (int k = 0; k < kColumnChunk; ++k)
            if (c0 + k < count) v[k] = column[(c0 + k) * inner];
        st = MaxSum<T>::combine(st, max_then_sum(v, count - c0));
    }
    return st;
}

template <typename T>
__device__ __forceinline__ MaxSum<T> shfl_xor(MaxSum<T> v, int mask) {
    return {__shfl_xor_sync(0xffffffffu, v.m, mask), __shfl_xor_sync(0xffffffffu, v.s, mask)};
}

// Butterfly over a full warp: every lane ends with the same value (the combine is commutative bitwise).
template <typename T>
__device__ __forceinline__ MaxSum<T> warp_combine(MaxSum<T> v) {
    for (int mask = 16; mask > 0; mask /= 2) v = MaxSum<T>::combine(v, shfl_xor(v, mask));
    return v;
}
template <typename V>
__device__ __forceinline__ V warp_sum(V v) {
    for (int mask = 16; mask > 0; mask /= 2) v += __shfl_xor_sync(0xffffffffu, v, mask);
    return v;
}

// Block-wide reductions (blockDim.x a multiple of 32, at most 1024). Every thread gets the result; the order
// depends on blockDim only. scratch holds 32 entries and may be reused once the call returns.
template <typename T>
__device__ MaxSum<T> block_combine(MaxSum<T> v, MaxSum<T>* scratch) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_combine(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    MaxSum<T> total = lane < warps ? scratch[lane] : MaxSum<T>::empty();
    total = warp_combine(total);
    __syncthreads();  // scratch is free again
    return total;
}
template <typename V>
__device__ V block_sum(V v, V* scratch) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    V total = lane < warps ? scratch[lane] : V(0);
    total = warp_sum(total);
    __syncthreads();
    return total;
}

// Copies count contiguous elements between global and shared memory with the whole block; 16-byte vectors
// when both ends are aligned (shared tiles always are), the tail one element at a time.
template <typename T>
__device__ void block_copy(const T* __restrict__ from, T* __restrict__ to, int64_t count, bool vectors) {
    constexpr int W = VectorWidth<T>::value;
    int64_t done = 0;
    if (vectors) {
        int64_t n = count / W;
        const Pack<T, W>* f = reinterpret_cast<const Pack<T, W>*>(from);
        Pack<T, W>* t = reinterpret_cast<Pack<T, W>*>(to);
        for (int64_t k = threadIdx.x; k < n; k += blockDim.x) t[k] = f[k];
        done = n * W;
    }
    for (int64_t k = done + threadIdx.x; k < count; k += blockDim.x) to[k] = from[k];
}

// Rows a tile block holds: kTileRows unless the tile(s) would pass kTileBytes.
__host__ __device__ inline int tile_rows(int64_t channels, int buffers, int element_size) {
    int64_t bytes = static_cast<int64_t>(kTileThreads) * channels * buffers * element_size;
    return bytes <= kTileBytes ? kTileThreads : kTileThreads / 2;
}

__host__ __device__ inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- launch configuration (host) -----------------------------------------------------------------------

inline int64_t pow2_at_least(int64_t n) {
    int64_t p = 1;
    while (p < n) p *= 2;
    return p;
}

// A row kernel's shape: threads per row (a warp, or the block), loads per thread kept in registers (NV),
// block size and grid.
struct RowConfig {
    bool warp;
    int cache;  // NV: 1, 2, 4 or 8
    int threads;
    int blocks;
};

// Rows of up to kWarpRowMaxVectors loads get a warp: its lanes hold the row in at most 8 loads each. Wider
// rows get a block of 128..1024 threads sized so that each thread holds at most block_cache loads (a kernel's
// register budget under __launch_bounds__(1024) sets block_cache); the part of a row past that is read again
// for the second pass, shortly after the first, from L2.
inline RowConfig row_config(int64_t rows, int64_t vectors, int64_t max_blocks, int block_cache) {
    RowConfig config{};
    if (vectors <= kWarpRowMaxVectors) {
        config.warp = true;
        config.cache = static_cast<int>(pow2_at_least(ceil_div(vectors, 32)));
        config.threads = kWarpRowThreads;
        config.blocks = static_cast<int>(std::min(ceil_div(rows, kWarpRowThreads / 32), max_blocks));
    } else {
        config.warp = false;
        config.threads = static_cast<int>(
            std::clamp<int64_t>(pow2_at_least(ceil_div(vectors, block_cache)), 128, kBlockRowMaxThreads));
        config.cache = static_cast<int>(
            std::min<int64_t>(block_cache, pow2_at_least(ceil_div(vectors, config.threads))));
        config.blocks = static_cast<int>(std::min(rows, max_blocks));
    }
    config.blocks = std::max(config.blocks, 1);
    return config;
}

// Calls f(integral_constant W, integral_constant NV, integral_constant warp) for a runtime configuration;
// block (warp) variants are instantiated only up to kBlockCache (kWarpCache) loads per thread.
template <typename T, int kBlockCache, int kWarpCache = kRowCacheVectors, typename F>
void dispatch_row(bool vectors, const RowConfig& config, F&& f) {
    constexpr int VW = VectorWidth<T>::value;
    auto with_cache = [&](auto w) {
        auto with_warp = [&](auto nv) {
            constexpr int nv_value = decltype(nv)::value;
            if (config.warp) {
                if constexpr (nv_value <= kWarpCache) f(w, nv, std::true_type{});
            } else {
                if constexpr (nv_value <= kBlockCache) f(w, nv, std::false_type{});
            }
        };
        switch (config.cache) {
            case 1:
                with_warp(std::integral_constant<int, 1>{});
                break;
            case 2:
                with_warp(std::integral_constant<int, 2>{});
                break;
            case 4:
                with_warp(std::integral_constant<int, 4>{});
                break;
            default:
                with_warp(std::integral_constant<int, 8>{});
                break;
        }
    };
    if (vectors)
        with_cache(std::integral_constant<int, VW>{});
    else
        with_cache(std::integral_constant<int, 1>{});
}

inline int column_blocks(int64_t positions, int64_t max_blocks) {
    return static_cast<int>(std::max<int64_t>(1, std::min(ceil_div(positions, kColumnThreads), max_blocks)));
}

}  // namespace crema::kernels::softmax_detail
#endif
