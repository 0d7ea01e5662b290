/*
 * crema.h — the whole C ABI of the Crema native library (libcrema.so / crema.dll).
 *
 * Conventions (see docs in README.md, "Native ABI"):
 *  - Every fallible function returns an int32_t status: CREMA_STATUS_OK (0) or one of CREMA_STATUS_*.
 *    On failure a thread-local message ("cudaErrorX: text (file:line: expr)") is kept and can be copied out
 * with crema_get_last_error. No C++ exception, abort or exit ever leaves the library.
 *  - Outputs are trailing pointer parameters. Only fixed-width types cross the boundary (no bool, no C
 * enums).
 *  - Handles are opaque and come in create/destroy pairs. Destroy functions accept NULL and always return OK;
 *    they set the owning device themselves, so they are safe to call from a finalizer thread.
 *  - "async" functions are queued on a stream and return at once; "blocking" functions return when done.
 *  - Ops on a context run on the context's stream (asynchronous); their device pointers must belong to the
 *    context's device. Element counts are int64_t; gemm/gemv dimensions must fit cuBLAS's int32.
 *  - Matrices are row-major (C order), as in Caffe's caffe_gpu_gemm.
 */
#ifndef CREMA_H
#define CREMA_H

#include <stdint.h>

#if defined(_WIN32)
#if defined(CREMA_BUILDING_LIBRARY)
#define CREMA_API __declspec(dllexport)
#else
#define CREMA_API __declspec(dllimport)
#endif
#else
#define CREMA_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Library version (also returned by crema_get_version). */
#define CREMA_VERSION_MAJOR 0
#define CREMA_VERSION_MINOR 1
#define CREMA_VERSION_PATCH 0

/* Status codes. */
#define CREMA_STATUS_OK 0
#define CREMA_STATUS_INVALID_ARGUMENT 1 /* a NULL handle, negative size, dimension past int32, ... */
#define CREMA_STATUS_CUDA_ERROR 2       /* any other CUDA runtime error */
#define CREMA_STATUS_CUBLAS_ERROR 3     /* a cuBLAS call failed */
#define CREMA_STATUS_OUT_OF_MEMORY 4    /* device or pinned host allocation failed */
#define CREMA_STATUS_NO_DEVICE 5        /* no CUDA device is visible */
#define CREMA_STATUS_DRIVER_TOO_OLD \
    6 /* the installed driver is older than the runtime the library was built with */
#define CREMA_STATUS_NOT_READY 7      /* crema_stream_query / crema_event_query: work still pending */
#define CREMA_STATUS_INTERNAL_ERROR 8 /* an unexpected C++ exception was caught at the boundary */

/* Transpose flags for gemm/gemv. */
#define CREMA_OP_N 0
#define CREMA_OP_T 1

typedef struct crema_stream crema_stream;
typedef struct crema_event crema_event;
typedef struct crema_context crema_context;

typedef struct crema_device_properties {
    char name[256];
    int64_t total_global_memory; /* bytes */
    int64_t l2_cache_size;       /* bytes */
    int32_t compute_capability_major;
    int32_t compute_capability_minor;
    int32_t multiprocessor_count;
    int32_t max_threads_per_block;
    int32_t warp_size;
    int32_t memory_bus_width; /* bits */
    int32_t memory_clock_khz;
    int32_t pci_bus_id;
    /* Appended later (the fields above keep their offsets). */
    int64_t shared_memory_per_block;          /* bytes */
    int64_t shared_memory_per_multiprocessor; /* bytes */
    int64_t total_constant_memory;            /* bytes */
    int32_t clock_khz;                        /* the SMs' peak clock */
    int32_t max_threads_per_multiprocessor;
    int32_t registers_per_block;
    int32_t pci_domain_id;
    int32_t pci_device_id;
    int32_t ecc_enabled;        /* 1 or 0 */
    int32_t async_engine_count; /* copy engines that can overlap kernels */
    int32_t integrated;         /* 1: the GPU shares memory with the host */
} crema_device_properties;

/* ---- library and errors ------------------------------------------------------------------------ */

