// ReLU, Euclidean loss and accuracy on a context's stream (kernels/relu.cu, kernels/euclidean_loss.cu,
// kernels/accuracy.cu). Arguments are checked here; managed code checks them first as well, so these checks
// are the last line for C callers. Nothing here waits for the device or reads a value back.
#include <cstdint>
#include <string>

#include "../../kernels/accuracy.cuh"
#include "../../kernels/euclidean_loss.cuh"
#include "../../kernels/relu.cuh"
#include "checks.hpp"

namespace {

using crema::check_count;
using crema::check_shape;

template <typename T>
int32_t relu_forward(const char* op, crema_context* context, int64_t n, T negative_slope, const T* x, T* y) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_RETURN_IF_FAILED(check_count(op, "n", n, sizeof(T)));
    CREMA_CHECK_POINTER(op, n > 0, x);
    CREMA_CHECK_POINTER(op, n > 0, y);
    CREMA_CUDA_CHECK(crema::kernels::launch_relu_forward<T>(context->stream.stream, n, negative_slope, x, y));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t relu_backward(const char* op, crema_context* context, int64_t n, T negative_slope, const T* x,
                      const T* dy, T* dx) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_RETURN_IF_FAILED(check_count(op, "n", n, sizeof(T)));
    CREMA_CHECK_POINTER(op, n > 0, x);
    CREMA_CHECK_POINTER(op, n > 0, dy);
    CREMA_CHECK_POINTER(op, n > 0, dx);
    CREMA_CUDA_CHECK(
        crema::kernels::launch_relu_backward<T>(context->stream.stream, n, negative_slope, x, dy, dx));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t euclidean_loss_forward(const char* op, crema_context* context, int64_t n, int64_t num, const T* a,
                               const T* b, T* diff, T* loss) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_RETURN_IF_FAILED(check_count(op, "n", n, sizeof(T)));
    CREMA_REQUIRE(num >= 0, std::string(op) + ": num must not be negative, got " + std::to_string(num));
    CREMA_CHECK_POINTER(op, n > 0, a);
    CREMA_CHECK_POINTER(op, n > 0, b);
    CREMA_CHECK_POINTER(op, n > 0, diff);
    CREMA_CHECK_POINTER(op, true, loss);
    CREMA_CUDA_CHECK(crema::kernels::launch_euclidean_loss_forward<T>(
        context->stream.stream, n, num, a, b, diff, loss, context->workspace, crema::kWorkspaceDoubles));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t euclidean_loss_backward(const char* op, crema_context* context, int64_t n, int64_t num, const T* diff,
                                const T* top_diff, T* grad_a, T* grad_b) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_RETURN_IF_FAILED(check_count(op, "n", n, sizeof(T)));
    CREMA_REQUIRE(num >= 0, std::string(op) + ": num must not be negative, got " + std::to_string(num));
    const bool writes = n > 0 && num > 0 && (grad_a || grad_b);
    CREMA_CHECK_POINTER(op, writes, diff);
    CREMA_CHECK_POINTER(op, writes, top_diff);
    CREMA_CUDA_CHECK(crema::kernels::launch_euclidean_loss_backward<T>(context->stream.stream, n, num, diff,
                                                                       top_diff, grad_a, grad_b));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t accuracy_forward(const char* op, crema_context* context, int64_t outer, int64_t channels,
                         int64_t inner, const T* scores, const T* labels, int32_t top_k,
                         int32_t has_ignore_label, int32_t ignore_label, T* accuracy, T* per_class,
                         int64_t* class_counts, int64_t* bad_label) {
    CREMA_CHECK_CONTEXT(op);
    int64_t count = 0, positions = 0;
    CREMA_RETURN_IF_FAILED(check_shape(op, outer, channels, inner, sizeof(T), &count, &positions));
    CREMA_REQUIRE(top_k >= 1, std::string(op) + ": top_k must be at least 1, got " + std::to_string(top_k));
    CREMA_REQUIRE(
        !per_class || channels <= INT64_MAX / 2 / static_cast<int64_t>(sizeof(int64_t)),
        std::string(op) + ": channels " + std::to_string(channels) + " is too many for the per-class counts");
    CREMA_CHECK_POINTER(op, count > 0, scores);
    CREMA_CHECK_POINTER(op, positions > 0, labels);
    CREMA_CHECK_POINTER(op, true, accuracy);
    CREMA_CHECK_POINTER(op, true, bad_label);
    CREMA_REQUIRE(!per_class || channels == 0 || class_counts,
                  std::string(op) + ": per_class is given without class_counts (2*channels int64 scratch)");
    crema::kernels::AccuracyForward<T> args{outer,        channels,         inner,        scores,   labels,
                                            top_k,        has_ignore_label, ignore_label, accuracy, per_class,
                                            class_counts, bad_label};
    CREMA_CUDA_CHECK(crema::kernels::launch_accuracy_forward<T>(
        context->stream.stream, args, context->workspace, crema::kWorkspaceDoubles));
    return CREMA_STATUS_OK;
}

}  // namespace

