// Filesystem system calls that Node's fs does not offer: device nodes, extended
// attributes on symlinks themselves, and mounts.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Mknod(const Napi::CallbackInfo& info);
Napi::Value Lsetxattr(const Napi::CallbackInfo& info);
Napi::Value Lgetxattr(const Napi::CallbackInfo& info);
Napi::Value Llistxattr(const Napi::CallbackInfo& info);
Napi::Value Mount(const Napi::CallbackInfo& info);
Napi::Value Umount2(const Napi::CallbackInfo& info);

}  // namespace berth
