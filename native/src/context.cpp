// A context: one stream, a cuBLAS handle bound to it, and the reduction workspace. Ops run on its stream.
#include <new>

#include "handles.hpp"
#include "status.hpp"

namespace {
void release(crema_context* context) {
    if (context->workspace) cudaFree(context->workspace);
    if (context->cublas) cublasDestroy(context->cublas);
    if (context->stream.stream) cudaStreamDestroy(context->stream.stream);
    cudaGetLastError();
    delete context;
}
}  // namespace

extern "C" CREMA_API int32_t crema_context_create(int32_t device, crema_context** context) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(context, "crema_context_create: context must not be NULL");
    *context = nullptr;
    crema::DeviceGuard guard(device);
    CREMA_CUDA_CHECK(guard.status());
    crema_context* created =
        new (std::nothrow) crema_context{device, {device, nullptr, false}, nullptr, nullptr};
    if (!created) return crema::fail(CREMA_STATUS_OUT_OF_MEMORY, "crema_context_create: out of host memory");
    int32_t status = [&]() -> int32_t {
        CREMA_CUDA_CHECK(cudaStreamCreateWithFlags(&created->stream.stream, cudaStreamNonBlocking));
        CREMA_CUBLAS_CHECK(cublasCreate(&created->cublas));
        CREMA_CUBLAS_CHECK(cublasSetStream(created->cublas, created->stream.stream));
        CREMA_CUBLAS_CHECK(cublasSetPointerMode(created->cublas, CUBLAS_POINTER_MODE_HOST));
        CREMA_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&created->workspace),
                                    sizeof(double) * crema::kWorkspaceDoubles));
        return CREMA_STATUS_OK;
    }();
    if (status != CREMA_STATUS_OK) {
        release(created);
        return status;
    }
    *context = created;
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_context_destroy(crema_context* context) {
    if (!context) return CREMA_STATUS_OK;
    try {
        crema::DeviceGuard guard(context->device);
        cudaStreamSynchronize(context->stream.stream);
        release(context);
    } catch (...) {
    }
    return CREMA_STATUS_OK;
}

extern "C" CREMA_API int32_t crema_context_get_stream(crema_context* context, crema_stream** stream) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(context && stream, "crema_context_get_stream: arguments must not be NULL");
    *stream = &context->stream;
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_context_get_device(crema_context* context, int32_t* device) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(context && device, "crema_context_get_device: arguments must not be NULL");
    *device = context->device;
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_context_synchronize(crema_context* context) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(context, "crema_context_synchronize: context must not be NULL");
    CREMA_CUDA_CHECK(cudaStreamSynchronize(context->stream.stream));
    return CREMA_STATUS_OK;
    CREMA_API_END
}
