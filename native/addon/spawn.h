// Starting a helper program that detaches itself (berth-shim) without fork(2)ing Node:
// posix_spawn uses a vfork-style clone, so the cost does not grow with Node's heap.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value SpawnDetached(const Napi::CallbackInfo& info);

}  // namespace berth
