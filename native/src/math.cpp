// Math ops on a context's stream: handwritten kernels (kernels/blas.cu) for the element-wise ops and the
// reductions, cuBLAS for gemm and gemv. Arguments are checked here; managed code checks them first as well,
// so these checks are the last line for C callers.
#include <climits>
#include <string>

#include "../../kernels/blas.cuh"
#include "checks.hpp"

namespace {
using crema::kernels::Reduction;

std::string count_message(const char* op, int64_t n) {
    return std::string(op) + ": element count must not be negative, got " + std::to_string(n);
}

// One statement (do/while), so `if (...) CREMA_CHECK_VECTOR(...);` guards both checks.
#define CREMA_CHECK_VECTOR(op, n, pointer)                                                         \
    do {                                                                                           \
        CREMA_REQUIRE((n) >= 0, count_message(op, n));                                             \
        CREMA_REQUIRE((n) == 0 || (pointer), std::string(op) + ": " #pointer " must not be NULL"); \
    } while (0)

template <typename T>
int32_t set(const char* op, crema_context* context, int64_t n, T alpha, T* y) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, y);
    CREMA_CUDA_CHECK(crema::kernels::launch_set<T>(context->stream.stream, n, alpha, y));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t copy(const char* op, crema_context* context, int64_t n, const T* x, T* y) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, x);
    CREMA_CHECK_VECTOR(op, n, y);
    if (n == 0 || x == y) return CREMA_STATUS_OK;
    CREMA_CUDA_CHECK(cudaMemcpyAsync(y, x, static_cast<size_t>(n) * sizeof(T), cudaMemcpyDeviceToDevice,
                                     context->stream.stream));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t axpy(const char* op, crema_context* context, int64_t n, T alpha, const T* x, T* y) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, x);
    CREMA_CHECK_VECTOR(op, n, y);
    CREMA_CUDA_CHECK(crema::kernels::launch_axpy<T>(context->stream.stream, n, alpha, x, y));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t axpby(const char* op, crema_context* context, int64_t n, T alpha, const T* x, T beta, T* y) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, x);
    CREMA_CHECK_VECTOR(op, n, y);
    CREMA_CUDA_CHECK(crema::kernels::launch_axpby<T>(context->stream.stream, n, alpha, x, beta, y));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t scal(const char* op, crema_context* context, int64_t n, T alpha, T* x) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, x);
    CREMA_CUDA_CHECK(crema::kernels::launch_scal<T>(context->stream.stream, n, alpha, x));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t reduce(const char* op, Reduction kind, crema_context* context, int64_t n, const T* x, const T* y,
               T* result) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, x);
    if (kind == Reduction::Dot) CREMA_CHECK_VECTOR(op, n, y);
    CREMA_REQUIRE(result, std::string(op) + ": result must not be NULL");
    CREMA_CUDA_CHECK(crema::kernels::launch_reduce<T>(context->stream.stream, kind, n, x, y,
                                                      context->workspace, crema::kReductionSlots, result));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t dot_accumulate(const char* op, crema_context* context, int64_t n, const T* x, const T* y, T* result) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, x);
    CREMA_CHECK_VECTOR(op, n, y);
    CREMA_REQUIRE(result, std::string(op) + ": result must not be NULL");
    CREMA_CUDA_CHECK(crema::kernels::launch_dot_accumulate<T>(
        context->stream.stream, n, x, y, context->workspace, crema::kReductionSlots, result));
    return CREMA_STATUS_OK;
}

template <typename T>
int32_t sumsq_double(const char* op, crema_context* context, int64_t n, const T* x, double* result) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_CHECK_VECTOR(op, n, x);
    CREMA_REQUIRE(result, std::string(op) + ": result must not be NULL");
    CREMA_CUDA_CHECK(crema::kernels::launch_sumsq_double<T>(context->stream.stream, n, x, context->workspace,
                                                            crema::kReductionSlots, result));
    return CREMA_STATUS_OK;
}

int32_t check_dimension(const char* op, const char* name, int64_t value) {
    CREMA_REQUIRE(value >= 0 && value <= INT_MAX, std::string(op) + ": " + name + " must be in [0, " +
                                                      std::to_string(INT_MAX) + "], got " +
                                                      std::to_string(value));
    return CREMA_STATUS_OK;
}

int32_t check_transpose(const char* op, const char* name, int32_t value) {
    CREMA_REQUIRE(value == CREMA_OP_N || value == CREMA_OP_T,
                  std::string(op) + ": " + name + " must be CREMA_OP_N (0) or CREMA_OP_T (1), got " +
                      std::to_string(value));
    return CREMA_STATUS_OK;
}

