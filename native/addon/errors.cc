#include "errors.h"

#include <string.h>

#include "args.h"

namespace berth {

namespace {

struct ErrorClassSlot {
  Napi::FunctionReference cls;
};

ErrorClassSlot* Slot(Napi::Env env) { return env.GetInstanceData<ErrorClassSlot>(); }

// An instance of the injected class, or a plain Error before one is injected.
Napi::Object NewErrorObject(Napi::Env env, const std::string& message) {
  ErrorClassSlot* slot = Slot(env);
  if (slot != nullptr && !slot->cls.IsEmpty()) return slot->cls.New({Napi::String::New(env, message)});
  return Napi::Error::New(env, message).Value();
}

}  // namespace

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExpectArgs(info, "setErrorClass", 1);
  if (!info[0].IsFunction()) {
    throw Napi::TypeError::New(env, "setErrorClass: cls must be a class");
  }
  ErrorClassSlot* slot = Slot(env);
  if (slot == nullptr) {
    slot = new ErrorClassSlot();
    env.SetInstanceData(slot);  // freed by node-addon-api's default finalizer at env teardown
  }
  slot->cls = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Error ErrnoError(Napi::Env env, int errnum, const char* syscall, const std::string& path,
                       const char* code) {
  if (code == nullptr) code = strerrorname_np(errnum);
  // An errno glibc has no name for still needs a code TypeScript can switch on.
  std::string codeStr = code != nullptr ? code : "E" + std::to_string(errnum);

  // Same shape as Node's own fs errors: "ENOENT: no such file or directory, open '/x'".
  std::string message = codeStr + ": " + strerror(errnum) + ", " + syscall;
  if (!path.empty()) message += " '" + path + "'";

  Napi::Object obj = NewErrorObject(env, message);
  obj.Set("code", codeStr);
  obj.Set("errno", errnum);
  obj.Set("syscall", syscall);
  if (!path.empty()) obj.Set("path", path);
  return Napi::Error(env, obj);
}

Napi::Error LibraryError(Napi::Env env, const std::string& code, const std::string& description,
                         const char* call) {
  Napi::Object obj = NewErrorObject(env, code + ": " + description + ", " + call);
  obj.Set("code", code);
  obj.Set("errno", 0);
  obj.Set("syscall", call);
  return Napi::Error(env, obj);
}

void ThrowErrno(Napi::Env env, int errnum, const char* syscall, const std::string& path) {
  throw ErrnoError(env, errnum, syscall, path);
}

}  // namespace berth