// clang-format off

extern "C" {
CREMA_API int32_t crema_srelu_forward(crema_context* context, int64_t n, float negative_slope, const float* x, float* y) { CREMA_EXPORT(relu_forward("crema_srelu_forward", context, n, negative_slope, x, y)) }
CREMA_API int32_t crema_drelu_forward(crema_context* context, int64_t n, double negative_slope, const double* x, double* y) { CREMA_EXPORT(relu_forward("crema_drelu_forward", context, n, negative_slope, x, y)) }
CREMA_API int32_t crema_srelu_backward(crema_context* context, int64_t n, float negative_slope, const float* x, const float* dy, float* dx) { CREMA_EXPORT(relu_backward("crema_srelu_backward", context, n, negative_slope, x, dy, dx)) }
CREMA_API int32_t crema_drelu_backward(crema_context* context, int64_t n, double negative_slope, const double* x, const double* dy, double* dx) { CREMA_EXPORT(relu_backward("crema_drelu_backward", context, n, negative_slope, x, dy, dx)) }
CREMA_API int32_t crema_seuclidean_loss_forward(crema_context* context, int64_t n, int64_t num, const float* a, const float* b, float* diff, float* loss) { CREMA_EXPORT(euclidean_loss_forward("crema_seuclidean_loss_forward", context, n, num, a, b, diff, loss)) }
CREMA_API int32_t crema_deuclidean_loss_forward(crema_context* context, int64_t n, int64_t num, const double* a, const double* b, double* diff, double* loss) { CREMA_EXPORT(euclidean_loss_forward("crema_deuclidean_loss_forward", context, n, num, a, b, diff, loss)) }
CREMA_API int32_t crema_seuclidean_loss_backward(crema_context* context, int64_t n, int64_t num, const float* diff, const float* top_diff, float* grad_a, float* grad_b) { CREMA_EXPORT(euclidean_loss_backward("crema_seuclidean_loss_backward", context, n, num, diff, top_diff, grad_a, grad_b)) }
CREMA_API int32_t crema_deuclidean_loss_backward(crema_context* context, int64_t n, int64_t num, const double* diff, const double* top_diff, double* grad_a, double* grad_b) { CREMA_EXPORT(euclidean_loss_backward("crema_deuclidean_loss_backward", context, n, num, diff, top_diff, grad_a, grad_b)) }
CREMA_API int32_t crema_saccuracy_forward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const float* scores, const float* labels, int32_t top_k, int32_t has_ignore_label, int32_t ignore_label, float* accuracy, float* per_class, int64_t* class_counts, int64_t* bad_label) { CREMA_EXPORT(accuracy_forward("crema_saccuracy_forward", context, outer, channels, inner, scores, labels, top_k, has_ignore_label, ignore_label, accuracy, per_class, class_counts, bad_label)) }
CREMA_API int32_t crema_daccuracy_forward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const double* scores, const double* labels, int32_t top_k, int32_t has_ignore_label, int32_t ignore_label, double* accuracy, double* per_class, int64_t* class_counts, int64_t* bad_label) { CREMA_EXPORT(accuracy_forward("crema_daccuracy_forward", context, outer, channels, inner, scores, labels, top_k, has_ignore_label, ignore_label, accuracy, per_class, class_counts, bad_label)) }
}
// clang-format on
