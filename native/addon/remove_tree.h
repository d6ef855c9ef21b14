// Removing a directory tree without following symlinks or crossing into another
// filesystem: a container's dir may have had an overlay mounted inside it, and what is
// mounted there must never be deleted through it.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value RemoveTree(const Napi::CallbackInfo& info);

}  // namespace berth
