// Softmax along the channel axis of an (outer, channels, inner) view, forward and backward. Three regimes
// (see softmax.cuh): tile (inner == 1, few channels), row (inner == 1, wide rows: a warp or a block per row,
// the row kept in registers) and column (inner > 1: a thread per position, loads coalesced along inner).
// Every regime reads its inputs once and writes its output once: forward moves 2 x 4·M·C bytes (fp32),
// backward 3 x 4·M·C.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "softmax.cuh"

namespace crema::kernels {
namespace {

using namespace softmax_detail;

// Loads per thread a block-per-row kernel keeps in registers: what fits in the 64 registers a 1024-thread
// block allows without spilling (ptxas -v, sm_90). Backward keeps two arrays (y and dy).
template <typename T>
constexpr int kForwardBlockCache = sizeof(T) == 4 ? 8 : 4;
template <typename T>
constexpr int kBackwardBlockCache = 2;

// ---- forward ---------------------------------------------------------------------------------------------

template <typename T>
__global__ void __launch_bounds__(kTileThreads)
    softmax_forward_tile_kernel(int64_t rows, int channels, int tile_rows, bool vectors, const T* x, T* y) {
    extern __shared__ __align__(16) unsigned char shared_raw[];
    T* tile = reinterpret_cast<T*>(shared_raw);
    const int64_t tiles = ceil_div(rows, tile_rows);
    for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
        const int64_t row0 = t * tile_rows;
        const int n = static_cast<int>(rows - row0 < tile_rows ? rows - row0 : tile_rows);
        const int64_t count = static_cast<int64_t>(n) * channels;
        block_copy(x + row0 * channels, tile, count, vectors);
        __syncthreads();
        if (static_cast<int>(threadIdx.x) < n) {
            T* r = tile + threadIdx.x * channels;
            const MaxSum<T> st = max_then_sum(r, channels);
            const T inv = T(1) / st.sum();
            for (int c = 0; c < channels; ++c) r[c] = exp_nonpositive(r[c] - st.m) * inv;
        }
        __syncthreads();
        block_copy(tile, y + row0 * channels, count, vectors);
        __syncthreads();  // the tile is refilled next
    }
}

// A warp (kWarp) or the whole block per row; W elements per load; NV loads per thread kept in registers.
// x and y may alias: every element is read (or last read) by the thread that writes it.
template <typename T, int W, int NV, bool kWarp>
__global__ void __launch_bounds__(kWarp ? kWarpRowThreads : kBlockRowMaxThreads)
    softmax_forward_row_kernel(int64_t rows, int64_t channels, const T* x, T* y) {
    using P = Pack<T, W>;
    __shared__ MaxSum<T> scratch[32];
    const int threads = kWarp ? 32 : blockDim.x;
    const int lane = kWarp ? threadIdx.x % 32 : threadIdx.x;
    const int64_t groups = kWarp ? blockDim.x / 32 : 1;
    const int64_t group = kWarp ? threadIdx.x / 32 : 0;
    const int64_t vectors = channels / W;
    for (int64_t row = blockIdx.x * groups + group; row < rows; row += gridDim.x * groups) {
        const P* xr = reinterpret_cast<const P*>(x + row * channels);
        P* yr = reinterpret_cast<P*>(y + row * channels);
        P cache[NV];
#pragma unroll
        for (int k = 0; k < NV; ++k) {
            const int64_t v = lane + static_cast<int64_t>(k) * threads;
            if (v < vectors) cache[k] = xr[v];
        }
        MaxSum<T> st = max_then_sum(cache, lane, threads, vectors);
        for (int64_t v = lane + static_cast<int64_t>(NV) * threads; v < vectors; v += threads) {
            const P p = xr[v];
#pragma unroll
            for (int w = 0; w < W; ++w) st.add(p.v[w]);
        }
        if constexpr (kWarp)
            st = warp_combine(st);
        else
            st = block_combine(st, scratch);
        const T inv = T(1) / st.sum();
#pragma unroll
        for (int k = 0; k < NV; ++k) {
            const int64_t v = lane + static_cast<int64_t>(k) * threads;
            if (v < vectors) {
                P o;
#pragma unroll
                for (int w = 0; w < W; ++w) o.v[w] = exp_nonpositive(cache[k].v[w] - st.m) * inv;
                yr[v] = o;
            }
        }
        for (int64_t v = lane + static_cast<int64_t>(NV) * threads; v < vectors; v += threads) {
            const P p = xr[v];
            P o;
#pragma unroll
            for (int w = 0; w < W; ++w) o.v[w] = exp_nonpositive(p.v[w] - st.m) * inv;
            yr[v] = o;
        }
    }
}

// A thread per position (i, j); K values per position kept in registers (0: none, every pass reads memory).
template <typename T, int K>
__global__ void __launch_bounds__(kColumnThreads)
    softmax_forward_column_kernel(int64_t positions, int64_t channels, int64_t inner, const T* x, T* y) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < positions;
         p += stride) {
        const int64_t i = p / inner, j = p - i * inner;
        const int64_t base = i * channels * inner + j;
        const T* xc = x + base;
        T* yc = y + base;
        T cache[K > 0 ? K : 1];
        MaxSum<T> st = MaxSum<T>::empty();
        if constexpr (K > 0) {
#pragma unroll
            for (int k = 0; k < K; ++k)
                if (k < channels) cache[k] = xc[k * inner];
            st = max_then_sum(cache, channels);
        }
        st = column_max_sum(st, xc, inner, K, channels);
        const T inv = T(1) / st.sum();
        if constexpr (K > 0) {
#pragma unroll
            for (int k = 0; k < K; ++k)
                if (k < channels) yc[k * inner] = exp_nonpositive(cache[k] - st.m) * inv;
        }
        for_column_chunks(xc, inner, K, channels,
                          [&](int64_t c, T v) { yc[c * inner] = exp_nonpositive(v - st.m) * inv; });
    }
}

