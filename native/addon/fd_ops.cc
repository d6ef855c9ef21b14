#include "fd_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "args.h"
#include "errors.h"

namespace berth {

namespace {

// AT_FDCWD is negative; every other dirfd is a real fd.
int ArgDirfd(const Napi::CallbackInfo& info, const char* fn, size_t index) {
  return static_cast<int>(ArgInteger(info, fn, index, "dirfd", AT_FDCWD, INT32_MAX));
}

int ArgFd(const Napi::CallbackInfo& info, const char* fn, size_t index) {
  return static_cast<int>(ArgInteger(info, fn, index, "fd", 0, INT32_MAX));
}

// The magic link naming an fd: path calls that follow it reach exactly the fd's inode
// (an O_PATH fd of a symlink included), never anything a path could be swapped for.
std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace

Napi::Value Openat2(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "openat2", 5);
  int dirfd = ArgDirfd(info, "openat2", 0);
  std::string path = ArgString(info, "openat2", 1, "path");
  auto flags = static_cast<uint64_t>(ArgInteger(info, "openat2", 2, "flags", 0, UINT32_MAX));
  auto mode = static_cast<uint64_t>(ArgInteger(info, "openat2", 3, "mode", 0, 07777));
  auto resolve = static_cast<uint64_t>(ArgInteger(info, "openat2", 4, "resolve", 0, UINT32_MAX));
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  // The kernel refuses a mode without O_CREAT/O_TMPFILE.
  how.mode = (flags & (O_CREAT | __O_TMPFILE)) != 0 ? mode : 0;
  how.resolve = resolve;
  long fd;
  int tries = 0;
  do {
    fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
    // EAGAIN: a rename or mount raced with RESOLVE_IN_ROOT's checks; the kernel asks to retry.
    // Some lookups (a symlink with .. on a detached mount) fail so every time: callers fall back.
  } while (fd < 0 && errno == EAGAIN && ++tries < 8);
  if (fd < 0) ThrowErrno(info.Env(), errno, "openat2", path);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

Napi::Value Mkdirat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "mkdirat", 3);
  int dirfd = ArgDirfd(info, "mkdirat", 0);
  std::string path = ArgString(info, "mkdirat", 1, "path");
  auto mode = static_cast<mode_t>(ArgInteger(info, "mkdirat", 2, "mode", 0, 07777));
  if (mkdirat(dirfd, path.c_str(), mode) != 0) ThrowErrno(info.Env(), errno, "mkdirat", path);
  return info.Env().Undefined();
}

Napi::Value Symlinkat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "symlinkat", 3);
  std::string target = ArgString(info, "symlinkat", 0, "target");
  int dirfd = ArgDirfd(info, "symlinkat", 1);
  std::string path = ArgString(info, "symlinkat", 2, "path");
  if (symlinkat(target.c_str(), dirfd, path.c_str()) != 0) ThrowErrno(info.Env(), errno, "symlinkat", path);
  return info.Env().Undefined();
}

Napi::Value Mknodat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "mknodat", 5);
  int dirfd = ArgDirfd(info, "mknodat", 0);
  std::string path = ArgString(info, "mknodat", 1, "path");
  auto mode = static_cast<mode_t>(ArgInteger(info, "mknodat", 2, "mode", 0, UINT32_MAX));
  auto major = static_cast<unsigned int>(ArgInteger(info, "mknodat", 3, "major", 0, UINT32_MAX));
  auto minor = static_cast<unsigned int>(ArgInteger(info, "mknodat", 4, "minor", 0, UINT32_MAX));
  if (mknodat(dirfd, path.c_str(), mode, makedev(major, minor)) != 0) ThrowErrno(info.Env(), errno, "mknodat", path);
  return info.Env().Undefined();
}

Napi::Value Linkat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "linkat", 5);
  int olddirfd = ArgDirfd(info, "linkat", 0);
  std::string oldpath = ArgString(info, "linkat", 1, "oldpath");
  int newdirfd = ArgDirfd(info, "linkat", 2);
  std::string newpath = ArgString(info, "linkat", 3, "newpath");
  auto flags = static_cast<int>(ArgInteger(info, "linkat", 4, "flags", 0, INT32_MAX));
  if (linkat(olddirfd, oldpath.c_str(), newdirfd, newpath.c_str(), flags) != 0) ThrowErrno(info.Env(), errno, "linkat", newpath);
  return info.Env().Undefined();
}

Napi::Value Readlinkat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "readlinkat", 2);
  int dirfd = ArgDirfd(info, "readlinkat", 0);
  std::string path = ArgString(info, "readlinkat", 1, "path");
  std::vector<char> buf(256);
  for (;;) {
    ssize_t n = readlinkat(dirfd, path.c_str(), buf.data(), buf.size());
    if (n < 0) ThrowErrno(info.Env(), errno, "readlinkat", path);
    // A full buffer may mean a truncated target.
    if (static_cast<size_t>(n) < buf.size()) return Napi::String::New(info.Env(), buf.data(), static_cast<size_t>(n));
    buf.resize(buf.size() * 2);
  }
}

