#include "fs_ops.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cstdint>
#include <string>
#include <vector>

#include "args.h"
#include "errors.h"

namespace berth {

namespace {

// The kernel ignores source, fstype or data for some mount operations (remount,
// propagation changes); TypeScript passes '' there and the kernel is given NULL.
const char* NullIfEmpty(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// Extended attribute values and lists can change size between the sizing call and the
// reading call (another process writing); ERANGE means "ask again".
template <typename Call>
ssize_t ReadSized(Call call, std::vector<char>& buf) {
  for (;;) {
    ssize_t size = call(nullptr, 0);
    if (size < 0) return size;
    buf.resize(static_cast<size_t>(size));
    if (size == 0) return 0;
    ssize_t got = call(buf.data(), buf.size());
    if (got >= 0) {
      buf.resize(static_cast<size_t>(got));
      return got;
    }
    if (errno != ERANGE) return got;
  }
}

}  // namespace

Napi::Value Mknod(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "mknod", 4);
  std::string path = ArgString(info, "mknod", 0, "path");
  auto mode = static_cast<mode_t>(ArgInteger(info, "mknod", 1, "mode", 0, UINT32_MAX));
  auto major = static_cast<unsigned int>(ArgInteger(info, "mknod", 2, "major", 0, UINT32_MAX));
  auto minor = static_cast<unsigned int>(ArgInteger(info, "mknod", 3, "minor", 0, UINT32_MAX));
  if (mknod(path.c_str(), mode, makedev(major, minor)) != 0) {
    ThrowErrno(info.Env(), errno, "mknod", path);
  }
  return info.Env().Undefined();
}

Napi::Value Lsetxattr(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "lsetxattr", 3);
  std::string path = ArgString(info, "lsetxattr", 0, "path");
  std::string name = ArgString(info, "lsetxattr", 1, "name");
  Napi::Buffer<uint8_t> value = ArgBuffer(info, "lsetxattr", 2, "value");
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) != 0) {
    ThrowErrno(info.Env(), errno, "lsetxattr", path);
  }
  return info.Env().Undefined();
}

Napi::Value Lgetxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "lgetxattr", 2);
  std::string path = ArgString(info, "lgetxattr", 0, "path");
  std::string name = ArgString(info, "lgetxattr", 1, "name");
  std::vector<char> buf;
  ssize_t n = ReadSized(
      [&](char* data, size_t size) { return lgetxattr(path.c_str(), name.c_str(), data, size); },
      buf);
  if (n < 0) {
    if (errno == ENODATA) return env.Undefined();
    ThrowErrno(env, errno, "lgetxattr", path);
  }
  return Napi::Buffer<char>::Copy(env, buf.data(), buf.size());
}

Napi::Value Llistxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "llistxattr", 1);
  std::string path = ArgString(info, "llistxattr", 0, "path");
  std::vector<char> buf;
  ssize_t n = ReadSized(
      [&](char* data, size_t size) { return llistxattr(path.c_str(), data, size); }, buf);
  if (n < 0) ThrowErrno(env, errno, "llistxattr", path);

  // The kernel returns the names as consecutive NUL-terminated strings.
  Napi::Array names = Napi::Array::New(env);
  uint32_t count = 0;
  for (size_t start = 0; start < buf.size();) {
    size_t end = start;
    while (end < buf.size() && buf[end] != '\0') end++;
    if (end > start) names.Set(count++, Napi::String::New(env, buf.data() + start, end - start));
    start = end + 1;
  }
  return names;
}

Napi::Value Mount(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "mount", 5);
  std::string source = ArgString(info, "mount", 0, "source");
  std::string target = ArgString(info, "mount", 1, "target");
  std::string fstype = ArgString(info, "mount", 2, "fstype");
  auto flags = static_cast<unsigned long>(ArgInteger(info, "mount", 3, "flags", 0, UINT32_MAX));
  std::string data = ArgString(info, "mount", 4, "data");
  if (mount(NullIfEmpty(source), target.c_str(), NullIfEmpty(fstype), flags,
            NullIfEmpty(data)) != 0) {
    ThrowErrno(info.Env(), errno, "mount", target);
  }
  return info.Env().Undefined();
}

Napi::Value Umount2(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "umount2", 2);
  std::string target = ArgString(info, "umount2", 0, "target");
  auto flags = static_cast<int>(ArgInteger(info, "umount2", 1, "flags", 0, INT32_MAX));
  if (umount2(target.c_str(), flags) != 0) {
    ThrowErrno(info.Env(), errno, "umount2", target);
  }
  return info.Env().Undefined();
}

}  // namespace berth
