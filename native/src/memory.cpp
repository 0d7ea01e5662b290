// Device memory, pinned host memory and copies.
#include <optional>
#include <string>

#include "handles.hpp"
#include "status.hpp"

#define CREMA_REQUIRE_BYTES(bytes) \
    CREMA_REQUIRE((bytes) >= 0, "byte count must not be negative, got " + std::to_string(bytes))

extern "C" CREMA_API int32_t crema_device_malloc(int32_t device, int64_t bytes, void** pointer) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(pointer, "crema_device_malloc: pointer must not be NULL");
    *pointer = nullptr;
    CREMA_REQUIRE(bytes > 0, "crema_device_malloc: bytes must be positive, got " + std::to_string(bytes));
    crema::DeviceGuard guard(device);
    CREMA_CUDA_CHECK(guard.status());
    cudaError_t error = cudaMalloc(pointer, static_cast<size_t>(bytes));
    if (error == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        return crema::fail(CREMA_STATUS_OUT_OF_MEMORY,
                           "cudaErrorMemoryAllocation: out of device memory allocating " +
                               std::to_string(bytes) + " bytes on device " + std::to_string(device) + " (" +
                               std::to_string(free_b) + " of " + std::to_string(total_b) + " bytes free)");
    }
    CREMA_CUDA_CHECK(error);
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_device_free(int32_t device, void* pointer) {
    if (!pointer) return CREMA_STATUS_OK;
    try {
        crema::DeviceGuard guard(device);
        cudaFree(pointer);
        cudaGetLastError();
    } catch (...) {
    }
    return CREMA_STATUS_OK;
}

extern "C" CREMA_API int32_t crema_memset(void* pointer, int32_t value, int64_t bytes) {
    CREMA_API_BEGIN
    CREMA_REQUIRE_BYTES(bytes);
    if (bytes == 0) return CREMA_STATUS_OK;
    CREMA_CUDA_CHECK(cudaMemset(pointer, value, static_cast<size_t>(bytes)));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_memset_async(void* pointer, int32_t value, int64_t bytes,
                                                crema_stream* stream) {
    CREMA_API_BEGIN
    CREMA_REQUIRE_BYTES(bytes);
    if (bytes == 0) return CREMA_STATUS_OK;
    std::optional<crema::DeviceGuard> guard;  // the stream's device, which need not be the current one
    if (stream) {
        guard.emplace(stream->device);
        CREMA_CUDA_CHECK(guard->status());
    }
    CREMA_CUDA_CHECK(cudaMemsetAsync(pointer, value, static_cast<size_t>(bytes), crema::raw_stream(stream)));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

namespace {
int32_t copy(void* dst, const void* src, int64_t bytes, cudaMemcpyKind kind) {
    CREMA_REQUIRE_BYTES(bytes);
    if (bytes == 0) return CREMA_STATUS_OK;
    CREMA_CUDA_CHECK(cudaMemcpy(dst, src, static_cast<size_t>(bytes), kind));
    return CREMA_STATUS_OK;
}

int32_t copy_async(void* dst, const void* src, int64_t bytes, cudaMemcpyKind kind, crema_stream* stream) {
    CREMA_REQUIRE_BYTES(bytes);
    if (bytes == 0) return CREMA_STATUS_OK;
    std::optional<crema::DeviceGuard> guard;  // the stream's device, which need not be the current one
    if (stream) {
        guard.emplace(stream->device);
        CREMA_CUDA_CHECK(guard->status());
    }
    CREMA_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), kind, crema::raw_stream(stream)));
    return CREMA_STATUS_OK;
}
}  // namespace

extern "C" CREMA_API int32_t crema_memcpy_host_to_device(void* device_dst, const void* host_src,
                                                         int64_t bytes) {
    CREMA_API_BEGIN
    return copy(device_dst, host_src, bytes, cudaMemcpyHostToDevice);
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_memcpy_device_to_host(void* host_dst, const void* device_src,
                                                         int64_t bytes) {
    CREMA_API_BEGIN
    return copy(host_dst, device_src, bytes, cudaMemcpyDeviceToHost);
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_memcpy_device_to_device(void* device_dst, const void* device_src,
                                                           int64_t bytes) {
    CREMA_API_BEGIN
    return copy(device_dst, device_src, bytes, cudaMemcpyDeviceToDevice);
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_memcpy_host_to_device_async(void* device_dst, const void* host_src,
                                                               int64_t bytes, crema_stream* stream) {
    CREMA_API_BEGIN
    return copy_async(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream);
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_memcpy_device_to_host_async(void* host_dst, const void* device_src,
                                                               int64_t bytes, crema_stream* stream) {
    CREMA_API_BEGIN
    return copy_async(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, stream);
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_memcpy_device_to_device_async(void* device_dst, const void* device_src,
                                                                 int64_t bytes, crema_stream* stream) {
    CREMA_API_BEGIN
    return copy_async(device_dst, device_src, bytes, cudaMemcpyDeviceToDevice, stream);
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_host_malloc(int64_t bytes, void** pointer) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(pointer, "crema_host_malloc: pointer must not be NULL");
    *pointer = nullptr;
    CREMA_REQUIRE(bytes > 0, "crema_host_malloc: bytes must be positive, got " + std::to_string(bytes));
    CREMA_CUDA_CHECK(cudaHostAlloc(pointer, static_cast<size_t>(bytes), cudaHostAllocDefault));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_host_free(void* pointer) {
    if (!pointer) return CREMA_STATUS_OK;
    cudaFreeHost(pointer);
    cudaGetLastError();
    return CREMA_STATUS_OK;
}
