// The SGD solver's step on a context's stream (kernels/sgd.cu): the clipping scale and the fused update.
// Arguments are checked here; managed code checks them first as well, so these checks are the last line for C
// callers. Nothing here waits for the device or reads a value back.
#include "../../kernels/sgd.cuh"

#include <cstdint>
#include <string>

#include "checks.hpp"

namespace {

template <typename T>
int32_t clip_scale(const char* op, crema_context* context, int64_t count, const double* sumsqs, double clip,
                   int32_t iter_size, double* norm, T* scale) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_REQUIRE(count >= 0, std::string(op) + ": count must not be negative, got " + std::to_string(count));
    CREMA_REQUIRE(count == 0 || sumsqs, std::string(op) + ": sumsqs must not be NULL");
    CREMA_REQUIRE(iter_size >= 1,
                  std::string(op) + ": iter_size must be at least 1, got " + std::to_string(iter_size));
    CREMA_REQUIRE(scale, std::string(op) + ": scale must not be NULL");
    CREMA_CUDA_CHECK(crema::kernels::launch_sgd_clip_scale<T>(context->stream.stream, count, sumsqs, clip,
                                                              static_cast<double>(iter_size), norm, scale));
    return CREMA_STATUS_OK;
}

// True when [a, a + n) and [b, b + n) share an element.
template <typename T>
bool overlap(const T* a, int64_t na, const T* b, int64_t nb) {
    const uintptr_t x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
    return x < y + static_cast<uintptr_t>(nb) * sizeof(T) && y < x + static_cast<uintptr_t>(na) * sizeof(T);
}

template <typename T>
bool overlap(const T* a, const T* b, int64_t n) {
    return overlap(a, n, b, n);
}

template <typename T>
int32_t update(const char* op, crema_context* context, int64_t n, T momentum, T local_decay, T local_rate,
               const T* scale, int32_t apply_update, T* data, T* diff, T* history) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_REQUIRE(n >= 0, std::string(op) + ": element count must not be negative, got " + std::to_string(n));
    CREMA_REQUIRE(scale, std::string(op) + ": scale must not be NULL");
    if (n == 0) return CREMA_STATUS_OK;
    CREMA_REQUIRE(data, std::string(op) + ": data must not be NULL");
    CREMA_REQUIRE(diff, std::string(op) + ": diff must not be NULL");
    CREMA_REQUIRE(history, std::string(op) + ": history must not be NULL");
    CREMA_REQUIRE(!overlap(data, diff, n) && !overlap(data, history, n) && !overlap(diff, history, n),
                  std::string(op) + ": data, diff and history must not overlap");
    // Every thread reads *scale while others write data, diff and history.
    CREMA_REQUIRE(
        !overlap(scale, 1, data, n) && !overlap(scale, 1, diff, n) && !overlap(scale, 1, history, n),
        std::string(op) + ": scale must not lie inside data, diff or history");
    CREMA_CUDA_CHECK(crema::kernels::launch_sgd_update<T>(context->stream.stream, n, momentum, local_decay,
                                                          local_rate, scale, apply_update != 0, data, diff,
                                                          history));
    return CREMA_STATUS_OK;
}

}  // namespace

// clang-format off

extern "C" {
CREMA_API int32_t crema_ssgd_clip_scale(crema_context* context, int64_t count, const double* sumsqs, double clip, int32_t iter_size, double* norm, float* scale) { CREMA_EXPORT(clip_scale("crema_ssgd_clip_scale", context, count, sumsqs, clip, iter_size, norm, scale)) }
CREMA_API int32_t crema_dsgd_clip_scale(crema_context* context, int64_t count, const double* sumsqs, double clip, int32_t iter_size, double* norm, double* scale) { CREMA_EXPORT(clip_scale("crema_dsgd_clip_scale", context, count, sumsqs, clip, iter_size, norm, scale)) }
CREMA_API int32_t crema_ssgd_update(crema_context* context, int64_t n, float momentum, float local_decay, float local_rate, const float* scale, int32_t apply_update, float* data, float* diff, float* history) { CREMA_EXPORT(update("crema_ssgd_update", context, n, momentum, local_decay, local_rate, scale, apply_update, data, diff, history)) }
CREMA_API int32_t crema_dsgd_update(crema_context* context, int64_t n, double momentum, double local_decay, double local_rate, const double* scale, int32_t apply_update, double* data, double* diff, double* history) { CREMA_EXPORT(update("crema_dsgd_update", context, n, momentum, local_decay, local_rate, scale, apply_update, data, diff, history)) }
}
// clang-format on