/* Never fails. */
CREMA_API int32_t crema_get_version(int32_t* major, int32_t* minor, int32_t* patch);
/* Copies the calling thread's last error message (NUL-terminated, truncated to capacity) into buffer and
 * stores the full length (without NUL) in *length. buffer may be NULL when capacity is 0. Never fails. */
CREMA_API int32_t crema_get_last_error(char* buffer, int64_t capacity, int64_t* length);
/* CUDA runtime version the library was built with, and the installed driver's version (0 when no driver). */
CREMA_API int32_t crema_get_cuda_versions(int32_t* runtime_version, int32_t* driver_version);

/* ---- devices (blocking) ------------------------------------------------------------------------ */

/* *count = 0 with status NO_DEVICE or DRIVER_TOO_OLD says why no device can be used. */
CREMA_API int32_t crema_device_get_count(int32_t* count);
CREMA_API int32_t crema_device_get_properties(int32_t device, crema_device_properties* properties);
CREMA_API int32_t crema_device_set(int32_t device);
CREMA_API int32_t crema_device_get(int32_t* device);
CREMA_API int32_t crema_device_synchronize(int32_t device);
CREMA_API int32_t crema_device_get_memory_info(int32_t device, int64_t* free_bytes, int64_t* total_bytes);
/* cudaProfilerStart / cudaProfilerStop on the current device: a profiler started with "profile from start
   off" (ncu --profile-from-start off, nsys --capture-range=cudaProfilerApi) records only what runs between
   them. Without a profiler attached both do nothing and succeed. */
CREMA_API int32_t crema_profiler_start(void);
CREMA_API int32_t crema_profiler_stop(void);

/* ---- device memory ----------------------------------------------------------------------------- */

/* Blocking. bytes must be > 0. */
CREMA_API int32_t crema_device_malloc(int32_t device, int64_t bytes, void** pointer);
/* Blocking, NULL-safe, always OK. */
CREMA_API int32_t crema_device_free(int32_t device, void* pointer);
/* Blocking. */
CREMA_API int32_t crema_memset(void* pointer, int32_t value, int64_t bytes);
/* Async on stream (NULL = the legacy default stream). */
CREMA_API int32_t crema_memset_async(void* pointer, int32_t value, int64_t bytes, crema_stream* stream);

/* ---- copies: blocking ones return when done; async ones need pinned host memory --------------- */

CREMA_API int32_t crema_memcpy_host_to_device(void* device_dst, const void* host_src, int64_t bytes);
CREMA_API int32_t crema_memcpy_device_to_host(void* host_dst, const void* device_src, int64_t bytes);
CREMA_API int32_t crema_memcpy_device_to_device(void* device_dst, const void* device_src, int64_t bytes);
CREMA_API int32_t crema_memcpy_host_to_device_async(void* device_dst, const void* host_src, int64_t bytes,
                                                    crema_stream* stream);
CREMA_API int32_t crema_memcpy_device_to_host_async(void* host_dst, const void* device_src, int64_t bytes,
                                                    crema_stream* stream);
CREMA_API int32_t crema_memcpy_device_to_device_async(void* device_dst, const void* device_src, int64_t bytes,
                                                      crema_stream* stream);

/* ---- pinned (page-locked) host memory (blocking) ---------------------------------------------- */

CREMA_API int32_t crema_host_malloc(int64_t bytes, void** pointer);
/* NULL-safe, always OK. */
CREMA_API int32_t crema_host_free(void* pointer);

/* ---- streams ----------------------------------------------------------------------------------- */

/* Creates a non-blocking stream on device. */
CREMA_API int32_t crema_stream_create(int32_t device, crema_stream** stream);
CREMA_API int32_t crema_stream_destroy(crema_stream* stream);
/* Blocking. */
CREMA_API int32_t crema_stream_synchronize(crema_stream* stream);
/* OK when all work is done, NOT_READY otherwise (no error message is set for NOT_READY). */
CREMA_API int32_t crema_stream_query(crema_stream* stream);
/* Async: stream waits for event before running later work. */
CREMA_API int32_t crema_stream_wait_event(crema_stream* stream, crema_event* event);

