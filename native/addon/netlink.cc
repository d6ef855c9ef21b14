#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "errors.h"

namespace berth {

namespace {

// A failed step on a helper thread, carried back to the calling thread to be thrown there.
struct StepError {
  int errnum = 0;
  const char* syscall = nullptr;
};

bool Failed(StepError* out, const char* syscall) {
  out->errnum = errno;
  out->syscall = syscall;
  return false;
}

template <typename Work>
void OnOwnThread(Work work) {
  std::thread t(work);
  t.join();
}

// A new netns has only lo, and down: nothing, not even 127.0.0.1, answers until it is up.
bool LoopbackUp(StepError* err) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failed(err, "socket");
  struct ifreq ifr = {};
  std::strcpy(ifr.ifr_name, "lo");
  bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ok = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  }
  if (!ok) Failed(err, "ioctl SIOCSIFFLAGS");
  close(fd);
  return ok;
}

// Runs on its own thread, which ends right after: its new namespace lives on in the bind mount only.
void PinNewNetns(const std::string& path, StepError* err, bool* mounted) {
  if (unshare(CLONE_NEWNET) != 0) {
    Failed(err, "unshare");
    return;
  }
  if (mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    Failed(err, "mount");
    return;
  }
  *mounted = true;
  LoopbackUp(err);
}

void SocketInNetns(int nsfd, StepError* err, int* out) {
  if (setns(nsfd, CLONE_NEWNET) != 0) {
    Failed(err, "setns");
    return;
  }
  *out = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (*out < 0) Failed(err, "socket");
}

// The kernel always answers a request; the timeout only keeps a kernel bug from hanging Node.
constexpr time_t kReplyTimeoutSeconds = 10;

int ConfigureNetlinkSocket(int fd) {
  struct sockaddr_nl local = {};
  local.nl_family = AF_NETLINK;
  struct timeval tv = {kReplyTimeoutSeconds, 0};
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof(local)) != 0) return -1;
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

ssize_t RecvDatagram(int fd, std::vector<uint8_t>& buf) {
  for (;;) {
    // MSG_TRUNC with MSG_PEEK gives the datagram's real length, so a big dump part is never cut.
    ssize_t want = recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (want < 0 && errno == EINTR) continue;
    if (want < 0) return want;
    if (buf.size() < static_cast<size_t>(want)) buf.resize(static_cast<size_t>(want));
    ssize_t got = recv(fd, buf.data(), buf.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    return got;
  }
}

}  // namespace

Napi::Value NetnsCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "netnsCreate", 1);
  std::string path = ArgString(info, "netnsCreate", 0, "path");
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) ThrowErrno(env, errno, "open", path);
  close(fd);
  StepError err;
  bool mounted = false;
  OnOwnThread([&] { PinNewNetns(path, &err, &mounted); });
  if (err.syscall != nullptr) {
    if (mounted) umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
    ThrowErrno(env, err.errnum, err.syscall, path);
  }
  return env.Undefined();
}

Napi::Value NetnsRemove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "netnsRemove", 1);
  std::string path = ArgString(info, "netnsRemove", 0, "path");
  // EINVAL: not a mount point (a netnsCreate that died between open and mount left the bare file).
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    ThrowErrno(env, errno, "umount2", path);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) ThrowErrno(env, errno, "unlink", path);
  return env.Undefined();
}

Napi::Value NetlinkOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "netlinkOpen", 1);
  std::string nsPath = ArgString(info, "netlinkOpen", 0, "netnsPath");
  int fd = -1;
  if (nsPath.empty()) {
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) ThrowErrno(env, errno, "socket");
  } else {
    int nsfd = open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) ThrowErrno(env, errno, "open", nsPath);
    StepError err;
    // A socket keeps the namespace it was created in, whatever thread later uses it.
    OnOwnThread([&] { SocketInNetns(nsfd, &err, &fd); });
    close(nsfd);
    if (err.syscall != nullptr) ThrowErrno(env, err.errnum, err.syscall, nsPath);
  }
  if (ConfigureNetlinkSocket(fd) != 0) {
    int errnum = errno;
    close(fd);
    ThrowErrno(env, errnum, "bind", nsPath);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value NetlinkRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "netlinkRequest", 2);
  int fd = static_cast<int>(ArgInteger(info, "netlinkRequest", 0, "fd", 0, INT32_MAX));
  Napi::Buffer<uint8_t> request = ArgBuffer(info, "netlinkRequest", 1, "request");
  if (request.Length() < sizeof(struct nlmsghdr)) {
    throw Napi::TypeError::New(env, "netlinkRequest: request must hold a whole nlmsghdr");
  }
  struct nlmsghdr head;
  std::memcpy(&head, request.Data(), sizeof(head));
  if (head.nlmsg_len != request.Length()) {
    throw Napi::TypeError::New(env, "netlinkRequest: nlmsg_len must be the request's length");
  }
  bool dump = (head.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd, request.Data(), request.Length(), 0, reinterpret_cast<struct sockaddr*>(&kernel),
                  sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) ThrowErrno(env, errno, "sendto");

  std::vector<std::vector<uint8_t>> replies;
  std::vector<uint8_t> buf(32768);
  for (;;) {
    ssize_t got = RecvDatagram(fd, buf);
    if (got < 0) ThrowErrno(env, errno, "recv");
    auto len = static_cast<size_t>(got);
    for (size_t at = 0; at + sizeof(struct nlmsghdr) <= len;) {
      auto* msg = reinterpret_cast<struct nlmsghdr*>(buf.data() + at);
      if (msg->nlmsg_len < sizeof(struct nlmsghdr) || msg->nlmsg_len > len - at) {
        ThrowErrno(env, EBADMSG, "netlink");
      }
      at += NLMSG_ALIGN(msg->nlmsg_len);
      // Left over from an earlier request whose answer was not read to its end.
      if (msg->nlmsg_seq != head.nlmsg_seq) continue;
      if (msg->nlmsg_type == NLMSG_ERROR) {
        if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) ThrowErrno(env, EBADMSG, "netlink");
        auto* e = static_cast<struct nlmsgerr*>(NLMSG_DATA(msg));
        if (e->error != 0) ThrowErrno(env, -e->error, "netlink");
        if (!dump) goto done;
        continue;
      }
      if (msg->nlmsg_type == NLMSG_DONE) {
        // A dump that failed part way reports its error here.
        if (msg->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
          int status;
          std::memcpy(&status, NLMSG_DATA(msg), sizeof(status));
          if (status < 0) ThrowErrno(env, -status, "netlink");
        }
        goto done;
      }
      const uint8_t* start = reinterpret_cast<const uint8_t*>(msg);
      replies.emplace_back(start, start + msg->nlmsg_len);
    }
  }
done:
  Napi::Array out = Napi::Array::New(env, replies.size());
  for (size_t i = 0; i < replies.size(); i++) {
    out.Set(static_cast<uint32_t>(i), Napi::Buffer<uint8_t>::Copy(env, replies[i].data(), replies[i].size()));
  }
  return out;
}

}  // namespace berth
