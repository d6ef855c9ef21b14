#include "remove_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "args.h"
#include "errors.h"

namespace berth {

namespace {

struct Failure {
  int errnum = 0;
  const char* syscall = "";
  std::string path;
};

bool Fail(Failure* f, const char* syscall, const std::string& path) {
  f->errnum = errno;
  f->syscall = syscall;
  f->path = path;
  return false;
}

// Empties the directory open as dirfd (at `path`, on device `dev`), then the caller removes it.
bool EmptyDir(int dirfd, dev_t dev, const std::string& path, Failure* f) {
  DIR* dir = fdopendir(dirfd);
  if (!dir) {
    close(dirfd);
    return Fail(f, "fdopendir", path);
  }
  bool ok = true;
  for (;;) {
    errno = 0;
    struct dirent* ent = readdir(dir);
    if (!ent) {
      if (errno != 0) ok = Fail(f, "readdir", path);
      break;
    }
    const char* name = ent->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    std::string child = path + "/" + name;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      ok = Fail(f, "fstatat", child);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        errno = EXDEV;  // a mount point: never delete another filesystem's files through it
        ok = Fail(f, "rmdir", child);
        break;
      }
      int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        ok = Fail(f, "openat", child);
        break;
      }
      if (!EmptyDir(sub, dev, child, f)) {
        ok = false;
        break;
      }
      if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        ok = Fail(f, "rmdir", child);
        break;
      }
    } else if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
      ok = Fail(f, "unlink", child);
      break;
    }
  }
  closedir(dir);  // closes dirfd too
  return ok;
}

class RemoveTreeWorker : public Napi::AsyncWorker {
 public:
  RemoveTreeWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "berth:removeTree"), path_(std::move(path)), deferred_(env) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    struct stat st;
    if (lstat(path_.c_str(), &st) != 0) {
      if (errno == ENOENT) return;  // already gone: the goal is reached
      Fail(&failure_, "lstat", path_);
      return SetError("removeTree");
    }
    if (!S_ISDIR(st.st_mode)) {
      if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
        Fail(&failure_, "unlink", path_);
        SetError("removeTree");
      }
      return;
    }
    int fd = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      Fail(&failure_, "open", path_);
      return SetError("removeTree");
    }
    if (!EmptyDir(fd, st.st_dev, path_, &failure_)) return SetError("removeTree");
    if (rmdir(path_.c_str()) != 0 && errno != ENOENT) {
      Fail(&failure_, "rmdir", path_);
      SetError("removeTree");
    }
  }

  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

  void OnError(const Napi::Error&) override {
    deferred_.Reject(ErrnoError(Env(), failure_.errnum, failure_.syscall, failure_.path).Value());
  }

 private:
  std::string path_;
  Failure failure_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value RemoveTree(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "removeTree", 1);
  std::string path = ArgString(info, "removeTree", 0, "path");
  auto* worker = new RemoveTreeWorker(info.Env(), std::move(path));  // deletes itself when done
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace berth
