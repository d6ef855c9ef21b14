#include "lock.h"

#include <errno.h>
#include <sys/file.h>

#include "args.h"
#include "errors.h"

namespace berth {

namespace {

class FlockWorker : public Napi::AsyncWorker {
 public:
  FlockWorker(Napi::Env env, int fd, int op)
      : Napi::AsyncWorker(env, "berth:flock"), fd_(fd), op_(op), deferred_(env) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    int rc;
    do {
      rc = flock(fd_, op_);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      errnum_ = errno;
      SetError("flock");  // routes completion to OnError; the message is rebuilt there
    }
  }

  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

  void OnError(const Napi::Error&) override {
    // flock(2) documents a held lock under LOCK_NB as EWOULDBLOCK; on Linux that is the
    // number of EAGAIN, whose name glibc would report instead.
    const char* code = errnum_ == EWOULDBLOCK ? "EWOULDBLOCK" : nullptr;
    deferred_.Reject(ErrnoError(Env(), errnum_, "flock", std::string(), code).Value());
  }

 private:
  int fd_;
  int op_;
  int errnum_ = 0;
  Napi::Promise::Deferred deferred_;
};

constexpr int kValidOps = LOCK_SH | LOCK_EX | LOCK_UN | LOCK_NB;

}  // namespace

Napi::Value Flock(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "flock", 2);
  auto fd = static_cast<int>(ArgInteger(info, "flock", 0, "fd", 0, INT32_MAX));
  // Every value up to the union of the LOCK_* bits is a combination of them.
  auto op = static_cast<int>(ArgInteger(info, "flock", 1, "op", 0, kValidOps));
  auto* worker = new FlockWorker(info.Env(), fd, op);  // deletes itself after OnOK/OnError
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value TryFlock(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "tryFlock", 2);
  auto fd = static_cast<int>(ArgInteger(info, "tryFlock", 0, "fd", 0, INT32_MAX));
  auto op = static_cast<int>(ArgInteger(info, "tryFlock", 1, "op", 0, kValidOps));
  int rc;
  do {
    rc = flock(fd, op | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(info.Env(), false);
  ThrowErrno(info.Env(), errno, "flock");
}

}  // namespace berth
