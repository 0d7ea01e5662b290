// Softmax cross-entropy (Caffe's SoftmaxWithLoss, docs/softmax-loss-semantics.md), forward, backward and
// fused.
//
// Passes over the logits (fp32 bytes as multiples of 4·M·C):
//  - forward:  one read (online max and sum); writes one lse per position and one pair of partial sums (loss,
//              valid count or weight sum) per block; one block then adds the partials in a fixed order. 1x.
//  - backward: reads the logits and writes the gradient, p recomputed from the stored lse. 2x.
//  - fused:    the gradient needs s = top_diff / N before it is written. N is known from the shape except for
//              VALID, where a pre-pass over the M labels (not the M·C logits) computes it on the device. Then
//              one pass reads each row once (kept in registers or shared memory) and writes lse, the gradient
//              and the partials. 2x.
//  (+1x each for the optional probability output.)
// The regimes (tile, row, column) are the ones of softmax.cu; see softmax.cuh. Grids depend on the shape only
// and no floating-point atomics are used, so results are bitwise reproducible; the least position of an
// invalid label is recorded with an integer atomicMin.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "softmax.cuh"
#include "softmax_loss.cuh"

namespace crema::kernels {
namespace {

using namespace softmax_detail;

// -ln(FLT_MIN): Caffe's clamp -log(max(p, FLT_MIN)) in the log domain; applied only when nll is greater, so
// NaN stays NaN.
constexpr double kNllClamp = 87.336544750553;
constexpr int64_t kIgnored = -1;
constexpr int64_t kInvalid = -2;
// Per-block partials the forward grid writes at most (two arrays of this many doubles in the workspace).
constexpr int64_t kMaxLossBlocks = 4096;
constexpr int kFinalThreads = 1024;
constexpr int kCountThreads = 256;
constexpr int64_t kCountItemsPerThread = 4;

// Loads per thread a block-per-row loss kernel keeps in registers (64 registers at 1024 threads; ptxas -v).
template <typename T>
constexpr int kLossBlockCache = sizeof(T) == 4 ? 8 : 4;

template <typename T>
struct LossArgs {
    int64_t outer, channels, inner;
    const T* logits;
    const T* labels;
    const T* weights;  // null: every class weighs 1
    int32_t has_ignore;
    double ignore_value;
    double eps;                // label smoothing
    const double* weight_sum;  // W = sum of the weights, on the device (when weights and eps > 0)
    const T* lse_in;           // backward: from the forward pass
    T* lse;                    // forward
    T* prob;                   // forward, optional
    T* grad;                   // fused forward or backward
    const T* scale_num;        // top diff (device scalar) when a gradient is written
    const T* scale_den;        // normalizer (device scalar), or null: scale_den_value
    double scale_den_value;
    int64_t* bad_label;
    double* loss_partials;
    double* count_partials;
};

// The class a label selects, or kIgnored, or kInvalid (not integral, out of [0, C), NaN). Never used as an
// index unless it is a class.
template <typename T>
__device__ __forceinline__ int64_t classify(T label, const LossArgs<T>& a) {
    const double v = static_cast<double>(label);
    if (a.has_ignore && v == a.ignore_value) return kIgnored;
    if (!(v >= 0.0) || !(v < static_cast<double>(a.channels)) || v != floor(v)) return kInvalid;
    return static_cast<int64_t>(v);
}

__device__ __forceinline__ double clamp_nll(double v) { return v > kNllClamp ? kNllClamp : v; }

// s = top diff / N, read on the device. The normalizer is the T value the forward pass wrote (or would
// write), so the fused and the separate backward gradients are the same bits.
template <typename T>
__device__ __forceinline__ double gradient_scale(const LossArgs<T>& a) {
    if (!a.scale_num) return 0.0;
    const double den = a.scale_den ? static_cast<double>(*a.scale_den) : a.scale_den_value;
    return static_cast<double>(*a.scale_num) / den;
}

// What the second pass needs at one position: g_c = a (p_c - [c = y]) + b (W p_c - w_c) for a class y, else
// 0.
template <typename T>
struct RowTerms {
    T lse;
    int64_t cls;
    T a;     // s (1 - eps) w_y
    T b;     // s eps / C
    T wsum;  // W
    bool smooth;
    const T* weights;