/* ---- events ------------------------------------------------------------------------------------ */

CREMA_API int32_t crema_event_create(int32_t device, crema_event** event);
CREMA_API int32_t crema_event_destroy(crema_event* event);
/* Async. */
CREMA_API int32_t crema_event_record(crema_event* event, crema_stream* stream);
/* Blocking. */
CREMA_API int32_t crema_event_synchronize(crema_event* event);
/* OK when reached, NOT_READY otherwise. */
CREMA_API int32_t crema_event_query(crema_event* event);
/* Milliseconds between two recorded, completed events. */
CREMA_API int32_t crema_event_elapsed_ms(crema_event* start, crema_event* end, float* milliseconds);

/* ---- context: a stream, a cuBLAS handle bound to it and a reduction workspace ----------------- */

CREMA_API int32_t crema_context_create(int32_t device, crema_context** context);
/* Waits for the context's stream, then frees workspace, cuBLAS handle and stream (reverse order). */
CREMA_API int32_t crema_context_destroy(crema_context* context);
/* The context's stream; owned by the context (do not destroy it). */
CREMA_API int32_t crema_context_get_stream(crema_context* context, crema_stream** stream);
CREMA_API int32_t crema_context_get_device(crema_context* context, int32_t* device);
/* Blocking: waits for all work queued on the context's stream. */
CREMA_API int32_t crema_context_synchronize(crema_context* context);

/* ---- math ops: async on the context's stream --------------------------------------------------- */
/* y[i] = alpha */
CREMA_API int32_t crema_sset(crema_context* context, int64_t n, float alpha, float* y);
CREMA_API int32_t crema_dset(crema_context* context, int64_t n, double alpha, double* y);
/* y = x */
CREMA_API int32_t crema_scopy(crema_context* context, int64_t n, const float* x, float* y);
CREMA_API int32_t crema_dcopy(crema_context* context, int64_t n, const double* x, double* y);
/* y = alpha x + y */
CREMA_API int32_t crema_saxpy(crema_context* context, int64_t n, float alpha, const float* x, float* y);
CREMA_API int32_t crema_daxpy(crema_context* context, int64_t n, double alpha, const double* x, double* y);
/* y = alpha x + beta y (beta == 0 overwrites y, so NaN in y does not survive) */
CREMA_API int32_t crema_saxpby(crema_context* context, int64_t n, float alpha, const float* x, float beta,
                               float* y);
CREMA_API int32_t crema_daxpby(crema_context* context, int64_t n, double alpha, const double* x, double beta,
                               double* y);
/* x = alpha x */
CREMA_API int32_t crema_sscal(crema_context* context, int64_t n, float alpha, float* x);
CREMA_API int32_t crema_dscal(crema_context* context, int64_t n, double alpha, double* x);
/* Deterministic reductions (fixed-order tree, no atomics), accumulated in double; the result is written to
 * the device scalar *result (0 for n == 0). */
CREMA_API int32_t crema_sasum(crema_context* context, int64_t n, const float* x, float* result);
CREMA_API int32_t crema_dasum(crema_context* context, int64_t n, const double* x, double* result);
CREMA_API int32_t crema_sdot(crema_context* context, int64_t n, const float* x, const float* y,
                             float* result);
CREMA_API int32_t crema_ddot(crema_context* context, int64_t n, const double* x, const double* y,
                             double* result);
CREMA_API int32_t crema_ssumsq(crema_context* context, int64_t n, const float* x, float* result);
CREMA_API int32_t crema_dsumsq(crema_context* context, int64_t n, const double* x, double* result);
/* *result += sum of x[i]*y[i]: the same reduction as crema_sdot, its total rounded to the element type and
 * added to the device scalar *result (a net adds its losses on the device this way). */
CREMA_API int32_t crema_sdot_accumulate(crema_context* context, int64_t n, const float* x, const float* y,
                                        float* result);
CREMA_API int32_t crema_ddot_accumulate(crema_context* context, int64_t n, const double* x, const double* y,
                                        double* result);
/* *result = sum of x[i]^2 as a device double, never rounded to the element type (one tensor's share of a
 * global norm); same deterministic order as crema_ssumsq. */
