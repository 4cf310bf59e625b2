// escapeJsonString(src, start, end, dst, at) -> the end of what it wrote in dst, -1 when src[start, end) is
// not valid UTF-8 (the caller stores it as base64), -2 when dst lacks room (the caller reserves 6 bytes a
// byte plus 2 first).
//
// Writes src[start, end) as a JSON string, quotes included, at dst[at]: byte for byte what JSON.stringify
// gives for the UTF-8 text (`"` and `\` escaped, \b \t \n \f \r in their short forms, other bytes below
// 0x20 as \u00xx in lower case, everything else, UTF-8 sequences included, as it is). Why native: with real
// User Activity traffic 90% of the records are refused, and the dead-letter line of each (src/durability/
// dead-letter-entry.ts) needs its 2 KB of JSON escaped; JSON.stringify on a latin1 view cost about 3 us a
// record in the workers, most of a refused record's cost, and left two strings of garbage each.
#include <napi.h>

#include <cstdint>
#include <cstring>

#include "json_escape.h"
#include "simdjson.h"

namespace zpa {

namespace {

// 1 for bytes JSON.stringify escapes.
struct EscapeTable {
  uint8_t needs[256];
  constexpr EscapeTable() : needs() {
    for (int c = 0; c < 0x20; c++) needs[c] = 1;
    needs[static_cast<uint8_t>('"')] = 1;
    needs[static_cast<uint8_t>('\\')] = 1;
  }
};
constexpr EscapeTable kEscape;
const char kHex[] = "0123456789abcdef";

}  // namespace

Napi::Value EscapeJsonString(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsTypedArray() || !info[3].IsTypedArray()) {
    Napi::TypeError::New(env, "escapeJsonString(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array src = info[0].As<Napi::Uint8Array>();
  const uint32_t start = info[1].As<Napi::Number>().Uint32Value();
  const uint32_t end = info[2].As<Napi::Number>().Uint32Value();
  Napi::Uint8Array dst = info[3].As<Napi::Uint8Array>();
  const uint32_t at = info[4].As<Napi::Number>().Uint32Value();
  if (end < start || end > src.ByteLength() || at > dst.ByteLength()) {
    Napi::RangeError::New(env, "escapeJsonString: range outside its buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* s = src.Data() + start;
  const size_t n = end - start;
  if (!simdjson::validate_utf8(reinterpret_cast<const char*>(s), n)) return Napi::Number::New(env, -1);
  if (static_cast<uint64_t>(dst.ByteLength() - at) < static_cast<uint64_t>(n) * 6 + 2) return Napi::Number::New(env, -2);
  uint8_t* o = dst.Data() + at;
  *o++ = '"';
  size_t i = 0;
  while (i < n) {
    // Copy the run of bytes that need no escape in one go.
    size_t j = i;
    while (j < n && !kEscape.needs[s[j]]) j++;
    std::memcpy(o, s + i, j - i);
    o += j - i;
    if (j == n) break;
    const uint8_t c = s[j];
    *o++ = '\\';
    switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '\b': *o++ = 'b'; break;
      case '\t': *o++ = 't'; break;
      case '\n': *o++ = 'n'; break;
      case '\f': *o++ = 'f'; break;
      case '\r': *o++ = 'r'; break;
      default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = kHex[c >> 4];
        *o++ = kHex[c & 15];
    }
    i = j + 1;
  }
  *o++ = '"';
  return Napi::Number::New(env, static_cast<double>(o - dst.Data()));
}

}  // namespace zpa