    __device__ __forceinline__ T weight(int64_t c) const { return weights ? weights[c] : T(1); }
    __device__ __forceinline__ T prob(T x) const { return exp_nonpositive(x - lse); }
    __device__ __forceinline__ T grad(T p, int64_t c) const {
        if (cls < 0) return T(0);
        T g = a * (p - (c == cls ? T(1) : T(0)));
        if (smooth) g += b * (wsum * p - weight(c));
        return g;
    }
    // w_c * nll_c, for the smoothing term of the loss
    __device__ __forceinline__ double smooth_term(T x, int64_t c) const {
        return static_cast<double>(weight(c)) * clamp_nll(static_cast<double>(lse) - static_cast<double>(x));
    }
};

template <typename T>
__device__ __forceinline__ RowTerms<T> row_terms(const LossArgs<T>& a, T lse, int64_t cls, double s) {
    RowTerms<T> r;
    r.lse = lse;
    r.cls = cls;
    r.weights = a.weights;
    r.smooth = a.eps > 0;
    const double wy = (cls >= 0 && a.weights) ? static_cast<double>(a.weights[cls]) : 1.0;
    r.a = static_cast<T>(s * (1.0 - a.eps) * wy);
    r.b = static_cast<T>(s * a.eps / static_cast<double>(a.channels));
    // W is needed (and on the device) only for smoothing with class weights.
    r.wsum = static_cast<T>(!r.smooth ? 0.0 : a.weights ? *a.weight_sum : static_cast<double>(a.channels));
    return r;
}

// Adds position p's loss and normalizer share (1, or w_y with class weights), or records an invalid label.
template <typename T>
__device__ __forceinline__ void add_loss(const LossArgs<T>& a, int64_t p, int64_t cls, T lse, T x_label,
                                         double smooth_sum, double& loss, double& count) {
    if (cls == kInvalid) {
        atomicMin(reinterpret_cast<long long*>(a.bad_label), static_cast<long long>(p));
        return;
    }
    if (cls < 0) return;
    const double wy = a.weights ? static_cast<double>(a.weights[cls]) : 1.0;
    double l = (1.0 - a.eps) * wy * clamp_nll(static_cast<double>(lse) - static_cast<double>(x_label));
    if (a.eps > 0) l += a.eps / static_cast<double>(a.channels) * smooth_sum;
    loss += l;
    count += wy;
}

template <typename T>
__device__ void write_partials(const LossArgs<T>& a, double loss, double count, double* scratch) {
    loss = block_sum(loss, scratch);
    count = block_sum(count, scratch);
    if (threadIdx.x == 0) {
        a.loss_partials[blockIdx.x] = loss;
        a.count_partials[blockIdx.x] = count;
    }
}

// ---- tile regime: inner == 1, 1 <= C <= kTileMaxChannels
// --------------------------------------------------- The block stages tile_rows rows in shared memory
// (coalesced loads); thread t owns row t. The probabilities replace the logits in the tile, then the gradient
// replaces them, and each is stored coalesced from there.

template <typename T, bool kBackward>
__global__ void __launch_bounds__(kTileThreads)
    softmax_loss_tile_kernel(LossArgs<T> a, int tile_rows, bool vectors) {
    extern __shared__ __align__(16) unsigned char shared_raw[];
    __shared__ double scratch[32];
    T* tile = reinterpret_cast<T*>(shared_raw);
    const int channels = static_cast<int>(a.channels);
    const double s = gradient_scale(a);
    const bool second = kBackward || a.prob || a.grad || a.eps > 0;
    double loss = 0, count = 0;
    const int64_t tiles = ceil_div(a.outer, tile_rows);
    for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
        const int64_t row0 = t * tile_rows;
        const int n = a.outer - row0 < tile_rows ? static_cast<int>(a.outer - row0) : tile_rows;
        const int64_t elements = static_cast<int64_t>(n) * channels;
        block_copy(a.logits + row0 * channels, tile, elements, vectors);
        __syncthreads();
        const bool mine = static_cast<int>(threadIdx.x) < n;
        RowTerms<T> terms{};
        if (mine) {
            const int64_t row = row0 + threadIdx.x;
            T* r = tile + threadIdx.x * channels;
            const int64_t cls = classify(a.labels[row], a);
            T lse, x_label = T(0);
            if constexpr (kBackward) {
                lse = a.lse_in[row];
            } else {
                const MaxSum<T> st = max_then_sum(r, channels);
                lse = st.log_sum_exp();
                a.lse[row] = lse;
                if (cls >= 0) x_label = r[cls];
            }
            terms = row_terms(a, lse, cls, s);
            double smooth_sum = 0;
            if (second) {
                for (int c = 0; c < channels; ++c) {
                    const T x = r[c];
                    if (!kBackward && terms.smooth) smooth_sum += terms.smooth_term(x, c);
                    r[c] = terms.prob(x);
                }
            }
            if constexpr (!kBackward) add_loss(a, row, cls, lse, x_label, smooth_sum, loss, count);
        }
        __syncthreads();
        if (!kBackward && a.prob) {
            block_copy(tile, a.prob + row0 * channels, elements, vectors);
            __syncthreads();
        }
        if (a.grad) {
            if (mine) {
                T* r = tile + threadIdx.x * channels;
                for (int c = 0; c < channels; ++c) r[c] = terms.grad(r[c], c);
            }
            __syncthreads();
            block_copy(tile, a.grad + row0 * channels, elements, vectors);
            __syncthreads();
        }
    }
    if constexpr (!kBackward) write_partials(a, loss, count, scratch);
}

// ---- row regime: inner == 1, wider rows: a warp (kWarp) or the block per row
// ------------------------------- W elements per load, NV loads per thread kept in registers for the second
// pass (forward only; backward reads every element once anyway). Lane 0 owns the row's label, lse and loss.

template <typename T, int W, int NV, bool kWarp, bool kBackward>
__global__ void __launch_bounds__(kWarp ? kWarpRowThreads : kBlockRowMaxThreads)
    softmax_loss_row_kernel(LossArgs<T> a) {
    using P = Pack<T, W>;
    __shared__ MaxSum<T> scratch_ms[32];
    __shared__ double scratch[32];
    const int threads = kWarp ? 32 : blockDim.x;
    const int lane = kWarp ? threadIdx.x % 32 : threadIdx.x;
    const int64_t groups = kWarp ? blockDim.x / 32 : 1;
    const int64_t group = kWarp ? threadIdx.x / 32 : 0;
    const int64_t channels = a.channels, vectors = channels / W;
    const double s = gradient_scale(a);
    const bool smooth = a.eps > 0;
    const bool second = kBackward || a.prob || a.grad || smooth;
    double loss = 0, count = 0;
    for (int64_t row = blockIdx.x * groups + group; row < a.outer; row += gridDim.x * groups) {
        const T* x = a.logits + row * channels;
        const P* xr = reinterpret_cast<const P*>(x);
        const int64_t cls = classify(a.labels[row], a);
        P cache[NV];
        T lse, x_label = T(0);
        if constexpr (kBackward) {
            lse = a.lse_in[row];
        } else {
#pragma unroll
            for (int k = 0; k < NV; ++k) {
                const int64_t v = lane + static_cast<int64_t>(k) * threads;
                if (v < vectors) cache[k] = xr[v];
            }
            if (lane == 0 && cls >= 0) x_label = x[cls];
            MaxSum<T> st = max_then_sum(cache, lane, threads, vectors);
            for (int64_t v = lane + static_cast<int64_t>(NV) * threads; v < vectors; v += threads) {
                const P p = xr[v];
#pragma unroll
                for (int w = 0; w < W; ++w) st.add(p.v[w]);
            }
            if constexpr (kWarp)
                st = warp_combine(st);
            else
                st = block_combine(st, scratch_ms);
            lse = st.log_sum_exp();
            if (lane == 0) a.lse[row] = lse;
        }
        double smooth_sum = 0;
        if (second) {
            const RowTerms<T> terms = row_terms(a, lse, cls, s);
            P* pr = (!kBackward && a.prob) ? reinterpret_cast<P*>(a.prob + row * channels) : nullptr;
            P* gr = a.grad ? reinterpret_cast<P*>(a.grad + row * channels) : nullptr;
            auto emit = [&](const P& in, int64_t v) {
                P po, go;
#pragma unroll
                for (int w = 0; w < W; ++w) {
                    const int64_t c = v * W + w;
                    if (!kBackward && smooth) smooth_sum += terms.smooth_term(in.v[w], c);
                    const T p = terms.prob(in.v[w]);
                    po.v[w] = p;
                    go.v[w] = terms.grad(p, c);
                }
                if (pr) pr[v] = po;
                if (gr) gr[v] = go;
            };
            int64_t first = lane;
            if constexpr (!kBackward) {
#pragma unroll
                for (int k = 0; k < NV; ++k) {
                    const int64_t v = lane + static_cast<int64_t>(k) * threads;
                    if (v < vectors) emit(cache[k], v);
                }
                first += static_cast<int64_t>(NV) * threads;
            }
            for (int64_t v = first; v < vectors; v += threads) emit(xr[v], v);
            if (!kBackward && smooth) {
                if constexpr (kWarp)
                    smooth_sum = warp_sum(smooth_sum);
                else
                    smooth_sum = block_sum(smooth_sum, scratch);
            }
        }
        if constexpr (!kBackward) {
            if (lane == 0) add_loss(a, row, cls, lse, x_label, smooth_sum, loss, count);
        }
    }
    if constexpr (!kBackward) write_partials(a, loss, count, scratch);
}

// ---- column regime: inner > 1 (or C == 0): a thread per position, coalesced along inner ------------------

// With 32 cached values, at most 128 registers (two blocks per SM): the compiler would otherwise take ~180
// and leave one block per SM, too few loads in flight (ptxas -v, sm_90: 4 bytes of spill).
template <typename T, int K, bool kBackward>
__global__ void __launch_bounds__(kColumnThreads, K >= kColumnCache ? 2 : 1)
    softmax_loss_column_kernel(LossArgs<T> a) {
    __shared__ double scratch[32];
    const int64_t positions = a.outer * a.inner, channels = a.channels, inner = a.inner;
    const double s = gradient_scale(a);
    const bool smooth = a.eps > 0;
    const bool second = kBackward || a.prob || a.grad || smooth;
    double loss = 0, count = 0;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < positions;
         p += stride) {
        const int64_t i = p / inner, j = p - i * inner;
        const int64_t base = i * channels * inner + j;
        const T* x = a.logits + base;
        const int64_t cls = classify(a.labels[p], a);
        T cache[K > 0 ? K : 1];
        T lse, x_label = T(0);
        if constexpr (kBackward) {
            lse = a.lse_in[p];
        } else {
            MaxSum<T> st = MaxSum<T>::empty();
            if constexpr (K > 0) {
#pragma unroll
                for (int k = 0; k < K; ++k)
                    if (k < channels) cache[k] = x[k * inner];
                st = max_then_sum(cache, channels);
            }
            st = column_max_sum(st, x, inner, K, channels);
            // log of an empty sum: -inf (every label is invalid then)
            lse = channels > 0 ? st.log_sum_exp() : -infinity<T>();
            a.lse[p] = lse;
            // The label's logit from the registers when cached: no dependent load per position.
            if constexpr (K > 0) {
#pragma unroll
                for (int k = 0; k < K; ++k)
                    if (k == cls) x_label = cache[k];
            }
            if (cls >= K) x_label = x[cls * inner];
        }
        double smooth_sum = 0;
        if (second) {
            const RowTerms<T> terms = row_terms(a, lse, cls, s);
            auto emit = [&](T xv, int64_t c) {
                if (!kBackward && smooth) smooth_sum += terms.smooth_term(xv, c);
                const T pc = terms.prob(xv);
                if (!kBackward && a.prob) a.prob[base + c * inner] = pc;
                if (a.grad) a.grad[base + c * inner] = terms.grad(pc, c);
            };
            int64_t first = 0;
            if constexpr (!kBackward && K > 0) {
#pragma unroll
                for (int k = 0; k < K; ++k)
                    if (k < channels) emit(cache[k], k);
                first = K;
            }
            for_column_chunks(x, inner, first, channels, [&](int64_t c, T v) { emit(v, c); });
        }
        if constexpr (!kBackward) add_loss(a, p, cls, lse, x_label, smooth_sum, loss, count);
    }
    if constexpr (!kBackward) write_partials(a, loss, count, scratch);
}

