// A streaming zstd decoder over the system's libzstd, for layers on Nodes whose zlib has
// no zstd (before 22.15). One call decompresses from one input chunk on the calling
// thread; the output of a call is capped, so memory stays bounded whatever the ratio.
#pragma once

#include <napi.h>

namespace berth {

// Defines the JS class ZstdDecoder (see src/native/addon.ts for its contract).
Napi::Function DefineZstdDecoder(Napi::Env env);

}  // namespace berth
