// Entry point of berth_native: registers the syscall-shaped functions that
// src/native/addon.ts describes. Policy stays in TypeScript.
#include <napi.h>

#include "errors.h"
#include "fd_ops.h"
#include "fs_ops.h"
#include "lock.h"
#include "netlink.h"
#include "remove_tree.h"
#include "spawn.h"
#include "zstd_decoder.h"

namespace {

// Outside namespace berth: NODE_API_MODULE pastes the name into an identifier.
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New(env, berth::SetErrorClass, "setErrorClass"));
  exports.Set("mknod", Napi::Function::New(env, berth::Mknod, "mknod"));
  exports.Set("lsetxattr", Napi::Function::New(env, berth::Lsetxattr, "lsetxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, berth::Lgetxattr, "lgetxattr"));
  exports.Set("llistxattr", Napi::Function::New(env, berth::Llistxattr, "llistxattr"));
  exports.Set("mount", Napi::Function::New(env, berth::Mount, "mount"));
  exports.Set("umount2", Napi::Function::New(env, berth::Umount2, "umount2"));
  exports.Set("flock", Napi::Function::New(env, berth::Flock, "flock"));
  exports.Set("tryFlock", Napi::Function::New(env, berth::TryFlock, "tryFlock"));
  exports.Set("spawnDetached", Napi::Function::New(env, berth::SpawnDetached, "spawnDetached"));
  exports.Set("removeTree", Napi::Function::New(env, berth::RemoveTree, "removeTree"));
  exports.Set("openat2", Napi::Function::New(env, berth::Openat2, "openat2"));
  exports.Set("mkdirat", Napi::Function::New(env, berth::Mkdirat, "mkdirat"));
  exports.Set("symlinkat", Napi::Function::New(env, berth::Symlinkat, "symlinkat"));
  exports.Set("mknodat", Napi::Function::New(env, berth::Mknodat, "mknodat"));
  exports.Set("linkat", Napi::Function::New(env, berth::Linkat, "linkat"));
  exports.Set("readlinkat", Napi::Function::New(env, berth::Readlinkat, "readlinkat"));
  exports.Set("fchownat", Napi::Function::New(env, berth::Fchownat, "fchownat"));
  exports.Set("fchmodat", Napi::Function::New(env, berth::Fchmodat, "fchmodat"));
  exports.Set("utimensat", Napi::Function::New(env, berth::Utimensat, "utimensat"));
  exports.Set("unlinkat", Napi::Function::New(env, berth::Unlinkat, "unlinkat"));
  exports.Set("fgetxattr", Napi::Function::New(env, berth::Fgetxattr, "fgetxattr"));
  exports.Set("fsopen", Napi::Function::New(env, berth::Fsopen, "fsopen"));
  exports.Set("fsconfigString", Napi::Function::New(env, berth::FsconfigString, "fsconfigString"));
  exports.Set("fsconfigCreate", Napi::Function::New(env, berth::FsconfigCreate, "fsconfigCreate"));
  exports.Set("fsmount", Napi::Function::New(env, berth::Fsmount, "fsmount"));
  exports.Set("netnsCreate", Napi::Function::New(env, berth::NetnsCreate, "netnsCreate"));
  exports.Set("netnsRemove", Napi::Function::New(env, berth::NetnsRemove, "netnsRemove"));
  exports.Set("netlinkOpen", Napi::Function::New(env, berth::NetlinkOpen, "netlinkOpen"));
  exports.Set("netlinkRequest", Napi::Function::New(env, berth::NetlinkRequest, "netlinkRequest"));
  exports.Set("ZstdDecoder", berth::DefineZstdDecoder(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(berth_native, Init)
