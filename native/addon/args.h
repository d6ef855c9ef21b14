// Argument checks shared by the exported functions. TypeScript validates policy; these
// only guarantee the C++ never reads a value of the wrong type, a number it would
// silently truncate, or a path that a NUL byte would silently shorten.
// Each throws a TypeError naming the function and the parameter: "mknod: mode must be
// an integer".
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace berth {

void ExpectArgs(const Napi::CallbackInfo& info, const char* fn, size_t count);

std::string ArgString(const Napi::CallbackInfo& info, const char* fn, size_t index,
                      const char* name);

// A whole number in [min, max]; JS numbers are doubles, so fractions and NaN are refused
// rather than truncated into some other flag or device number.
int64_t ArgInteger(const Napi::CallbackInfo& info, const char* fn, size_t index,
                   const char* name, int64_t min, int64_t max);

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, const char* fn, size_t index,
                                const char* name);

}  // namespace berth