CREMA_API int32_t crema_ssumsq_double(crema_context* context, int64_t n, const float* x, double* result);
CREMA_API int32_t crema_dsumsq_double(crema_context* context, int64_t n, const double* x, double* result);
/* C (m x n) = alpha op(A) op(B) + beta C, row-major; op(A) is m x k, op(B) is k x n (cuBLAS). */
CREMA_API int32_t crema_sgemm(crema_context* context, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n,
                              int64_t k, float alpha, const float* a, const float* b, float beta, float* c);
CREMA_API int32_t crema_dgemm(crema_context* context, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n,
                              int64_t k, double alpha, const double* a, const double* b, double beta,
                              double* c);
/* y = alpha op(A) x + beta y, A is m x n row-major; x has n (m when transposed) elements (cuBLAS). */
CREMA_API int32_t crema_sgemv(crema_context* context, int32_t trans_a, int64_t m, int64_t n, float alpha,
                              const float* a, const float* x, float beta, float* y);
CREMA_API int32_t crema_dgemv(crema_context* context, int32_t trans_a, int64_t m, int64_t n, double alpha,
                              const double* a, const double* x, double beta, double* y);

/* ---- softmax and softmax cross-entropy: async on the context's stream -------------------------- */
/* Tensors are viewed as (outer, channels, inner): element (i, c, j) is at i*channels*inner + c*inner + j, a
 * position is (i, j) with flat index p = i*inner + j. Sizes must not be negative and outer*channels*inner
 * must fit int64_t. No function reads anything back to the host. */

/* y = softmax(x) along the channels axis. y may equal x. */
CREMA_API int32_t crema_ssoftmax_forward(crema_context* context, int64_t outer, int64_t channels,
                                         int64_t inner, const float* x, float* y);
CREMA_API int32_t crema_dsoftmax_forward(crema_context* context, int64_t outer, int64_t channels,
                                         int64_t inner, const double* x, double* y);
/* dx = y * (dy - sum_c dy*y) along the channels axis. dx may equal dy. */
CREMA_API int32_t crema_ssoftmax_backward(crema_context* context, int64_t outer, int64_t channels,
                                          int64_t inner, const float* y, const float* dy, float* dx);
CREMA_API int32_t crema_dsoftmax_backward(crema_context* context, int64_t outer, int64_t channels,
                                          int64_t inner, const double* y, const double* dy, double* dx);

/* Softmax cross-entropy forward, as docs/softmax-loss-semantics.md defines it. labels (stored as T) have
 * outer*inner values; has_ignore_label != 0 makes positions whose label equals ignore_label add nothing.
 * normalization: 0 FULL (outer*inner), 1 VALID (valid positions, or the sum of their class weights), 2
 * BATCH_SIZE (outer), 3 NONE (1); a normalizer <= 0 becomes 1. label_smoothing in [0, 1]. class_weights:
 * NULL, or channels values. Outputs: lse[outer*inner] (log-sum-exp per position), prob (NULL, or the
 * probabilities, same shape as the logits), *loss = sum of the losses / normalizer, *normalizer, and
 * *bad_label: first set to 0x7F7F7F7F7F7F7F7F, then lowered to the least position p whose label is invalid
 * (not integral, outside [0, channels), NaN; an invalid position counts as ignored). loss, normalizer and
 * bad_label are device scalars. Fused mode: with grad_scale (a device scalar, the top diff) the call also
 * writes grad = d loss / d logits * grad_scale[0] (grad required then, NULL otherwise). */
CREMA_API int32_t crema_ssoftmax_loss_forward(crema_context* context, int64_t outer, int64_t channels,
                                              int64_t inner, const float* logits, const float* labels,
                                              int32_t has_ignore_label, int32_t ignore_label,
                                              int32_t normalization, double label_smoothing,
                                              const float* class_weights, float* lse, float* prob,
                                              float* loss, float* normalizer, int64_t* bad_label,
                                              const float* grad_scale, float* grad);