cublasStatus_t cublas_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const float* alpha, const float* a, int lda, const float* b, int ldb,
                           const float* beta, float* c, int ldc) {
    return cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t cublas_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const double* alpha, const double* a, int lda, const double* b, int ldb,
                           const double* beta, double* c, int ldc) {
    return cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
cublasStatus_t cublas_gemv(cublasHandle_t h, cublasOperation_t t, int m, int n, const float* alpha,
                           const float* a, int lda, const float* x, const float* beta, float* y) {
    return cublasSgemv(h, t, m, n, alpha, a, lda, x, 1, beta, y, 1);
}
cublasStatus_t cublas_gemv(cublasHandle_t h, cublasOperation_t t, int m, int n, const double* alpha,
                           const double* a, int lda, const double* x, const double* beta, double* y) {
    return cublasDgemv(h, t, m, n, alpha, a, lda, x, 1, beta, y, 1);
}

int max1(int64_t value) { return value < 1 ? 1 : static_cast<int>(value); }

// Row-major C = alpha op(A) op(B) + beta C is column-major C^T = alpha op(B)^T op(A)^T + beta C^T, so cuBLAS
// gets the operands swapped and no data is transposed.
template <typename T>
int32_t gemm(const char* op, crema_context* context, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n,
             int64_t k, T alpha, const T* a, const T* b, T beta, T* c) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_RETURN_IF_FAILED(check_transpose(op, "trans_a", trans_a));
    CREMA_RETURN_IF_FAILED(check_transpose(op, "trans_b", trans_b));
    CREMA_RETURN_IF_FAILED(check_dimension(op, "m", m));
    CREMA_RETURN_IF_FAILED(check_dimension(op, "n", n));
    CREMA_RETURN_IF_FAILED(check_dimension(op, "k", k));
    CREMA_REQUIRE(m * k == 0 || a, std::string(op) + ": a must not be NULL");
    CREMA_REQUIRE(k * n == 0 || b, std::string(op) + ": b must not be NULL");
    CREMA_REQUIRE(m * n == 0 || c, std::string(op) + ": c must not be NULL");
    if (m == 0 || n == 0) return CREMA_STATUS_OK;
    if (k == 0) {
        // C = beta C by definition; do not depend on how cuBLAS treats an empty inner dimension.
        if (beta == T(0))
            CREMA_CUDA_CHECK(crema::kernels::launch_set<T>(context->stream.stream, m * n, T(0), c));
        else
            CREMA_CUDA_CHECK(crema::kernels::launch_scal<T>(context->stream.stream, m * n, beta, c));
        return CREMA_STATUS_OK;
    }
    int lda = max1(trans_a == CREMA_OP_N ? k : m);
    int ldb = max1(trans_b == CREMA_OP_N ? n : k);
    cublasOperation_t op_a = trans_a == CREMA_OP_N ? CUBLAS_OP_N : CUBLAS_OP_T;
    cublasOperation_t op_b = trans_b == CREMA_OP_N ? CUBLAS_OP_N : CUBLAS_OP_T;
    CREMA_CUBLAS_CHECK(cublas_gemm(context->cublas, op_b, op_a, static_cast<int>(n), static_cast<int>(m),
                                   static_cast<int>(k), &alpha, b, ldb, a, lda, &beta, c,
                                   static_cast<int>(n)));
    return CREMA_STATUS_OK;
}

// Row-major A (m x n) is column-major A^T with leading dimension n, so the transpose flag flips.
template <typename T>
int32_t gemv(const char* op, crema_context* context, int32_t trans_a, int64_t m, int64_t n, T alpha,
             const T* a, const T* x, T beta, T* y) {
    CREMA_CHECK_CONTEXT(op);
    CREMA_RETURN_IF_FAILED(check_transpose(op, "trans_a", trans_a));
    CREMA_RETURN_IF_FAILED(check_dimension(op, "m", m));
    CREMA_RETURN_IF_FAILED(check_dimension(op, "n", n));
    int64_t y_count = trans_a == CREMA_OP_N ? m : n;
    int64_t x_count = trans_a == CREMA_OP_N ? n : m;
    CREMA_REQUIRE(m * n == 0 || a, std::string(op) + ": a must not be NULL");
    CREMA_REQUIRE(x_count == 0 || x, std::string(op) + ": x must not be NULL");
    CREMA_REQUIRE(y_count == 0 || y, std::string(op) + ": y must not be NULL");
    if (y_count == 0) return CREMA_STATUS_OK;
    if (x_count == 0) {
        // BLAS returns early when the inner dimension is 0 and leaves y as it was; the definition says
        // y = beta y, which is what the CPU path computes.
        if (beta == T(0))
            CREMA_CUDA_CHECK(crema::kernels::launch_set<T>(context->stream.stream, y_count, T(0), y));
        else
            CREMA_CUDA_CHECK(crema::kernels::launch_scal<T>(context->stream.stream, y_count, beta, y));
        return CREMA_STATUS_OK;
    }
    cublasOperation_t op_a = trans_a == CREMA_OP_N ? CUBLAS_OP_T : CUBLAS_OP_N;
    CREMA_CUBLAS_CHECK(cublas_gemv(context->cublas, op_a, static_cast<int>(n), static_cast<int>(m), &alpha, a,
                                   max1(n), x, &beta, y));
    return CREMA_STATUS_OK;
}
}  // namespace

// clang-format off

