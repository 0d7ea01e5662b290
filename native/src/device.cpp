// Device enumeration, properties and selection.
#include <cuda_profiler_api.h>

#include <cstring>
#include <string>

#include "status.hpp"

namespace {
// cudaGetDeviceCount folds "no driver at all" into cudaErrorInsufficientDriver; tell the two apart so the
// managed side can say "no CUDA driver" rather than "driver too old".
int32_t explain_count_failure(cudaError_t error) {
    cudaGetLastError();
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    if (error == cudaErrorInsufficientDriver && driver == 0)
        return crema::fail(CREMA_STATUS_NO_DEVICE,
                           "no CUDA driver is installed (libcuda could not be loaded)");
    if (error == cudaErrorInsufficientDriver)
        return crema::fail(CREMA_STATUS_DRIVER_TOO_OLD,
                           "the CUDA driver (version " + std::to_string(driver) +
                               ") is older than the CUDA runtime this library was built with (version " +
                               std::to_string(runtime) + ")");
    if (error == cudaErrorNoDevice)
        return crema::fail(CREMA_STATUS_NO_DEVICE, "no CUDA-capable device is visible");
    return crema::fail_cuda(error, "cudaGetDeviceCount(&n)", __FILE__, __LINE__);
}
}  // namespace

extern "C" CREMA_API int32_t crema_device_get_count(int32_t* count) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(count, "crema_device_get_count: count must not be NULL");
    *count = 0;
    int n = 0;
    cudaError_t error = cudaGetDeviceCount(&n);
    if (error != cudaSuccess) return explain_count_failure(error);
    *count = n;
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_device_get_properties(int32_t device,
                                                         crema_device_properties* properties) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(properties, "crema_device_get_properties: properties must not be NULL");
    cudaDeviceProp prop;
    CREMA_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    std::memset(properties, 0, sizeof(*properties));
    size_t name_length = strnlen(prop.name, sizeof(prop.name));
    if (name_length >= sizeof(properties->name)) name_length = sizeof(properties->name) - 1;
    std::memcpy(properties->name, prop.name, name_length);
    properties->total_global_memory = static_cast<int64_t>(prop.totalGlobalMem);
    properties->l2_cache_size = prop.l2CacheSize;
    properties->compute_capability_major = prop.major;
    properties->compute_capability_minor = prop.minor;
    properties->multiprocessor_count = prop.multiProcessorCount;
    properties->max_threads_per_block = prop.maxThreadsPerBlock;
    properties->warp_size = prop.warpSize;
    // CUDA 13 dropped cudaDeviceProp::memoryClockRate; the attribute query works on every version.
    int memory_clock = 0, bus_width = 0;
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&memory_clock, cudaDevAttrMemoryClockRate, device));
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&bus_width, cudaDevAttrGlobalMemoryBusWidth, device));
    properties->memory_bus_width = bus_width;
    properties->memory_clock_khz = memory_clock;
    properties->pci_bus_id = prop.pciBusID;
    // Attributes rather than cudaDeviceProp fields: CUDA 13 removed clockRate from the struct.
    int value = 0;
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMaxSharedMemoryPerBlock, device));
    properties->shared_memory_per_block = value;
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
    properties->shared_memory_per_multiprocessor = value;
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&value, cudaDevAttrTotalConstantMemory, device));
    properties->total_constant_memory = value;
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&properties->clock_khz, cudaDevAttrClockRate, device));
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&properties->max_threads_per_multiprocessor,
                                            cudaDevAttrMaxThreadsPerMultiProcessor, device));
    CREMA_CUDA_CHECK(
        cudaDeviceGetAttribute(&properties->registers_per_block, cudaDevAttrMaxRegistersPerBlock, device));
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&properties->pci_domain_id, cudaDevAttrPciDomainId, device));
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&properties->pci_device_id, cudaDevAttrPciDeviceId, device));
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&properties->ecc_enabled, cudaDevAttrEccEnabled, device));
    CREMA_CUDA_CHECK(
        cudaDeviceGetAttribute(&properties->async_engine_count, cudaDevAttrAsyncEngineCount, device));
    CREMA_CUDA_CHECK(cudaDeviceGetAttribute(&properties->integrated, cudaDevAttrIntegrated, device));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_device_set(int32_t device) {
    CREMA_API_BEGIN
    CREMA_CUDA_CHECK(cudaSetDevice(device));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_device_get(int32_t* device) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(device, "crema_device_get: device must not be NULL");
    int current = 0;
    CREMA_CUDA_CHECK(cudaGetDevice(&current));
    *device = current;
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_device_synchronize(int32_t device) {
    CREMA_API_BEGIN
    crema::DeviceGuard guard(device);
    CREMA_CUDA_CHECK(guard.status());
    CREMA_CUDA_CHECK(cudaDeviceSynchronize());
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_device_get_memory_info(int32_t device, int64_t* free_bytes,
                                                          int64_t* total_bytes) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(free_bytes && total_bytes,
                  "crema_device_get_memory_info: output pointers must not be NULL");
    crema::DeviceGuard guard(device);
    CREMA_CUDA_CHECK(guard.status());
    size_t free_b = 0, total_b = 0;
    CREMA_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    *free_bytes = static_cast<int64_t>(free_b);
    *total_bytes = static_cast<int64_t>(total_b);
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_profiler_start(void) {
    CREMA_API_BEGIN
    CREMA_CUDA_CHECK(cudaProfilerStart());
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_profiler_stop(void) {
    CREMA_API_BEGIN
    CREMA_CUDA_CHECK(cudaProfilerStop());
    return CREMA_STATUS_OK;
    CREMA_API_END
}