CREMA_API int32_t crema_dsoftmax_loss_forward(crema_context* context, int64_t outer, int64_t channels,
                                              int64_t inner, const double* logits, const double* labels,
                                              int32_t has_ignore_label, int32_t ignore_label,
                                              int32_t normalization, double label_smoothing,
                                              const double* class_weights, double* lse, double* prob,
                                              double* loss, double* normalizer, int64_t* bad_label,
                                              const double* grad_scale, double* grad);
/* Softmax cross-entropy backward: grad = d loss / d logits * top_diff[0] / normalizer[0], from the logits and
 * the forward call's lse; ignored and invalid positions get exactly 0. top_diff and normalizer are device
 * scalars. */
CREMA_API int32_t crema_ssoftmax_loss_backward(crema_context* context, int64_t outer, int64_t channels,
                                               int64_t inner, const float* logits, const float* labels,
                                               const float* lse, int32_t has_ignore_label,
                                               int32_t ignore_label, double label_smoothing,
                                               const float* class_weights, const float* top_diff,
                                               const float* normalizer, float* grad);
CREMA_API int32_t crema_dsoftmax_loss_backward(crema_context* context, int64_t outer, int64_t channels,
                                               int64_t inner, const double* logits, const double* labels,
                                               const double* lse, int32_t has_ignore_label,
                                               int32_t ignore_label, double label_smoothing,
                                               const double* class_weights, const double* top_diff,
                                               const double* normalizer, double* grad);

/* Latches the first invalid label of several forward passes: when *latched holds 0x7F7F7F7F7F7F7F7F and
 * *bad_label (a forward call's slot) does not, copies *bad_label to *latched and labels[*bad_label] (NaN when
 * outside [0, positions)) to *latched_value; otherwise changes nothing. Re-arm the latch by filling it with
 * 0x7F bytes (crema_memset_async) after reading it. All three are device scalars. */
CREMA_API int32_t crema_slatch_bad_label(crema_context* context, int64_t positions, const float* labels,
                                         const int64_t* bad_label, int64_t* latched, float* latched_value);
CREMA_API int32_t crema_dlatch_bad_label(crema_context* context, int64_t positions, const double* labels,
                                         const int64_t* bad_label, int64_t* latched, double* latched_value);

/* ---- SGD solver step: async on the context's stream, nothing read back to the host ---------------- */

/* *scale (device scalar) = factor / iter_size, where norm = sqrt(sumsqs[0] + ... + sumsqs[count-1]) /
 * iter_size (added in index order in double: the L2 norm of the gradient averaged over iter_size), factor =
 * clip / norm when clip >= 0 and norm > clip, else 1. *norm (a device double, or NULL) receives norm. sumsqs
 * holds count device doubles (crema_ssumsq_double of each param's diff); count may be 0 (clipping off: pass
 * clip < 0). iter_size must be >= 1. */
CREMA_API int32_t crema_ssgd_clip_scale(crema_context* context, int64_t count, const double* sumsqs,
                                        double clip, int32_t iter_size, double* norm, float* scale);
CREMA_API int32_t crema_dsgd_clip_scale(crema_context* context, int64_t count, const double* sumsqs,
                                        double clip, int32_t iter_size, double* norm, double* scale);
/* The fused momentum update of one param of n elements, one read of data, diff and history:
 *   g = diff * scale[0]; g = local_decay * data + g (when local_decay != 0);
 *   h = momentum * history + local_rate * g (h = local_rate * g when momentum == 0);
 *   history = h; diff = h (Caffe leaves the update in the diff); data = data - h when apply_update != 0.
 * Each product and sum is rounded separately (no fused multiply-add). data, diff and history must not
 * overlap; scale is a device scalar (crema_ssgd_clip_scale). */
CREMA_API int32_t crema_ssgd_update(crema_context* context, int64_t n, float momentum, float local_decay,
                                    float local_rate, const float* scale, int32_t apply_update, float* data,
                                    float* diff, float* history);
CREMA_API int32_t crema_dsgd_update(crema_context* context, int64_t n, double momentum, double local_decay,
                                    double local_rate, const double* scale, int32_t apply_update,
                                    double* data, double* diff, double* history);