// ---- backward: dx = y * (dy - dot), dot = sum_c dy*y accumulated in double ------------------------------

// Two tiles (y and dy); dx is formed in the dy tile and stored from there.
template <typename T>
__global__ void __launch_bounds__(kTileThreads)
    softmax_backward_tile_kernel(int64_t rows, int channels, int tile_rows, bool vectors, const T* y,
                                 const T* dy, T* dx) {
    extern __shared__ __align__(16) unsigned char shared_raw[];
    T* ty = reinterpret_cast<T*>(shared_raw);
    T* td = ty + static_cast<int64_t>(tile_rows) * channels;
    const int64_t tiles = ceil_div(rows, tile_rows);
    for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
        const int64_t row0 = t * tile_rows;
        const int n = static_cast<int>(rows - row0 < tile_rows ? rows - row0 : tile_rows);
        const int64_t count = static_cast<int64_t>(n) * channels;
        block_copy(y + row0 * channels, ty, count, vectors);
        block_copy(dy + row0 * channels, td, count, vectors);
        __syncthreads();
        if (static_cast<int>(threadIdx.x) < n) {
            const T* ry = ty + threadIdx.x * channels;
            T* rd = td + threadIdx.x * channels;
            double dot = 0;
            for (int c = 0; c < channels; ++c) dot += static_cast<double>(rd[c]) * static_cast<double>(ry[c]);
            const T d = static_cast<T>(dot);
            for (int c = 0; c < channels; ++c) rd[c] = ry[c] * (rd[c] - d);
        }
        __syncthreads();
        block_copy(td, dx + row0 * channels, count, vectors);
        __syncthreads();
    }
}