// ---- small kernels: the VALID pre-pass, the class-weight sum and the final combination -------------------

__device__ __forceinline__ double guard_normalizer(double n) { return n <= 0.0 ? 1.0 : n; }

// Per-block normalizer shares over the labels alone (fused VALID): 1 or w_y per valid position.
template <typename T>
__global__ void __launch_bounds__(kCountThreads) softmax_loss_count_kernel(LossArgs<T> a) {
    __shared__ double scratch[32];
    const int64_t positions = a.outer * a.inner;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    double count = 0;
    for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < positions;
         p += stride) {
        const int64_t cls = classify(a.labels[p], a);
        if (cls >= 0) count += a.weights ? static_cast<double>(a.weights[cls]) : 1.0;
    }
    count = block_sum(count, scratch);
    if (threadIdx.x == 0) a.count_partials[blockIdx.x] = count;
}

// The first `count` partials added by one block in a fixed order.
__device__ double sum_partials(const double* partials, int count, double* scratch) {
    double v = 0;
    for (int k = threadIdx.x; k < count; k += blockDim.x) v += partials[k];
    return block_sum(v, scratch);
}

template <typename T>
__global__ void __launch_bounds__(kFinalThreads)
    softmax_loss_normalizer_kernel(const double* partials, int count, double* n_out, T* normalizer) {
    __shared__ double scratch[32];
    const double n = guard_normalizer(sum_partials(partials, count, scratch));
    if (threadIdx.x == 0) {
        *n_out = n;
        *normalizer = static_cast<T>(n);
    }
}