/* ---- ReLU, Euclidean loss and accuracy: async on the context's stream --------------------------- */
/* Element counts must not be negative. No function reads anything back to the host. An output may be the same
 * address as an input where a comment says so; otherwise outputs must not overlap inputs. */

/* y[i] = x[i] > 0 ? x[i] : negative_slope * x[i] (Caffe's ReLU), computed in the element type. y may equal x.
 */
CREMA_API int32_t crema_srelu_forward(crema_context* context, int64_t n, float negative_slope, const float* x,
                                      float* y);
CREMA_API int32_t crema_drelu_forward(crema_context* context, int64_t n, double negative_slope,
                                      const double* x, double* y);
/* dx[i] = x[i] > 0 ? dy[i] : negative_slope * dy[i], with x the layer's input data (for an in-place layer,
 * its output: the same sign for negative_slope >= 0). dx may equal dy. */
CREMA_API int32_t crema_srelu_backward(crema_context* context, int64_t n, float negative_slope,
                                       const float* x, const float* dy, float* dx);
CREMA_API int32_t crema_drelu_backward(crema_context* context, int64_t n, double negative_slope,
                                       const double* x, const double* dy, double* dx);

/* Euclidean loss forward over n elements with num items (the batch size, >= 0): diff = a - b (kept for the
 * backward call) and *loss = sum(diff^2) / (2 num), the sum accumulated in double in a fixed order (bitwise
 * reproducible, no atomics); num == 0 gives 0. loss is a device scalar. */
CREMA_API int32_t crema_seuclidean_loss_forward(crema_context* context, int64_t n, int64_t num,
                                                const float* a, const float* b, float* diff, float* loss);
CREMA_API int32_t crema_deuclidean_loss_forward(crema_context* context, int64_t n, int64_t num,
                                                const double* a, const double* b, double* diff, double* loss);
/* Euclidean loss backward, with s = top_diff[0] / num read on the device: grad_a = s * diff and grad_b = -s *
 * diff, each written only when not NULL (grad_b last when both are the same address). num == 0 writes
 * nothing. top_diff is a device scalar. */
CREMA_API int32_t crema_seuclidean_loss_backward(crema_context* context, int64_t n, int64_t num,
                                                 const float* diff, const float* top_diff, float* grad_a,
                                                 float* grad_b);
CREMA_API int32_t crema_deuclidean_loss_backward(crema_context* context, int64_t n, int64_t num,
                                                 const double* diff, const double* top_diff, double* grad_a,
                                                 double* grad_b);

/* Accuracy (Caffe's, top_k >= 1) over scores viewed as (outer, channels, inner) as above, with labels (stored
 * as T) for the outer*inner positions. A label is the integer it truncates to (saturating to int32);
 * positions labelled ignore_label (when has_ignore_label != 0) are not counted; a counted position is correct
 * when fewer than top_k classes score strictly higher than its label's class. *accuracy = correct / counted
 * (0 when nothing is counted). per_class: NULL, or channels values, the same fraction among the positions of
 * each label (0 for a class with none); class_counts is then 2*channels int64 of scratch. *bad_label: first
 * set to 0x7F7F7F7F7F7F7F7F, then lowered to the least position whose label is invalid (NaN, or neither
 * ignored nor in [0, channels)); such positions are not counted. accuracy and bad_label are device scalars.
 * Integer counts make every result exact and reproducible. */
CREMA_API int32_t crema_saccuracy_forward(crema_context* context, int64_t outer, int64_t channels,
                                          int64_t inner, const float* scores, const float* labels,
                                          int32_t top_k, int32_t has_ignore_label, int32_t ignore_label,
                                          float* accuracy, float* per_class, int64_t* class_counts,
                                          int64_t* bad_label);
CREMA_API int32_t crema_daccuracy_forward(crema_context* context, int64_t outer, int64_t channels,
                                          int64_t inner, const double* scores, const double* labels,
                                          int32_t top_k, int32_t has_ignore_label, int32_t ignore_label,
                                          double* accuracy, double* per_class, int64_t* class_counts,
                                          int64_t* bad_label);

#ifdef __cplusplus
}
#endif

#endif /* CREMA_H */
