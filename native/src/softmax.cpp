// Softmax and softmax cross-entropy on a context's stream (kernels/softmax.cu, kernels/softmax_loss.cu).
// Arguments are checked here; managed code checks them first as well, so these checks are the last line for C
// callers. Nothing here waits for the device or reads a value back.
#include "../../kernels/softmax.cuh"

#include <cstdint>
#include <string>

#include "../../kernels/bad_label.cuh"
#include "../../kernels/softmax_loss.cuh"
#include "checks.hpp"

namespace {

using crema::check_shape;
using crema::kernels::Normalization;

template <typename T>
int32_t softmax_forward(const char* op, crema_context* context, int64_t outer, int64_t channels,
                        int64_t inner, const T* x, T* y) {
    CREMA_CHECK_CONTEXT(op);
    int64_t count = 0, positions = 0;
    CREMA_RETURN_IF_FAILED(check_shape(op, outer, channels, inner, sizeof(T), &count, &positions));
    CREMA_CHECK_POINTER(op, count > 0, x);
    CREMA_CHECK_POINTER(op, count > 0, y);
    CREMA_CUDA_CHECK(
        crema::kernels::launch_softmax_forward<T>(context->stream.stream, outer, channels, inner, x, y));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t softmax_backward(const char* op, crema_context* context, int64_t outer, int64_t channels,
                         int64_t inner, const T* y, const T* dy, T* dx) {
    CREMA_CHECK_CONTEXT(op);
    int64_t count = 0, positions = 0;
    CREMA_RETURN_IF_FAILED(check_shape(op, outer, channels, inner, sizeof(T), &count, &positions));
    CREMA_CHECK_POINTER(op, count > 0, y);
    CREMA_CHECK_POINTER(op, count > 0, dy);
    CREMA_CHECK_POINTER(op, count > 0, dx);
    CREMA_CUDA_CHECK(crema::kernels::launch_softmax_backward<T>(context->stream.stream, outer, channels,
                                                                inner, y, dy, dx));
    return CREMA_STATUS_OK;
}

int32_t check_smoothing(const char* op, double label_smoothing) {
    CREMA_REQUIRE(
        label_smoothing >= 0.0 && label_smoothing <= 1.0,
        std::string(op) + ": label_smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t softmax_loss_forward(const char* op, crema_context* context, int64_t outer, int64_t channels,
                             int64_t inner, const T* logits, const T* labels, int32_t has_ignore_label,
                             int32_t ignore_label, int32_t normalization, double label_smoothing,
                             const T* class_weights, T* lse, T* prob, T* loss, T* normalizer,
                             int64_t* bad_label, const T* grad_scale, T* grad) {
    CREMA_CHECK_CONTEXT(op);
    int64_t count = 0, positions = 0;
    CREMA_RETURN_IF_FAILED(check_shape(op, outer, channels, inner, sizeof(T), &count, &positions));
    CREMA_REQUIRE(normalization >= 0 && normalization <= 3,
                  std::string(op) +
                      ": normalization must be 0 (FULL), 1 (VALID), 2 (BATCH_SIZE) or 3 (NONE), got " +
                      std::to_string(normalization));
    CREMA_RETURN_IF_FAILED(check_smoothing(op, label_smoothing));
    CREMA_CHECK_POINTER(op, count > 0, logits);
    CREMA_CHECK_POINTER(op, positions > 0, labels);
    CREMA_CHECK_POINTER(op, positions > 0, lse);
    CREMA_CHECK_POINTER(op, true, loss);
    CREMA_CHECK_POINTER(op, true, normalizer);
    CREMA_CHECK_POINTER(op, true, bad_label);
    CREMA_REQUIRE(grad_scale || !grad,
                  std::string(op) + ": grad is given without grad_scale (fused mode needs both)");
    CREMA_REQUIRE(!grad_scale || count == 0 || grad,
                  std::string(op) + ": grad_scale is given without grad (fused mode needs both)");
    crema::kernels::SoftmaxLossForward<T> args{outer,
                                               channels,
                                               inner,
                                               logits,
                                               labels,
                                               has_ignore_label,
                                               ignore_label,
                                               static_cast<Normalization>(normalization),
                                               label_smoothing,
                                               class_weights,
                                               lse,
                                               prob,
                                               loss,
                                               normalizer,
                                               bad_label,
                                               grad_scale,
                                               grad};
    CREMA_CUDA_CHECK(crema::kernels::launch_softmax_loss_forward<T>(
        context->stream.stream, args, context->workspace, crema::kWorkspaceDoubles));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t softmax_loss_backward(const char* op, crema_context* context, int64_t outer, int64_t channels,
                              int64_t inner, const T* logits, const T* labels, const T* lse,
                              int32_t has_ignore_label, int32_t ignore_label, double label_smoothing,
                              const T* class_weights, const T* top_diff, const T* normalizer, T* grad) {
    CREMA_CHECK_CONTEXT(op);
    int64_t count = 0, positions = 0;
    CREMA_RETURN_IF_FAILED(check_shape(op, outer, channels, inner, sizeof(T), &count, &positions));
    CREMA_RETURN_IF_FAILED(check_smoothing(op, label_smoothing));
    CREMA_CHECK_POINTER(op, count > 0, logits);
    CREMA_CHECK_POINTER(op, positions > 0, labels);
    CREMA_CHECK_POINTER(op, positions > 0, lse);
    CREMA_CHECK_POINTER(op, true, top_diff);
    CREMA_CHECK_POINTER(op, true, normalizer);
    CREMA_CHECK_POINTER(op, count > 0, grad);
    crema::kernels::SoftmaxLossBackward<T> args{
        outer,        channels,        inner,         logits,   labels,     lse, has_ignore_label,
        ignore_label, label_smoothing, class_weights, top_diff, normalizer, grad};
    CREMA_CUDA_CHECK(crema::kernels::launch_softmax_loss_backward<T>(
        context->stream.stream, args, context->workspace, crema::kWorkspaceDoubles));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t latch_bad_label(const char* op, crema_context* context, int64_t positions, const T* labels,
                        const int64_t* bad_label, int64_t* latched, T* latched_value) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_REQUIRE(positions >= 0,
                  std::string(op) + ": positions must not be negative, got " + std::to_string(positions));
    CREMA_CHECK_POINTER(op, positions > 0, labels);
    CREMA_CHECK_POINTER(op, true, bad_label);
    CREMA_CHECK_POINTER(op, true, latched);
    CREMA_CHECK_POINTER(op, true, latched_value);
    CREMA_CUDA_CHECK(crema::kernels::launch_latch_bad_label<T>(context->stream.stream, positions, labels,
                                                               bad_label, latched, latched_value));
    return CREMA_STATUS_OK;
}

}  // namespace

// clang-format off

extern "C" {
CREMA_API int32_t crema_ssoftmax_forward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const float* x, float* y) { CREMA_EXPORT(softmax_forward("crema_ssoftmax_forward", context, outer, channels, inner, x, y)) }
CREMA_API int32_t crema_dsoftmax_forward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const double* x, double* y) { CREMA_EXPORT(softmax_forward("crema_dsoftmax_forward", context, outer, channels, inner, x, y)) }
CREMA_API int32_t crema_ssoftmax_backward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const float* y, const float* dy, float* dx) { CREMA_EXPORT(softmax_backward("crema_ssoftmax_backward", context, outer, channels, inner, y, dy, dx)) }
CREMA_API int32_t crema_dsoftmax_backward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const double* y, const double* dy, double* dx) { CREMA_EXPORT(softmax_backward("crema_dsoftmax_backward", context, outer, channels, inner, y, dy, dx)) }
CREMA_API int32_t crema_ssoftmax_loss_forward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const float* logits, const float* labels, int32_t has_ignore_label, int32_t ignore_label, int32_t normalization, double label_smoothing, const float* class_weights, float* lse, float* prob, float* loss, float* normalizer, int64_t* bad_label, const float* grad_scale, float* grad) { CREMA_EXPORT(softmax_loss_forward("crema_ssoftmax_loss_forward", context, outer, channels, inner, logits, labels, has_ignore_label, ignore_label, normalization, label_smoothing, class_weights, lse, prob, loss, normalizer, bad_label, grad_scale, grad)) }
CREMA_API int32_t crema_dsoftmax_loss_forward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const double* logits, const double* labels, int32_t has_ignore_label, int32_t ignore_label, int32_t normalization, double label_smoothing, const double* class_weights, double* lse, double* prob, double* loss, double* normalizer, int64_t* bad_label, const double* grad_scale, double* grad) { CREMA_EXPORT(softmax_loss_forward("crema_dsoftmax_loss_forward", context, outer, channels, inner, logits, labels, has_ignore_label, ignore_label, normalization, label_smoothing, class_weights, lse, prob, loss, normalizer, bad_label, grad_scale, grad)) }
CREMA_API int32_t crema_ssoftmax_loss_backward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const float* logits, const float* labels, const float* lse, int32_t has_ignore_label, int32_t ignore_label, double label_smoothing, const float* class_weights, const float* top_diff, const float* normalizer, float* grad) { CREMA_EXPORT(softmax_loss_backward("crema_ssoftmax_loss_backward", context, outer, channels, inner, logits, labels, lse, has_ignore_label, ignore_label, label_smoothing, class_weights, top_diff, normalizer, grad)) }
CREMA_API int32_t crema_dsoftmax_loss_backward(crema_context* context, int64_t outer, int64_t channels, int64_t inner, const double* logits, const double* labels, const double* lse, int32_t has_ignore_label, int32_t ignore_label, double label_smoothing, const double* class_weights, const double* top_diff, const double* normalizer, double* grad) { CREMA_EXPORT(softmax_loss_backward("crema_dsoftmax_loss_backward", context, outer, channels, inner, logits, labels, lse, has_ignore_label, ignore_label, label_smoothing, class_weights, top_diff, normalizer, grad)) }
CREMA_API int32_t crema_slatch_bad_label(crema_context* context, int64_t positions, const float* labels, const int64_t* bad_label, int64_t* latched, float* latched_value) { CREMA_EXPORT(latch_bad_label("crema_slatch_bad_label", context, positions, labels, bad_label, latched, latched_value)) }
CREMA_API int32_t crema_dlatch_bad_label(crema_context* context, int64_t positions, const double* labels, const int64_t* bad_label, int64_t* latched, double* latched_value) { CREMA_EXPORT(latch_bad_label("crema_dlatch_bad_label", context, positions, labels, bad_label, latched, latched_value)) }
}
// clang-format on
