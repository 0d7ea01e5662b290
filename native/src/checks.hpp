// Argument checks shared by the op exports (math.cpp, softmax.cpp, layers.cpp, sgd.cpp): a NULL context,
// negative or overflowing sizes and missing pointers become CREMA_STATUS_INVALID_ARGUMENT with a message
// naming the op and the value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "handles.hpp"
#include "status.hpp"

#define CREMA_RETURN_IF_FAILED(expr)                                \
    do {                                                            \
        int32_t crema_status_ = (expr);                             \
        if (crema_status_ != CREMA_STATUS_OK) return crema_status_; \
    } while (0)

// Declares `guard`, which makes the context's device current until the export returns.
#define CREMA_CHECK_CONTEXT(op)                                             \
    CREMA_REQUIRE(context, std::string(op) + ": context must not be NULL"); \
    crema::DeviceGuard guard(context->device);                              \
    CREMA_CUDA_CHECK(guard.status())

// An export's body: the API guard (exceptions become statuses) around one call that returns the status.
// clang-format off
#define CREMA_EXPORT(body) CREMA_API_BEGIN return body; CREMA_API_END
// clang-format on

#define CREMA_CHECK_POINTER(op, needed, pointer) \
    CREMA_REQUIRE(!(needed) || (pointer), std::string(op) + ": " #pointer " must not be NULL")

namespace crema {

inline std::string shape_text(int64_t outer, int64_t channels, int64_t inner) {
    return "(outer " + std::to_string(outer) + ", channels " + std::to_string(channels) + ", inner " +
           std::to_string(inner) + ")";
}

// Sizes must not be negative, and outer*channels*inner elements of element_size bytes must have a 64-bit byte
// count. *count = outer*channels*inner, *positions = outer*inner.
inline int32_t check_shape(const char* op, int64_t outer, int64_t channels, int64_t inner,
                           int64_t element_size, int64_t* count, int64_t* positions) {
    CREMA_REQUIRE(
        outer >= 0 && channels >= 0 && inner >= 0,
        std::string(op) + ": sizes must not be negative, got " + shape_text(outer, channels, inner));
    const int64_t max = std::numeric_limits<int64_t>::max() / element_size;
    bool fits = true;
    int64_t product = 1;
    for (int64_t factor : {outer, inner, channels}) {
        if (factor != 0 && product > max / factor) fits = false;
        if (fits) product *= factor;
    }
    // outer*inner is checked first, so positions never overflows either; a product that overflows before an
    // empty factor is refused as well.
    CREMA_REQUIRE(fits && outer <= max && channels <= max && inner <= max,
                  std::string(op) + ": " + shape_text(outer, channels, inner) +
                      " has more elements than a 64-bit byte count holds");
    *count = product;
    *positions = outer * inner;
    return CREMA_STATUS_OK;
}

// An element count must not be negative, and n elements of element_size bytes must have a 64-bit byte count.
inline int32_t check_count(const char* op, const char* name, int64_t n, int64_t element_size) {
    CREMA_REQUIRE(n >= 0, std::string(op) + ": " + name + " must not be negative, got " + std::to_string(n));
    CREMA_REQUIRE(n <= std::numeric_limits<int64_t>::max() / element_size,
                  std::string(op) + ": " + name + " " + std::to_string(n) +
                      " has more elements than a 64-bit byte count holds");
    return CREMA_STATUS_OK;
}

}  // namespace crema