Napi::Value Fchownat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "fchownat", 5);
  int dirfd = ArgDirfd(info, "fchownat", 0);
  std::string path = ArgString(info, "fchownat", 1, "path");
  auto uid = static_cast<uid_t>(ArgInteger(info, "fchownat", 2, "uid", 0, UINT32_MAX));
  auto gid = static_cast<gid_t>(ArgInteger(info, "fchownat", 3, "gid", 0, UINT32_MAX));
  auto flags = static_cast<int>(ArgInteger(info, "fchownat", 4, "flags", 0, INT32_MAX));
  if (fchownat(dirfd, path.c_str(), uid, gid, flags) != 0) ThrowErrno(info.Env(), errno, "fchownat", path);
  return info.Env().Undefined();
}

// On an O_PATH fd fchmod fails; through the fd's magic link chmod reaches its inode.
Napi::Value Fchmodat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "fchmodat", 2);
  int fd = ArgFd(info, "fchmodat", 0);
  auto mode = static_cast<mode_t>(ArgInteger(info, "fchmodat", 1, "mode", 0, 07777));
  if (fchmodat(AT_FDCWD, FdPath(fd).c_str(), mode, 0) != 0) ThrowErrno(info.Env(), errno, "fchmodat", FdPath(fd));
  return info.Env().Undefined();
}

Napi::Value Utimensat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "utimensat", 5);
  int dirfd = ArgDirfd(info, "utimensat", 0);
  std::string path = ArgString(info, "utimensat", 1, "path");
  int64_t atime = ArgInteger(info, "utimensat", 2, "atime", INT32_MIN, INT64_MAX / 2);
  int64_t mtime = ArgInteger(info, "utimensat", 3, "mtime", INT32_MIN, INT64_MAX / 2);
  auto flags = static_cast<int>(ArgInteger(info, "utimensat", 4, "flags", 0, INT32_MAX));
  struct timespec times[2] = {{static_cast<time_t>(atime), 0}, {static_cast<time_t>(mtime), 0}};
  if (utimensat(dirfd, path.c_str(), times, flags) != 0) ThrowErrno(info.Env(), errno, "utimensat", path);
  return info.Env().Undefined();
}

Napi::Value Unlinkat(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "unlinkat", 3);
  int dirfd = ArgDirfd(info, "unlinkat", 0);
  std::string path = ArgString(info, "unlinkat", 1, "path");
  auto flags = static_cast<int>(ArgInteger(info, "unlinkat", 2, "flags", 0, INT32_MAX));
  if (unlinkat(dirfd, path.c_str(), flags) != 0) ThrowErrno(info.Env(), errno, "unlinkat", path);
  return info.Env().Undefined();
}

Napi::Value Fgetxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "fgetxattr", 2);
  int fd = ArgFd(info, "fgetxattr", 0);
  std::string name = ArgString(info, "fgetxattr", 1, "name");
  std::string path = FdPath(fd);
  for (;;) {
    ssize_t size = getxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENODATA || errno == ENOTSUP) return env.Undefined();
      ThrowErrno(env, errno, "getxattr", path);
    }
    std::vector<char> buf(static_cast<size_t>(size) + 1);
    ssize_t got = getxattr(path.c_str(), name.c_str(), buf.data(), buf.size());
    if (got >= 0) return Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(got));
    if (errno != ERANGE) ThrowErrno(env, errno, "getxattr", path);
  }
}

Napi::Value Fsopen(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "fsopen", 1);
  std::string fsname = ArgString(info, "fsopen", 0, "fsname");
  long fd = syscall(SYS_fsopen, fsname.c_str(), FSOPEN_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), errno, "fsopen", fsname);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

Napi::Value FsconfigString(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "fsconfigString", 3);
  int fd = ArgFd(info, "fsconfigString", 0);
  std::string key = ArgString(info, "fsconfigString", 1, "key");
  std::string value = ArgString(info, "fsconfigString", 2, "value");
  if (syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) != 0) {
    ThrowErrno(info.Env(), errno, "fsconfig", key + "=" + value);
  }
  return info.Env().Undefined();
}

Napi::Value FsconfigCreate(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "fsconfigCreate", 1);
  int fd = ArgFd(info, "fsconfigCreate", 0);
  if (syscall(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    ThrowErrno(info.Env(), errno, "fsconfig");
  }
  return info.Env().Undefined();
}

Napi::Value Fsmount(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "fsmount", 2);
  int fd = ArgFd(info, "fsmount", 0);
  auto attrs = static_cast<unsigned int>(ArgInteger(info, "fsmount", 1, "attrs", 0, UINT32_MAX));
  long mfd = syscall(SYS_fsmount, fd, FSMOUNT_CLOEXEC, attrs);
  if (mfd < 0) ThrowErrno(info.Env(), errno, "fsmount");
  return Napi::Number::New(info.Env(), static_cast<double>(mfd));
}

}  // namespace berth