template <typename T>
__global__ void __launch_bounds__(kFinalThreads)
    softmax_loss_weight_sum_kernel(const T* weights, int64_t channels, double* out) {
    __shared__ double scratch[32];
    double v = 0;
    for (int64_t c = threadIdx.x; c < channels; c += blockDim.x) v += static_cast<double>(weights[c]);
    v = block_sum(v, scratch);
    if (threadIdx.x == 0) *out = v;
}

// Where the final kernel takes N from.
enum NormalizerSource : int { kFromHost = 0, kFromCounts = 1, kFromDevice = 2 };

template <typename T>
__global__ void __launch_bounds__(kFinalThreads)
    softmax_loss_final_kernel(const double* loss_partials, const double* count_partials, int count,
                              int source, double host_n, const double* device_n, T* loss, T* normalizer) {
    __shared__ double scratch[32];
    const double total = sum_partials(loss_partials, count, scratch);
    double n = host_n;
    if (source == kFromCounts)
        n = guard_normalizer(sum_partials(count_partials, count, scratch));
    else if (source == kFromDevice)
        n = *device_n;
    if (threadIdx.x == 0) {
        *loss = static_cast<T>(total / n);
        *normalizer = static_cast<T>(n);
    }
}

// ---- launch
// ------------------------------------------------------------------------------------------------

