#include "args.h"

#include <cmath>

namespace berth {

namespace {

[[noreturn]] void Fail(Napi::Env env, const char* fn, const char* name, const std::string& what) {
  throw Napi::TypeError::New(env, std::string(fn) + ": " + name + " " + what);
}

}  // namespace

void ExpectArgs(const Napi::CallbackInfo& info, const char* fn, size_t count) {
  if (info.Length() != count) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": expected " + std::to_string(count) +
                                               " arguments, got " + std::to_string(info.Length()));
  }
}

std::string ArgString(const Napi::CallbackInfo& info, const char* fn, size_t index,
                      const char* name) {
  if (!info[index].IsString()) Fail(info.Env(), fn, name, "must be a string");
  std::string value = info[index].As<Napi::String>().Utf8Value();
  if (value.find('\0') != std::string::npos) {
    Fail(info.Env(), fn, name, "must not contain NUL bytes");
  }
  return value;
}

int64_t ArgInteger(const Napi::CallbackInfo& info, const char* fn, size_t index,
                   const char* name, int64_t min, int64_t max) {
  if (!info[index].IsNumber()) Fail(info.Env(), fn, name, "must be a number");
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::trunc(value) != value) {
    Fail(info.Env(), fn, name, "must be an integer");
  }
  if (value < static_cast<double>(min) || value > static_cast<double>(max)) {
    Fail(info.Env(), fn, name,
         "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int64_t>(value);
}

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, const char* fn, size_t index,
                                const char* name) {
  if (!info[index].IsBuffer()) Fail(info.Env(), fn, name, "must be a Buffer");
  return info[index].As<Napi::Buffer<uint8_t>>();
}

}  // namespace berth
