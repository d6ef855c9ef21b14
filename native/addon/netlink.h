// Network namespaces and rtnetlink sockets. Namespace changes happen on a short-lived
// std::thread of our own, never on a Node thread: setns/unshare of CLONE_NEWNET moves only
// the calling thread, and a libuv thread left in another namespace would be a silent bug.
// The messages themselves are built and parsed in TypeScript (src/network/netlink/).
#pragma once

#include <napi.h>

namespace berth {

Napi::Value NetnsCreate(const Napi::CallbackInfo& info);
Napi::Value NetnsRemove(const Napi::CallbackInfo& info);
Napi::Value NetlinkOpen(const Napi::CallbackInfo& info);
Napi::Value NetlinkRequest(const Napi::CallbackInfo& info);

}  // namespace berth