// The workspace: loss partials, count partials (slots each), then N and W.
struct Workspace {
    double* loss_partials;
    double* count_partials;
    double* normalizer;
    double* weight_sum;
    int64_t slots;
};

Workspace carve(double* workspace, int64_t doubles) {
    const int64_t slots = std::min<int64_t>(kMaxLossBlocks, (doubles - 2) / 2);
    return {workspace, workspace + slots, workspace + 2 * slots, workspace + 2 * slots + 1, slots};
}

// Launches the regime's kernel; returns its grid size (the number of partials a forward kernel wrote).
template <bool kBackward, typename T>
int launch_main(cudaStream_t stream, const LossArgs<T>& a, int64_t max_blocks) {
    const int64_t channels = a.channels;
    const bool aligned =
        aligned16(a.logits) && (kBackward || !a.prob || aligned16(a.prob)) && (!a.grad || aligned16(a.grad));
    if (a.inner == 1 && channels > 0 && channels <= kTileMaxChannels) {
        const int rows = tile_rows(channels, 1, sizeof(T));
        const int blocks =
            static_cast<int>(std::max<int64_t>(1, std::min(ceil_div(a.outer, rows), max_blocks)));
        const size_t shared = static_cast<size_t>(rows) * channels * sizeof(T);
        softmax_loss_tile_kernel<T, kBackward><<<blocks, kTileThreads, shared, stream>>>(a, rows, aligned);
        return blocks;
    }
    if (a.inner == 1 && channels > 0) {
        constexpr int VW = VectorWidth<T>::value;
        constexpr int kCache = kBackward ? 1 : kLossBlockCache<T>;
        const bool vectors = aligned && channels % VW == 0;
        RowConfig config = row_config(a.outer, vectors ? channels / VW : channels, max_blocks, kCache);
        if (kBackward) config.cache = 1;  // backward keeps nothing: each element is read once
        dispatch_row<T, kCache, kBackward ? 1 : kRowCacheVectors>(
            vectors, config, [&](auto w, auto nv, auto warp) {
                softmax_loss_row_kernel<T, decltype(w)::value, decltype(nv)::value, decltype(warp)::value,
                                        kBackward><<<config.blocks, config.threads, 0, stream>>>(a);
            });
        return config.blocks;
    }
    const int blocks = column_blocks(a.outer * a.inner, max_blocks);
    if (kBackward)
        softmax_loss_column_kernel<T, 0, true><<<blocks, kColumnThreads, 0, stream>>>(a);
    else if (channels <= 8)
        softmax_loss_column_kernel<T, 8, false><<<blocks, kColumnThreads, 0, stream>>>(a);
    else if (channels <= kColumnCache)
        softmax_loss_column_kernel<T, kColumnCache, false><<<blocks, kColumnThreads, 0, stream>>>(a);
    else
        softmax_loss_column_kernel<T, 0, false><<<blocks, kColumnThreads, 0, stream>>>(a);
    return blocks;
}

}  // namespace

