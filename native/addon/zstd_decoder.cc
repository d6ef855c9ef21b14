#include "zstd_decoder.h"

#include <errno.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "errors.h"

namespace berth {

namespace {

// The library's default limit (128 MiB), made explicit: a frame asking for a larger window is
// refused (ZSTD_error_frameParameter_windowTooLarge) instead of allocating it. The zstd CLI and
// Node's own zstd decoder refuse the same frames.
constexpr int kWindowLogMax = 27;

// What one call may return. A zstd "bomb" (a few KiB that expand to gigabytes) cannot make one
// call allocate more: when the cap is reached the call stops, with the rest of the input
// unread or, already read, held in the stream's window (bounded above), and says `more`; the
// caller takes the next megabyte on its next call, and yields to the event loop between such
// calls (src/image/zstd.ts): no call runs longer than decompressing 1 MiB takes (about a
// millisecond), whatever one input chunk expands to.
constexpr size_t kMaxOutputPerCall = 1 << 20;

struct DStreamDeleter {
  void operator()(ZSTD_DStream* stream) const { ZSTD_freeDStream(stream); }
};

const char* ZstdErrorName(ZSTD_ErrorCode code) {
  switch (code) {
    case ZSTD_error_prefix_unknown: return "ZSTD_error_prefix_unknown";
    case ZSTD_error_version_unsupported: return "ZSTD_error_version_unsupported";
    case ZSTD_error_frameParameter_unsupported: return "ZSTD_error_frameParameter_unsupported";
    case ZSTD_error_frameParameter_windowTooLarge: return "ZSTD_error_frameParameter_windowTooLarge";
    case ZSTD_error_corruption_detected: return "ZSTD_error_corruption_detected";
    case ZSTD_error_checksum_wrong: return "ZSTD_error_checksum_wrong";
    case ZSTD_error_literals_headerWrong: return "ZSTD_error_literals_headerWrong";
    case ZSTD_error_dictionary_wrong: return "ZSTD_error_dictionary_wrong";
    case ZSTD_error_srcSize_wrong: return "ZSTD_error_srcSize_wrong";
    case ZSTD_error_dstSize_tooSmall: return "ZSTD_error_dstSize_tooSmall";
    case ZSTD_error_noForwardProgress_destFull: return "ZSTD_error_noForwardProgress_destFull";
    case ZSTD_error_noForwardProgress_inputEmpty: return "ZSTD_error_noForwardProgress_inputEmpty";
    default: return nullptr;
  }
}

[[noreturn]] void ThrowZstd(Napi::Env env, size_t result, const char* call) {
  ZSTD_ErrorCode code = ZSTD_getErrorCode(result);
  // Out of memory has an errno; every other zstd error is the library's own.
  if (code == ZSTD_error_memory_allocation) ThrowErrno(env, ENOMEM, call);
  const char* name = ZstdErrorName(code);
  std::string codeStr = name != nullptr ? name : "ZSTD_error_" + std::to_string(code);
  throw LibraryError(env, codeStr, ZSTD_getErrorName(result), call);
}

class ZstdDecoder : public Napi::ObjectWrap<ZstdDecoder> {
 public:
  explicit ZstdDecoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ZstdDecoder>(info) {
    ExpectArgs(info, "ZstdDecoder", 0);
    stream_.reset(ZSTD_createDStream());
    if (!stream_) ThrowErrno(info.Env(), ENOMEM, "ZSTD_createDStream");
    size_t rc = ZSTD_DCtx_setParameter(stream_.get(), ZSTD_d_windowLogMax, kWindowLogMax);
    if (ZSTD_isError(rc)) ThrowZstd(info.Env(), rc, "ZSTD_DCtx_setParameter");
    scratch_.resize(ZSTD_DStreamOutSize());
  }

  // The finalizer (the object was collected without close()) frees the stream through
  // stream_'s deleter; nothing here touches JavaScript.

  Napi::Value Decompress(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ExpectArgs(info, "decompress", 1);
    Napi::Buffer<uint8_t> input = ArgBuffer(info, "decompress", 0, "input");
    // Like a read(2) on a closed fd.
    if (!stream_) ThrowErrno(env, EBADF, "ZSTD_decompressStream");

    ZSTD_inBuffer in = {input.Data(), input.Length(), 0};
    Napi::Array output = Napi::Array::New(env);
    size_t total = 0;
    bool more = false;
    for (;;) {
      ZSTD_outBuffer out = {scratch_.data(), scratch_.size(), 0};
      size_t read_before = in.pos;
      size_t rc = ZSTD_decompressStream(stream_.get(), &out, &in);
      if (ZSTD_isError(rc)) ThrowZstd(env, rc, "ZSTD_decompressStream");
      if (out.pos > 0) {
        output.Set(output.Length(), Napi::Buffer<uint8_t>::Copy(env, scratch_.data(), out.pos));
        total += out.pos;
      }
      // 0: a frame is complete and flushed. A call that did nothing (no input left at a
      // frame boundary) returns a hint instead, which says nothing about where the data stands.
      if (rc == 0) {
        frame_end_ = true;
      } else if (in.pos > read_before || out.pos > 0) {
        frame_end_ = false;
      }
      // Space left in out means the stream holds nothing back for the input read so far.
      if (in.pos == in.size && out.pos < out.size) break;
      if (total >= kMaxOutputPerCall) {
        more = true;
        break;
      }
    }

    Napi::Object result = Napi::Object::New(env);
    result.Set("read", static_cast<double>(in.pos));
    result.Set("output", output);
    result.Set("more", more);
    result.Set("frameEnd", frame_end_);
    return result;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    ExpectArgs(info, "close", 0);
    stream_.reset();
    scratch_ = std::vector<uint8_t>();
    return info.Env().Undefined();
  }

 private:
  std::unique_ptr<ZSTD_DStream, DStreamDeleter> stream_;
  std::vector<uint8_t> scratch_;
  // Nothing read yet counts as a boundary: input may end before the first frame as well as after any.
  bool frame_end_ = true;
};

}  // namespace

Napi::Function DefineZstdDecoder(Napi::Env env) {
  return ZstdDecoder::DefineClass(env, "ZstdDecoder",
                                  {
                                      ZstdDecoder::InstanceMethod<&ZstdDecoder::Decompress>("decompress"),
                                      ZstdDecoder::InstanceMethod<&ZstdDecoder::Close>("close"),
                                  });
}

}  // namespace berth
