// fd-relative file system calls for working inside a container's root without ever
// resolving a path on the host: openat2 with RESOLVE_* flags, the *at family on the
// fds it returns, and detached overlay mounts (fsopen/fsmount) that exist only as fds.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Openat2(const Napi::CallbackInfo& info);
Napi::Value Mkdirat(const Napi::CallbackInfo& info);
Napi::Value Symlinkat(const Napi::CallbackInfo& info);
Napi::Value Mknodat(const Napi::CallbackInfo& info);
Napi::Value Linkat(const Napi::CallbackInfo& info);
Napi::Value Readlinkat(const Napi::CallbackInfo& info);
Napi::Value Fchownat(const Napi::CallbackInfo& info);
Napi::Value Fchmodat(const Napi::CallbackInfo& info);
Napi::Value Utimensat(const Napi::CallbackInfo& info);
Napi::Value Unlinkat(const Napi::CallbackInfo& info);
Napi::Value Fgetxattr(const Napi::CallbackInfo& info);
Napi::Value Fsopen(const Napi::CallbackInfo& info);
Napi::Value FsconfigString(const Napi::CallbackInfo& info);
Napi::Value FsconfigCreate(const Napi::CallbackInfo& info);
Napi::Value Fsmount(const Napi::CallbackInfo& info);

}  // namespace berth
