// escapeJsonString(src, start, end, dst, at[, kernel]) -> the end of what it wrote in dst, -1 when
// src[start, end) is not valid UTF-8 (the caller stores it as base64), -2 when dst lacks room (the caller
// reserves 6 bytes a byte plus 2 first). `kernel` caps the code that escapes (for the tests; see below).
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "json_escape.h"
#include "simdjson.h"

namespace zpa {

namespace {

// Per byte: 0 copied as it is, 1 escaped as a backslash and itself (`"` and `\\`), 2 any other escape
// (the control bytes below 0x20: \b \t \n \f \r or \u00xx), which takes the slow path.
struct EscapeTable {
  uint8_t kind[256];
  constexpr EscapeTable() : kind() {
    for (int c = 0; c < 0x20; c++) kind[c] = 2;
    kind[static_cast<uint8_t>('"')] = 1;
    kind[static_cast<uint8_t>('\\')] = 1;
  }
};
constexpr EscapeTable kEscape;
const char kHex[] = "0123456789abcdef";

uint8_t* EscapeControl(uint8_t c, uint8_t* o) {
  *o++ = '\\';
  switch (c) {
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
  return o;
}

// One byte, without a branch for the common cases: a backslash is written first and then overwritten by
// the byte itself unless the byte is escaped. Why: LSS records are JSON, so a quote comes every 8-10 bytes
// of the line; the earlier loop (memcpy of the run before each escape) mispredicted at every run's end and
// ran at about 0.9 GB/s on User Activity records.
inline uint8_t* EscapeByte(uint8_t c, uint8_t* o) {
  const uint8_t k = kEscape.kind[c];
  if (k > 1) return EscapeControl(c, o);
  o[0] = '\\';
  o[k] = c;
  return o + 1 + k;
}

// Escapes n bytes of s into o (room for 6 bytes a byte), returning the end. With SSE2, 16 bytes at a time
// are first tested for any byte to escape: runs without one (long values, base64 cookies) are stored whole,
// the rest go through EscapeByte. Measured on User Activity records (the native call included): 1.45-1.55 us
// a record against 2.2-2.7 for the first version (memcpy of each run). Storing up to each escape and
// rescanning after it was no faster: every step then waits for the one before (about 15 cycles a quote).
uint8_t* EscapeInto128(const uint8_t* s, size_t n, uint8_t* o) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i ctrlMax = _mm_set1_epi8(0x1f);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // A byte below 0x20: min(v, 0x1f) == v compares unsigned; or a quote, or a backslash.
    const __m128i ctrl = _mm_cmpeq_epi8(_mm_min_epu8(v, ctrlMax), v);
    const __m128i hit = _mm_or_si128(ctrl, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (_mm_movemask_epi8(hit) == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      o += 16;
      continue;
    }
    for (size_t j = i; j < i + 16; j++) o = EscapeByte(s[j], o);
  }
#endif
  for (; i < n; i++) o = EscapeByte(s[i], o);
  return o;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ZPA_ESCAPE_AVX512 1
// 64 bytes at a time with AVX-512 VBMI2, where the CPU has it (checked at run time: the addon is built for
// x86-64-v2). Each half of 32 bytes becomes 32 to 64 output bytes in one expand: the output mask has a 1
// for every input byte and a 0 before each quote or backslash, and the expand fills the 0s from a vector of
// backslashes. That mask is built with PDEP/PEXT (fast on Zen 3 and later, and on Intel since Haswell): each
// input byte takes two bit slots, a backslash slot (kept only when the byte is escaped) and its own slot,
// and PEXT squeezes out the slots not kept. A chunk with a control byte goes through EscapeByte. Measured on
// User Activity records (2.25 KB), the native call included: 0.31-0.39 us a record against 2.0-2.4 for the
// first version and about 1.5 for EscapeInto128.
__attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")))
uint8_t* EscapeInto512(const uint8_t* s, size_t n, uint8_t* o) {
  const __m512i quote = _mm512_set1_epi8('"');
  const __m512i backslash = _mm512_set1_epi8('\\');
  const __m512i space = _mm512_set1_epi8(0x20);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i v = _mm512_loadu_si512(s + i);
    const uint64_t ctrl = _mm512_cmplt_epu8_mask(v, space);
    const uint64_t esc = _mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmpeq_epi8_mask(v, backslash);
    if (ctrl != 0) {
      for (size_t j = i; j < i + 64; j++) o = EscapeByte(s[j], o);
      continue;
    }
    if (esc == 0) {
      _mm512_storeu_si512(o, v);
      o += 64;
      continue;
    }
    for (int half = 0; half < 2; half++) {
      const uint32_t e = static_cast<uint32_t>(esc >> (32 * half));
      const __m512i src = half == 0 ? v : _mm512_maskz_loadu_epi8(0xffffffffULL, s + i + 32);
      // Slot 2k is byte k's backslash (kept when escaped), slot 2k+1 the byte itself (always kept).
      const uint64_t keep = _pdep_u64(e, 0x5555555555555555ULL) | 0xAAAAAAAAAAAAAAAAULL;
      const uint64_t bytes = _pext_u64(0xAAAAAAAAAAAAAAAAULL, keep);
      _mm512_storeu_si512(o, _mm512_mask_expand_epi8(backslash, bytes, src));
      o += 32 + _mm_popcnt_u32(e);
    }
  }
  for (; i < n; i++) o = EscapeByte(s[i], o);
  return o;
}

bool HasAvx512Escape() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2");
}
#endif

// The kernels this CPU runs: 2 with AVX-512 VBMI2, else 1 (SSE2 or the plain loop).
int BestKernel() {
#ifdef ZPA_ESCAPE_AVX512
  static const bool avx512 = HasAvx512Escape();
  if (avx512) return 2;
#endif
  return 1;
}

uint8_t* EscapeInto(const uint8_t* s, size_t n, uint8_t* o, int kernel) {
#ifdef ZPA_ESCAPE_AVX512
  if (kernel >= 2) return EscapeInto512(s, n, o);
#endif
  if (kernel >= 1) return EscapeInto128(s, n, o);
  for (size_t i = 0; i < n; i++) o = EscapeByte(s[i], o);
  return o;
}

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
  // An optional 6th argument caps the kernel (0 the plain loop, 1 SSE2, 2 AVX-512), so the tests hold
  // every kernel this CPU has to the same bytes.
  const int cap = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().Int32Value() : 2;
  o = EscapeInto(s, n, o, cap < BestKernel() ? cap : BestKernel());
  *o++ = '"';
  return Napi::Number::New(env, static_cast<double>(o - dst.Data()));
}

}  // namespace zpa
