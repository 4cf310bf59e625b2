// Raw-deflate runs with Intel ISA-L's igzip, for the workers' gzip bodies (workers/precompress.ts is the
// only caller; src/sink/isal-gzip.ts loads it):
//   deflateRuns(src, runEnds, level, dst, outEnds, crcs) -> bytes written to dst, or -1 when dst is too small
//   info() -> { isal: the version of the ISA-L headers it was built with }
// Each run src[runEnds[k-1], runEnds[k]) is compressed on its own (a fresh history, so any run may start a
// body) and ended by a sync flush: byte-aligned, no final block, exactly the form zlib's deflateRaw with
// Z_SYNC_FLUSH gives, so runs from either library concatenate into one deflate stream
// (src/sink/gzip-body.ts). outEnds[k] is the end of run k's output in dst, crcs[k] the CRC-32 of run k's
// input: the body's gzip trailer is chained from them on the main thread, which then never reads the raw
// bytes (zlib.crc32 there ran at about 2.1 GB/s: 14% of the main thread's time at full speed).
//
// Why ISA-L: on LSS JSON lines, one core of this project's machine, 1 MiB runs: igzip level 1 compresses
// about 870 MB/s at a ratio of 5.45, zlib level 1 about 200-240 MB/s at 5.72 (libdeflate level 1: about
// 395 MB/s at 5.85). gzip is the default body format and its compression the largest cost per byte.
#include <napi.h>

#include <isa-l.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

// One stream and one level buffer per thread (per N-API environment: each worker has its own), reused for
// every run: igzip's level buffer holds its hash tables and token buffer (about 400 KB at level 3).
struct Deflater {
  isal_zstream stream;
  std::vector<uint8_t> levelBuf;
  Deflater() { isal_deflate_init(&stream); }
};

uint32_t levelBufSize(int level) {
  switch (level) {
    case 0: return ISAL_DEF_LVL0_DEFAULT;
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    default: return ISAL_DEF_LVL3_DEFAULT;
  }
}

Napi::Value DeflateRuns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
      !info[3].IsTypedArray() || !info[4].IsTypedArray() || !info[5].IsTypedArray()) {
    Napi::TypeError::New(env, "deflateRuns(src: Uint8Array, runEnds: Uint32Array, level: number, dst: Uint8Array, outEnds: Uint32Array, crcs: Uint32Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array src = info[0].As<Napi::Uint8Array>();
  Napi::Uint32Array runEnds = info[1].As<Napi::Uint32Array>();
  const int level = info[2].As<Napi::Number>().Int32Value();
  Napi::Uint8Array dst = info[3].As<Napi::Uint8Array>();
  Napi::Uint32Array outEnds = info[4].As<Napi::Uint32Array>();
  Napi::Uint32Array crcs = info[5].As<Napi::Uint32Array>();
  if (level < 0 || level > ISAL_DEF_MAX_LEVEL) {
    Napi::RangeError::New(env, "igzip level must be 0-3").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (outEnds.ElementLength() < runEnds.ElementLength() || crcs.ElementLength() < runEnds.ElementLength()) {
    Napi::RangeError::New(env, "outEnds and crcs must hold one value per run").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Deflater* d = env.GetInstanceData<Deflater>();
  if (d == nullptr) {
    d = new Deflater();
    env.SetInstanceData(d);
  }
  const uint32_t bufSize = levelBufSize(level);
  if (d->levelBuf.size() < bufSize) d->levelBuf.resize(bufSize);

  const size_t srcLen = src.ElementLength();
  const size_t dstLen = dst.ElementLength();
  uint8_t* in = src.Data();
  uint8_t* out = dst.Data();
  size_t from = 0;
  size_t written = 0;
  for (size_t k = 0; k < runEnds.ElementLength(); k++) {
    const size_t to = runEnds[k];
    if (to < from || to > srcLen) {
      Napi::RangeError::New(env, "runEnds must be ascending and within src").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    isal_zstream& s = d->stream;
    isal_deflate_reset(&s);  // a fresh history: the run must decode without the ones before it
    s.level = static_cast<uint32_t>(level);
    s.level_buf = d->levelBuf.data();
    s.level_buf_size = bufSize;
    s.gzip_flag = IGZIP_DEFLATE;
    s.flush = SYNC_FLUSH;
    s.end_of_stream = 0;
    s.next_in = in + from;
    s.avail_in = static_cast<uint32_t>(to - from);
    s.next_out = out + written;
    s.avail_out = static_cast<uint32_t>(dstLen - written);
    const int rc = isal_deflate(&s);
    if (rc != COMP_OK) {
      Napi::Error::New(env, "isal_deflate failed with code " + std::to_string(rc)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // All input taken and the flush written out (the state is back to a new block) or dst ran out.
    if (s.avail_in != 0 || s.internal_state.state != ZSTATE_NEW_HDR) return Napi::Number::New(env, -1);
    written += s.total_out;
    outEnds[k] = static_cast<uint32_t>(written);
    crcs[k] = crc32_gzip_refl(0, in + from, to - from);
    from = to;
  }
  return Napi::Number::New(env, static_cast<double>(written));
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isal", Napi::String::New(info.Env(), std::to_string(ISAL_MAJOR_VERSION) + "." + std::to_string(ISAL_MINOR_VERSION) + "." +
                                                   std::to_string(ISAL_PATCH_VERSION)));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("deflateRuns", Napi::Function::New(env, DeflateRuns));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(zpa_igzip, Init)
