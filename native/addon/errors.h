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

// Builds the error object for a failed call into a library that reports its own error
// codes instead of errno (libzstd): the same class and shape, with code naming the
// library's error ("ZSTD_error_corruption_detected"), errno 0 and syscall naming the call.
Napi::Error LibraryError(Napi::Env env, const std::string& code, const std::string& description,
                         const char* call);

// Throws ErrnoError as a C++ exception; node-addon-api rethrows it into JavaScript.
[[noreturn]] void ThrowErrno(Napi::Env env, int errnum, const char* syscall,
                             const std::string& path = std::string());

}  // namespace berth