template <typename T>
cudaError_t launch_softmax_loss_forward(cudaStream_t stream, const SoftmaxLossForward<T>& f,
                                        double* workspace, int64_t workspace_doubles) {
    if (workspace_doubles < kSoftmaxLossMinWorkspace) return cudaErrorInvalidValue;
    const Workspace ws = carve(workspace, workspace_doubles);
    cudaError_t status = cudaMemsetAsync(f.bad_label, 0x7F, sizeof(int64_t), stream);
    if (status != cudaSuccess) return status;

    const int64_t positions = f.outer * f.inner;
    const bool valid = f.normalization == Normalization::Valid;
    double host_n = 1.0;  // NONE, and VALID until counted
    if (f.normalization == Normalization::Full) host_n = static_cast<double>(positions);
    if (f.normalization == Normalization::BatchSize) host_n = static_cast<double>(f.outer);
    if (host_n <= 0.0) host_n = 1.0;

    if (positions == 0) {  // loss 0, normalizer max(1, N); nothing else written
        softmax_loss_final_kernel<T><<<1, kFinalThreads, 0, stream>>>(ws.loss_partials, ws.count_partials, 0,
                                                                      valid ? kFromCounts : kFromHost, host_n,
                                                                      ws.normalizer, f.loss, f.normalizer);
        return cudaGetLastError();
    }

    LossArgs<T> a{};
    a.outer = f.outer;
    a.channels = f.channels;
    a.inner = f.inner;
    a.logits = f.logits;
    a.labels = f.labels;
    a.weights = f.class_weights;
    a.has_ignore = f.has_ignore_label;
    a.ignore_value = static_cast<double>(f.ignore_label);
    a.eps = f.label_smoothing;
    a.weight_sum = ws.weight_sum;
    a.lse = f.lse;
    a.prob = f.prob;
    a.grad = f.grad_scale ? f.grad : nullptr;
    a.bad_label = f.bad_label;
    a.loss_partials = ws.loss_partials;
    a.count_partials = ws.count_partials;

    if (f.class_weights && f.label_smoothing > 0 && f.channels > 0)
        softmax_loss_weight_sum_kernel<T>
            <<<1, kFinalThreads, 0, stream>>>(f.class_weights, f.channels, ws.weight_sum);

    int source = valid ? kFromCounts : kFromHost;
    if (f.grad_scale) {
        a.scale_num = f.grad_scale;
        if (valid) {
            // N from the labels alone, before the pass that writes the gradient.
            const int blocks = static_cast<int>(std::max<int64_t>(
                1, std::min(ceil_div(positions, kCountThreads * kCountItemsPerThread), ws.slots)));
            softmax_loss_count_kernel<T><<<blocks, kCountThreads, 0, stream>>>(a);
            softmax_loss_normalizer_kernel<T>
                <<<1, kFinalThreads, 0, stream>>>(ws.count_partials, blocks, ws.normalizer, f.normalizer);
            a.scale_den = f.normalizer;
            source = kFromDevice;
        } else {
            a.scale_den = nullptr;
            a.scale_den_value = static_cast<double>(static_cast<T>(host_n));
        }
    }

    const int blocks = launch_main<false>(stream, a, ws.slots);
    softmax_loss_final_kernel<T><<<1, kFinalThreads, 0, stream>>>(
        ws.loss_partials, ws.count_partials, blocks, source, host_n, ws.normalizer, f.loss, f.normalizer);
    return cudaGetLastError();
}

