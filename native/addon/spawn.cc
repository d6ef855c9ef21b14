#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "args.h"
#include "errors.h"

extern char** environ;

namespace berth {

namespace {

// Spawns, then reads the program's fd 3 until it closes it, and reaps the spawned process
// (which detaches by forking, so it exits at once). Both wait, so all of it runs on the pool.
class SpawnWorker : public Napi::AsyncWorker {
 public:
  SpawnWorker(Napi::Env env, std::vector<std::string> argv)
      : Napi::AsyncWorker(env, "berth:spawnDetached"), argv_(std::move(argv)), deferred_(env) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return Fail("pipe2");
    pid_t pid = -1;
    int rc = Spawn(p[1], &pid);
    close(p[1]);
    if (rc != 0) {
      close(p[0]);
      errno = rc;
      return Fail("posix_spawn");
    }
    char buf[4096];
    for (;;) {
      ssize_t n = read(p[0], buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      report_.append(buf, static_cast<size_t>(n));
    }
    close(p[0]);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

  void OnOK() override { deferred_.Resolve(Napi::String::New(Env(), report_)); }

  void OnError(const Napi::Error&) override {
    deferred_.Reject(ErrnoError(Env(), errnum_, syscall_, argv_[0]).Value());
  }

 private:
  void Fail(const char* syscall) {
    errnum_ = errno;
    syscall_ = syscall;
    SetError(syscall);  // routes completion to OnError, which builds the errno error
  }

  // stdio on /dev/null, the report pipe as fd 3, default signal dispositions and an empty
  // mask (pool threads block signals, and the child would inherit that), a new session.
  int Spawn(int report_fd, pid_t* pid) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_adddup2(&fa, report_fd, 3);
    for (int fd = 0; fd < 3; fd++) posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_RDWR, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    std::vector<char*> argv;
    for (auto& a : argv_) argv.push_back(a.data());
    argv.push_back(nullptr);
    rc = posix_spawn(pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
  }

  std::vector<std::string> argv_;
  std::string report_;
  int errnum_ = 0;
  const char* syscall_ = "";
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value SpawnDetached(const Napi::CallbackInfo& info) {
  ExpectArgs(info, "spawnDetached", 1);
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "spawnDetached: argv must be an array of strings");
  auto arr = info[0].As<Napi::Array>();
  if (arr.Length() == 0) throw Napi::TypeError::New(info.Env(), "spawnDetached: argv must not be empty");
  std::vector<std::string> argv;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(info.Env(), "spawnDetached: argv must be an array of strings");
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), "spawnDetached: argv must not contain NUL bytes");
    argv.push_back(std::move(s));
  }
  auto* worker = new SpawnWorker(info.Env(), std::move(argv));  // deletes itself when done
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace berth
