// Status and last-error plumbing shared by every export: CUDA/cuBLAS failures become a status code plus a
// thread-local message, and no C++ exception leaves the library (CREMA_API_BEGIN/END wrap every export body).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

#include "crema.h"

namespace crema {

// Stores message as the calling thread's last error and returns status.
int32_t fail(int32_t status, const std::string& message);
int32_t fail_cuda(cudaError_t error, const char* expression, const char* file, int line);
int32_t fail_cublas(cublasStatus_t status, const char* expression, const char* file, int line);
int32_t fail_internal(const char* what);

// Makes device current for the lifetime of the guard and restores the previous one; finalizer threads and
// thread-pool threads may call in with any (or no) current device.
class DeviceGuard {
   public:
    explicit DeviceGuard(int device);
    ~DeviceGuard();
    cudaError_t status() const { return status_; }
    DeviceGuard(const DeviceGuard&) = delete;
    DeviceGuard& operator=(const DeviceGuard&) = delete;

   private:
    int previous_ = -1;
    cudaError_t status_ = cudaSuccess;
};

}  // namespace crema

#define CREMA_CUDA_CHECK(expr)                                                                       \
    do {                                                                                             \
        cudaError_t crema_e_ = (expr);                                                               \
        if (crema_e_ != cudaSuccess) return ::crema::fail_cuda(crema_e_, #expr, __FILE__, __LINE__); \
    } while (0)

#define CREMA_CUBLAS_CHECK(expr)                                              \
    do {                                                                      \
        cublasStatus_t crema_s_ = (expr);                                     \
        if (crema_s_ != CUBLAS_STATUS_SUCCESS)                                \
            return ::crema::fail_cublas(crema_s_, #expr, __FILE__, __LINE__); \
    } while (0)

#define CREMA_REQUIRE(condition, message)                                                 \
    do {                                                                                  \
        if (!(condition)) return ::crema::fail(CREMA_STATUS_INVALID_ARGUMENT, (message)); \
    } while (0)

#define CREMA_API_BEGIN try {
#define CREMA_API_END                                           \
    }                                                           \
    catch (const std::exception& crema_ex_) {                   \
        return ::crema::fail_internal(crema_ex_.what());        \
    }                                                           \
    catch (...) {                                               \
        return ::crema::fail_internal("unknown C++ exception"); \
    }
