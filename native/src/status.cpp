#include "status.hpp"

#include <cstring>
#include <exception>

namespace crema {
namespace {
thread_local std::string last_error;

const char* file_name(const char* path) {
    const char* slash = std::strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char* cublas_status_name(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_NOT_INITIALIZED:
            return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED:
            return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE:
            return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_ARCH_MISMATCH:
            return "CUBLAS_STATUS_ARCH_MISMATCH";
        case CUBLAS_STATUS_MAPPING_ERROR:
            return "CUBLAS_STATUS_MAPPING_ERROR";
        case CUBLAS_STATUS_EXECUTION_FAILED:
            return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_INTERNAL_ERROR:
            return "CUBLAS_STATUS_INTERNAL_ERROR";
        case CUBLAS_STATUS_NOT_SUPPORTED:
            return "CUBLAS_STATUS_NOT_SUPPORTED";
        case CUBLAS_STATUS_LICENSE_ERROR:
            return "CUBLAS_STATUS_LICENSE_ERROR";
        default:
            return "CUBLAS_STATUS_UNKNOWN";
    }
}
}  // namespace

const std::string& last_error_message() { return last_error; }

int32_t fail(int32_t status, const std::string& message) {
    try {
        last_error = message;
    } catch (...) {
        // Out of host memory while recording the message: keep the status, lose the text.
    }
    return status;
}

int32_t fail_cuda(cudaError_t error, const char* expression, const char* file, int line) {
    cudaGetLastError();  // clear the non-sticky error so the next call starts clean
    int32_t status = CREMA_STATUS_CUDA_ERROR;
    if (error == cudaErrorMemoryAllocation) status = CREMA_STATUS_OUT_OF_MEMORY;
    if (error == cudaErrorNoDevice) status = CREMA_STATUS_NO_DEVICE;
    if (error == cudaErrorInsufficientDriver) status = CREMA_STATUS_DRIVER_TOO_OLD;
    std::string message = std::string(cudaGetErrorName(error)) + ": " + cudaGetErrorString(error) + " (" +
                          file_name(file) + ":" + std::to_string(line) + ": " + expression + ")";
    return fail(status, message);
}

int32_t fail_cublas(cublasStatus_t status, const char* expression, const char* file, int line) {
    int32_t code =
        status == CUBLAS_STATUS_ALLOC_FAILED ? CREMA_STATUS_OUT_OF_MEMORY : CREMA_STATUS_CUBLAS_ERROR;
    std::string message = std::string(cublas_status_name(status)) + " (" + file_name(file) + ":" +
                          std::to_string(line) + ": " + expression + ")";
    return fail(code, message);
}

int32_t fail_internal(const char* what) {
    return fail(CREMA_STATUS_INTERNAL_ERROR, std::string("internal error: ") + what);
}

DeviceGuard::DeviceGuard(int device) {
    status_ = cudaGetDevice(&previous_);
    if (status_ == cudaSuccess && previous_ != device) status_ = cudaSetDevice(device);
    if (status_ != cudaSuccess) previous_ = -1;
}

DeviceGuard::~DeviceGuard() {
    int current = -1;
    if (previous_ >= 0 && cudaGetDevice(&current) == cudaSuccess && current != previous_)
        cudaSetDevice(previous_);
}

}  // namespace crema
