// Streams and events.
#include <new>

#include "handles.hpp"
#include "status.hpp"

namespace {
// Queries answer NOT_READY (with no error message) while work is pending.
int32_t query_status(cudaError_t error, const char* expression) {
    if (error == cudaErrorNotReady) {
        cudaGetLastError();
        return CREMA_STATUS_NOT_READY;
    }
    if (error != cudaSuccess) return crema::fail_cuda(error, expression, __FILE__, __LINE__);
    return CREMA_STATUS_OK;
}
}  // namespace

extern "C" CREMA_API int32_t crema_stream_create(int32_t device, crema_stream** stream) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(stream, "crema_stream_create: stream must not be NULL");
    *stream = nullptr;
    crema::DeviceGuard guard(device);
    CREMA_CUDA_CHECK(guard.status());
    cudaStream_t raw = nullptr;
    CREMA_CUDA_CHECK(cudaStreamCreateWithFlags(&raw, cudaStreamNonBlocking));
    *stream = new (std::nothrow) crema_stream{device, raw, true};
    if (!*stream) {
        cudaStreamDestroy(raw);
        return crema::fail(CREMA_STATUS_OUT_OF_MEMORY, "crema_stream_create: out of host memory");
    }
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_stream_destroy(crema_stream* stream) {
    if (!stream || !stream->owned) return CREMA_STATUS_OK;
    try {
        crema::DeviceGuard guard(stream->device);
        cudaStreamDestroy(stream->stream);
        cudaGetLastError();
    } catch (...) {
    }
    delete stream;
    return CREMA_STATUS_OK;
}

extern "C" CREMA_API int32_t crema_stream_synchronize(crema_stream* stream) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(stream, "crema_stream_synchronize: stream must not be NULL");
    CREMA_CUDA_CHECK(cudaStreamSynchronize(stream->stream));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_stream_query(crema_stream* stream) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(stream, "crema_stream_query: stream must not be NULL");
    return query_status(cudaStreamQuery(stream->stream), "cudaStreamQuery(stream->stream)");
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_stream_wait_event(crema_stream* stream, crema_event* event) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(stream && event, "crema_stream_wait_event: stream and event must not be NULL");
    CREMA_CUDA_CHECK(cudaStreamWaitEvent(stream->stream, event->event, 0));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_event_create(int32_t device, crema_event** event) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(event, "crema_event_create: event must not be NULL");
    *event = nullptr;
    crema::DeviceGuard guard(device);
    CREMA_CUDA_CHECK(guard.status());
    cudaEvent_t raw = nullptr;
    CREMA_CUDA_CHECK(cudaEventCreate(&raw));
    *event = new (std::nothrow) crema_event{device, raw};
    if (!*event) {
        cudaEventDestroy(raw);
        return crema::fail(CREMA_STATUS_OUT_OF_MEMORY, "crema_event_create: out of host memory");
    }
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_event_destroy(crema_event* event) {
    if (!event) return CREMA_STATUS_OK;
    try {
        crema::DeviceGuard guard(event->device);
        cudaEventDestroy(event->event);
        cudaGetLastError();
    } catch (...) {
    }
    delete event;
    return CREMA_STATUS_OK;
}

extern "C" CREMA_API int32_t crema_event_record(crema_event* event, crema_stream* stream) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(event, "crema_event_record: event must not be NULL");
    CREMA_CUDA_CHECK(cudaEventRecord(event->event, crema::raw_stream(stream)));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_event_synchronize(crema_event* event) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(event, "crema_event_synchronize: event must not be NULL");
    CREMA_CUDA_CHECK(cudaEventSynchronize(event->event));
    return CREMA_STATUS_OK;
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_event_query(crema_event* event) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(event, "crema_event_query: event must not be NULL");
    return query_status(cudaEventQuery(event->event), "cudaEventQuery(event->event)");
    CREMA_API_END
}

extern "C" CREMA_API int32_t crema_event_elapsed_ms(crema_event* start, crema_event* end,
                                                    float* milliseconds) {
    CREMA_API_BEGIN
    CREMA_REQUIRE(start && end && milliseconds, "crema_event_elapsed_ms: arguments must not be NULL");
    CREMA_CUDA_CHECK(cudaEventElapsedTime(milliseconds, start->event, end->event));
    return CREMA_STATUS_OK;
    CREMA_API_END
}