template <typename T>
cudaError_t launch_softmax_loss_backward(cudaStream_t stream, const SoftmaxLossBackward<T>& b,
                                         double* workspace, int64_t workspace_doubles) {
    if (workspace_doubles < kSoftmaxLossMinWorkspace) return cudaErrorInvalidValue;
    if (b.outer * b.inner == 0 || b.channels == 0) return cudaSuccess;  // no gradient element
    const Workspace ws = carve(workspace, workspace_doubles);

    LossArgs<T> a{};
    a.outer = b.outer;
    a.channels = b.channels;
    a.inner = b.inner;
    a.logits = b.logits;
    a.labels = b.labels;
    a.weights = b.class_weights;
    a.has_ignore = b.has_ignore_label;
    a.ignore_value = static_cast<double>(b.ignore_label);
    a.eps = b.label_smoothing;
    a.weight_sum = ws.weight_sum;
    a.lse_in = b.lse;
    a.grad = b.grad;
    a.scale_num = b.top_diff;
    a.scale_den = b.normalizer;

    if (b.class_weights && b.label_smoothing > 0)
        softmax_loss_weight_sum_kernel<T>
            <<<1, kFinalThreads, 0, stream>>>(b.class_weights, b.channels, ws.weight_sum);
    launch_main<true>(stream, a, kMaxBlocks);
    return cudaGetLastError();
}

template cudaError_t launch_softmax_loss_forward<float>(cudaStream_t, const SoftmaxLossForward<float>&,
                                                        double*, int64_t);
template cudaError_t launch_softmax_loss_forward<double>(cudaStream_t, const SoftmaxLossForward<double>&,
                                                         double*, int64_t);
template cudaError_t launch_softmax_loss_backward<float>(cudaStream_t, const SoftmaxLossBackward<float>&,
                                                         double*, int64_t);
template cudaError_t launch_softmax_loss_backward<double>(cudaStream_t, const SoftmaxLossBackward<double>&,
                                                          double*, int64_t);

}  // namespace crema::kernels