extern "C" {
CREMA_API int32_t crema_sset(crema_context* context, int64_t n, float alpha, float* y) { CREMA_EXPORT(set("crema_sset", context, n, alpha, y)) }
CREMA_API int32_t crema_dset(crema_context* context, int64_t n, double alpha, double* y) { CREMA_EXPORT(set("crema_dset", context, n, alpha, y)) }
CREMA_API int32_t crema_scopy(crema_context* context, int64_t n, const float* x, float* y) { CREMA_EXPORT(copy("crema_scopy", context, n, x, y)) }
CREMA_API int32_t crema_dcopy(crema_context* context, int64_t n, const double* x, double* y) { CREMA_EXPORT(copy("crema_dcopy", context, n, x, y)) }
CREMA_API int32_t crema_saxpy(crema_context* context, int64_t n, float alpha, const float* x, float* y) { CREMA_EXPORT(axpy("crema_saxpy", context, n, alpha, x, y)) }
CREMA_API int32_t crema_daxpy(crema_context* context, int64_t n, double alpha, const double* x, double* y) { CREMA_EXPORT(axpy("crema_daxpy", context, n, alpha, x, y)) }
CREMA_API int32_t crema_saxpby(crema_context* context, int64_t n, float alpha, const float* x, float beta, float* y) { CREMA_EXPORT(axpby("crema_saxpby", context, n, alpha, x, beta, y)) }
CREMA_API int32_t crema_daxpby(crema_context* context, int64_t n, double alpha, const double* x, double beta, double* y) { CREMA_EXPORT(axpby("crema_daxpby", context, n, alpha, x, beta, y)) }
CREMA_API int32_t crema_sscal(crema_context* context, int64_t n, float alpha, float* x) { CREMA_EXPORT(scal("crema_sscal", context, n, alpha, x)) }
CREMA_API int32_t crema_dscal(crema_context* context, int64_t n, double alpha, double* x) { CREMA_EXPORT(scal("crema_dscal", context, n, alpha, x)) }
CREMA_API int32_t crema_sasum(crema_context* context, int64_t n, const float* x, float* result) { CREMA_EXPORT(reduce<float>("crema_sasum", Reduction::Asum, context, n, x, nullptr, result)) }
CREMA_API int32_t crema_dasum(crema_context* context, int64_t n, const double* x, double* result) { CREMA_EXPORT(reduce<double>("crema_dasum", Reduction::Asum, context, n, x, nullptr, result)) }
CREMA_API int32_t crema_sdot(crema_context* context, int64_t n, const float* x, const float* y, float* result) { CREMA_EXPORT(reduce<float>("crema_sdot", Reduction::Dot, context, n, x, y, result)) }
CREMA_API int32_t crema_ddot(crema_context* context, int64_t n, const double* x, const double* y, double* result) { CREMA_EXPORT(reduce<double>("crema_ddot", Reduction::Dot, context, n, x, y, result)) }
CREMA_API int32_t crema_ssumsq(crema_context* context, int64_t n, const float* x, float* result) { CREMA_EXPORT(reduce<float>("crema_ssumsq", Reduction::Sumsq, context, n, x, nullptr, result)) }
CREMA_API int32_t crema_dsumsq(crema_context* context, int64_t n, const double* x, double* result) { CREMA_EXPORT(reduce<double>("crema_dsumsq", Reduction::Sumsq, context, n, x, nullptr, result)) }
CREMA_API int32_t crema_sdot_accumulate(crema_context* context, int64_t n, const float* x, const float* y, float* result) { CREMA_EXPORT(dot_accumulate("crema_sdot_accumulate", context, n, x, y, result)) }
CREMA_API int32_t crema_ddot_accumulate(crema_context* context, int64_t n, const double* x, const double* y, double* result) { CREMA_EXPORT(dot_accumulate("crema_ddot_accumulate", context, n, x, y, result)) }
CREMA_API int32_t crema_ssumsq_double(crema_context* context, int64_t n, const float* x, double* result) { CREMA_EXPORT(sumsq_double("crema_ssumsq_double", context, n, x, result)) }
CREMA_API int32_t crema_dsumsq_double(crema_context* context, int64_t n, const double* x, double* result) { CREMA_EXPORT(sumsq_double("crema_dsumsq_double", context, n, x, result)) }
CREMA_API int32_t crema_sgemm(crema_context* context, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b, float beta, float* c) { CREMA_EXPORT(gemm("crema_sgemm", context, trans_a, trans_b, m, n, k, alpha, a, b, beta, c)) }
CREMA_API int32_t crema_dgemm(crema_context* context, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, const double* b, double beta, double* c) { CREMA_EXPORT(gemm("crema_dgemm", context, trans_a, trans_b, m, n, k, alpha, a, b, beta, c)) }
CREMA_API int32_t crema_sgemv(crema_context* context, int32_t trans_a, int64_t m, int64_t n, float alpha, const float* a, const float* x, float beta, float* y) { CREMA_EXPORT(gemv("crema_sgemv", context, trans_a, m, n, alpha, a, x, beta, y)) }
CREMA_API int32_t crema_dgemv(crema_context* context, int32_t trans_a, int64_t m, int64_t n, double alpha, const double* a, const double* x, double beta, double* y) { CREMA_EXPORT(gemv("crema_dgemv", context, trans_a, m, n, alpha, a, x, beta, y)) }
}
// clang-format on
