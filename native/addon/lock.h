// flock(2), which may wait for another holder and so runs on the libuv thread pool.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Flock(const Napi::CallbackInfo& info);

}  // namespace berth
