// The bad-label latch (bad_label.cuh): carries the first invalid label of several forward passes to the host
// read that reports it, so a pass whose loss stays on the device loses no error.
#include <cstdint>

#include "bad_label.cuh"

namespace crema::kernels {
namespace {

constexpr long long kQuietNan = 0x7FF8000000000000LL;  // a double quiet NaN

template <typename T>
__global__ void latch_bad_label_kernel(int64_t positions, const T* __restrict__ labels,
                                       const int64_t* __restrict__ bad_label, int64_t* __restrict__ latched,
                                       T* __restrict__ latched_value) {
    const int64_t p = *bad_label;
    if (*latched != kNoBadLabel || p == kNoBadLabel) return;
    *latched = p;
    *latched_value = p >= 0 && p < positions ? labels[p] : static_cast<T>(__longlong_as_double(kQuietNan));
}

}  // namespace

template <typename T>
cudaError_t launch_latch_bad_label(cudaStream_t stream, int64_t positions, const T* labels,
                                   const int64_t* bad_label, int64_t* latched, T* latched_value) {
    latch_bad_label_kernel<T><<<1, 1, 0, stream>>>(positions, labels, bad_label, latched, latched_value);
    return cudaGetLastError();
}

template cudaError_t launch_latch_bad_label<float>(cudaStream_t, int64_t, const float*, const int64_t*,
                                                   int64_t*, float*);
template cudaError_t launch_latch_bad_label<double>(cudaStream_t, int64_t, const double*, const int64_t*,
                                                    int64_t*, double*);

}  // namespace crema::kernels
