// flock(2): Flock may wait for another holder and so runs on the libuv thread pool;
// TryFlock never waits (LOCK_NB) and runs on the calling thread.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Flock(const Napi::CallbackInfo& info);
Napi::Value TryFlock(const Napi::CallbackInfo& info);

}  // namespace berth
