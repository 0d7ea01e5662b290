// Library version, last error and CUDA versions.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "status.hpp"

namespace crema {
// Defined in status.cpp; only this file reads it back.
const std::string& last_error_message();
}  // namespace crema

extern "C" CREMA_API int32_t crema_get_version(int32_t* major, int32_t* minor, int32_t* patch) {
    if (major) *major = CREMA_VERSION_MAJOR;
    if (minor) *minor = CREMA_VERSION_MINOR;
    if (patch) *patch = CREMA_VERSION_PATCH;
    return CREMA_STATUS_OK;
}

extern "C" CREMA_API int32_t crema_get_last_error(char* buffer, int64_t capacity, int64_t* length) {
    const std::string& message = crema::last_error_message();
    if (length) *length = static_cast<int64_t>(message.size());
    if (buffer && capacity > 0) {
        size_t count = std::min(message.size(), static_cast<size_t>(capacity - 1));
        std::memcpy(buffer, message.data(), count);
        buffer[count] = '\0';
    }
    return CREMA_STATUS_OK;
}

extern "C" CREMA_API int32_t crema_get_cuda_versions(int32_t* runtime_version, int32_t* driver_version) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(runtime_version && driver_version,
                  "crema_get_cuda_versions: output pointers must not be NULL");
    // The runtime is linked statically, so its version is the one compiled in; asking cudart for it fails on
    // a machine without a driver, which is exactly where the number is most useful in a report.
    *runtime_version = CUDART_VERSION;
    int driver = 0;
    if (cudaDriverGetVersion(&driver) != cudaSuccess) {
        cudaGetLastError();
        driver = 0;  // no usable driver
    }
    *driver_version = driver;
    return CREMA_STATUS_OK;
    CREMA_API_END
}
