// Errors crossing the native boundary: one JS class (injected from TypeScript) for
// every failed system call, and TypeErrors for arguments of the wrong shape.
#pragma once

#include <napi.h>

#include <string>

namespace berth {

// Remembers the class TypeScript passes to setErrorClass, per environment so that
// worker threads loading the addon each keep their own.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info);

// Builds the error object for a failed system call: an instance of the injected class
// (a plain Error before one is injected) with code, errno, syscall and path set.
// `code` overrides the name derived from errnum where a syscall documents another
// name for the same number (flock's EWOULDBLOCK is EAGAIN on Linux).
Napi::Error ErrnoError(Napi::Env env, int errnum, const char* syscall,
                       const std::string& path = std::string(),
                       const char* code = nullptr);

// Throws ErrnoError as a C++ exception; node-addon-api rethrows it into JavaScript.
[[noreturn]] void ThrowErrno(Napi::Env env, int errnum, const char* syscall,
                             const std::string& path = std::string());

}  // namespace berth