template <typename T, int W, int NV, bool kWarp>
__global__ void __launch_bounds__(kWarp ? kWarpRowThreads : kBlockRowMaxThreads)
    softmax_backward_row_kernel(int64_t rows, int64_t channels, const T* y, const T* dy, T* dx) {
    using P = Pack<T, W>;
    __shared__ double scratch[32];
    const int threads = kWarp ? 32 : blockDim.x;
    const int lane = kWarp ? threadIdx.x % 32 : threadIdx.x;
    const int64_t groups = kWarp ? blockDim.x / 32 : 1;
    const int64_t group = kWarp ? threadIdx.x / 32 : 0;
    const int64_t vectors = channels / W;
    for (int64_t row = blockIdx.x * groups + group; row < rows; row += gridDim.x * groups) {
        const P* yr = reinterpret_cast<const P*>(y + row * channels);
        const P* dr = reinterpret_cast<const P*>(dy + row * channels);
        P* xr = reinterpret_cast<P*>(dx + row * channels);
        P cy[NV], cd[NV];
#pragma unroll
        for (int k = 0; k < NV; ++k) {
            const int64_t v = lane + static_cast<int64_t>(k) * threads;
            if (v < vectors) {
                cy[k] = yr[v];
                cd[k] = dr[v];
            }
        }
        double dot = 0;
#pragma unroll
        for (int k = 0; k < NV; ++k) {
            if (lane + static_cast<int64_t>(k) * threads < vectors) {
#pragma unroll
                for (int w = 0; w < W; ++w)
                    dot += static_cast<double>(cd[k].v[w]) * static_cast<double>(cy[k].v[w]);
            }
        }
        for (int64_t v = lane + static_cast<int64_t>(NV) * threads; v < vectors; v += threads) {
            const P a = yr[v], b = dr[v];
#pragma unroll
            for (int w = 0; w < W; ++w) dot += static_cast<double>(b.v[w]) * static_cast<double>(a.v[w]);
        }
        if constexpr (kWarp)
            dot = warp_sum(dot);
        else
            dot = block_sum(dot, scratch);
        const T d = static_cast<T>(dot);
#pragma unroll
        for (int k = 0; k < NV; ++k) {
            const int64_t v = lane + static_cast<int64_t>(k) * threads;
            if (v < vectors) {
                P o;
#pragma unroll
                for (int w = 0; w < W; ++w) o.v[w] = cy[k].v[w] * (cd[k].v[w] - d);
                xr[v] = o;
            }
        }
        for (int64_t v = lane + static_cast<int64_t>(NV) * threads; v < vectors; v += threads) {
            const P a = yr[v], b = dr[v];
            P o;
#pragma unroll
            for (int w = 0; w < W; ++w) o.v[w] = a.v[w] * (b.v[w] - d);
            xr[v] = o;
        }
    }
}

template <typename T, int K>
__global__ void __launch_bounds__(kColumnThreads)
    softmax_backward_column_kernel(int64_t positions, int64_t channels, int64_t inner, const T* y,
                                   const T* dy, T* dx) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < positions;
         p += stride) {
        const int64_t i = p / inner, j = p - i * inner;
        const int64_t base = i * channels * inner + j;
        const T* yc = y + base;
        const T* dc = dy + base;
        T* xc = dx + base;
        T cy[K > 0 ? K : 1], cd[K > 0 ? K : 1];
        double dot = 0;
        if constexpr (K > 0) {
#pragma unroll
            for (int k = 0; k < K; ++k) {
                if (k < channels) {
                    cy[k] = yc[k * inner];
                    cd[k] = dc[k * inner];
                }
            }
#pragma unroll
            for (int k = 0; k < K; ++k)
                if (k < channels) dot += static_cast<double>(cd[k]) * static_cast<double>(cy[k]);
        }
        for (int64_t c = K; c < channels; ++c)
            dot += static_cast<double>(dc[c * inner]) * static_cast<double>(yc[c * inner]);
        const T d = static_cast<T>(dot);
        if constexpr (K > 0) {
#pragma unroll
            for (int k = 0; k < K; ++k)
                if (k < channels) xc[k * inner] = cy[k] * (cd[k] - d);
        }
        for (int64_t c0 = K; c0 < channels; c0 += kColumnChunk) {  // loads of a chunk before its stores
            T vy[kColumnChunk], vd[kColumnChunk];
#pragma unroll
            for (int k = 0; k < kColumnChunk; ++k) {
                if (c0 + k < channels) {
                    vy[k] = yc[(c0 + k) * inner];
                    vd[k] = dc[(c0 + k) * inner];
                }
            }
#pragma unroll
            for (int k = 0; k < kColumnChunk; ++k)
                if (c0 + k < channels) xc[(c0 + k) * inner] = vy[k] * (vd[k] - d);
        }
    }
}

}  // namespace

template <typename T>
cudaError_t launch_softmax_forward(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                                   const T* x, T* y) {
    const int64_t positions = outer * inner;
    if (positions == 0 || channels == 0) return cudaSuccess;
    if (inner == 1 && channels <= kTileMaxChannels) {
        const int rows = tile_rows(channels, 1, sizeof(T));
        const int blocks = static_cast<int>(std::min(ceil_div(outer, rows), kMaxBlocks));
        const size_t shared = static_cast<size_t>(rows) * channels * sizeof(T);
        const bool vectors = aligned16(x) && aligned16(y);
        softmax_forward_tile_kernel<T><<<blocks, kTileThreads, shared, stream>>>(
            outer, static_cast<int>(channels), rows, vectors, x, y);
    } else if (inner == 1) {
        constexpr int VW = VectorWidth<T>::value;
        const bool vectors = aligned16(x) && aligned16(y) && channels % VW == 0;
        const RowConfig config =
            row_config(outer, vectors ? channels / VW : channels, kMaxBlocks, kForwardBlockCache<T>);
        dispatch_row<T, kForwardBlockCache<T>>(vectors, config, [&](auto w, auto nv, auto warp) {
            softmax_forward_row_kernel<T, decltype(w)::value, decltype(nv)::value, decltype(warp)::value>
                <<<config.blocks, config.threads, 0, stream>>>(outer, channels, x, y);
        });
    } else if (channels <= 8) {
        softmax_forward_column_kernel<T, 8>
            <<<column_blocks(positions, kMaxBlocks), kColumnThreads, 0, stream>>>(positions, channels, inner,
                                                                                  x, y);
    } else if (channels <= kColumnCache) {
        softmax_forward_column_kernel<T, kColumnCache>
            <<<column_blocks(positions, kMaxBlocks), kColumnThreads, 0, stream>>>(positions, channels, inner,
                                                                                  x, y);
    } else {
        softmax_forward_column_kernel<T, 0>
            <<<column_blocks(positions, kMaxBlocks), kColumnThreads, 0, stream>>>(positions, channels, inner,
                                                                                  x, y);
    }
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_softmax_backward(cudaStream_t stream, int64_t outer, int64_t channels, int64_t inner,
                                    const T* y, const T* dy, T* dx) {
    const int64_t positions = outer * inner;
    if (positions == 0 || channels == 0) return cudaSuccess;
    if (inner == 1 && channels <= kTileMaxChannels) {
        const int rows = tile_rows(channels, 2, sizeof(T));
        const int blocks = static_cast<int>(std::min(ceil_div(outer, rows), kMaxBlocks));
        const size_t shared = 2 * static_cast<size_t>(rows) * channels * sizeof(T);
        const bool vectors = aligned16(y) && aligned16(dy) && aligned16(dx);
        softmax_backward_tile_kernel<T><<<blocks, kTileThreads, shared, stream>>>(
            outer, static_cast<int>(channels), rows, vectors, y, dy, dx);
    } else if (inner == 1) {
        constexpr int VW = VectorWidth<T>::value;
        const bool vectors = aligned16(y) && aligned16(dy) && aligned16(dx) && channels % VW == 0;
        const RowConfig config =
            row_config(outer, vectors ? channels / VW : channels, kMaxBlocks, kBackwardBlockCache<T>);
        dispatch_row<T, kBackwardBlockCache<T>>(vectors, config, [&](auto w, auto nv, auto warp) {
            softmax_backward_row_kernel<T, decltype(w)::value, decltype(nv)::value, decltype(warp)::value>
                <<<config.blocks, config.threads, 0, stream>>>(outer, channels, y, dy, dx);
        });
    } else if (channels <= 8) {
        softmax_backward_column_kernel<T, 8>
            <<<column_blocks(positions, kMaxBlocks), kColumnThreads, 0, stream>>>(positions, channels, inner,
                                                                                  y, dy, dx);
    } else if (channels <= kColumnCache) {
        softmax_backward_column_kernel<T, kColumnCache>
            <<<column_blocks(positions, kMaxBlocks), kColumnThreads, 0, stream>>>(positions, channels, inner,
                                                                                  y, dy, dx);
    } else {
        softmax_backward_column_kernel<T, 0>
            <<<column_blocks(positions, kMaxBlocks), kColumnThreads, 0, stream>>>(positions, channels, inner,
                                                                                  y, dy, dx);
    }
    return cudaGetLastError();
}

template cudaError_t launch_softmax_forward<float>(cudaStream_t, int64_t, int64_t, int64_t, const float*,
                                                   float*);
template cudaError_t launch_softmax_forward<double>(cudaStream_t, int64_t, int64_t, int64_t, const double*,
                                                    double*);
template cudaError_t launch_softmax_backward<float>(cudaStream_t, int64_t, int64_t, int64_t, const float*,
                                                    const float*, float*);
template cudaError_t launch_softmax_backward<double>(cudaStream_t, int64_t, int64_t, int64_t, const double*,
                                                     const double*, double*);

}  // namespace crema::kernels
