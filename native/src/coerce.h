// Panther's coercions of scalar values, ported from src/schema/coerce-*.ts. Numbers are judged on their
// literal text, which is the reference's exact-number semantics (json-exact.ts): the reference reads a
// literal exactly whenever it can change the outcome, so the text is always the right input.
#pragma once

#include <cmath>
#include <cstring>
#include <string_view>

#include "plan.h"
#include "time_parse.h"

namespace zpa {

inline bool isDigitChar(char c) { return c >= '0' && c <= '9'; }

// A JSON number literal per RFC 8259 (what JSON.parse accepts).
inline bool isJsonNumber(std::string_view t) {
  size_t i = 0;
  const size_t n = t.size();
  if (i < n && t[i] == '-') i++;
  if (i >= n) return false;
  if (t[i] == '0') {
    i++;
  } else if (t[i] >= '1' && t[i] <= '9') {
    while (i < n && isDigitChar(t[i])) i++;
  } else {
    return false;
  }
  if (i < n && t[i] == '.') {
    i++;
    const size_t s = i;
    while (i < n && isDigitChar(t[i])) i++;
    if (i == s) return false;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    i++;
    if (i < n && (t[i] == '+' || t[i] == '-')) i++;
    const size_t s = i;
    while (i < n && isDigitChar(t[i])) i++;
    if (i == s) return false;
  }
  return i == n;
}

// coerce-integer.ts classifyIntegerText.
inline uint8_t classifyIntegerText(std::string_view t, int bits, bool allowPlus) {
  static const std::string_view MAX16 = "32767", MIN16 = "32768", MAX32 = "2147483647", MIN32 = "2147483648",
                                MAX64 = "9223372036854775807", MIN64 = "9223372036854775808";
  size_t i = 0;
  const bool negative = !t.empty() && t[0] == '-';
  if (negative || (allowPlus && !t.empty() && t[0] == '+')) i = 1;
  if (i == t.size()) return WRONG_TYPE;
  for (size_t k = i; k < t.size(); k++)
    if (!isDigitChar(t[k])) return WRONG_TYPE;
  while (i < t.size() - 1 && t[i] == '0') i++;
  const size_t digits = t.size() - i;
  const std::string_view limit =
      bits == 16 ? (negative ? MIN16 : MAX16) : bits == 32 ? (negative ? MIN32 : MAX32) : (negative ? MIN64 : MAX64);
  if (digits < limit.size()) return OK;
  if (digits > limit.size()) return OUT_OF_RANGE;
  return std::memcmp(t.data() + i, limit.data(), digits) <= 0 ? OK : OUT_OF_RANGE;
}

// Number(text) is finite, for a text already known to be decimal. Without an exponent and under 300
// characters a decimal cannot reach 1.8e308, which spares strtod for the `45.000000` floats of every record.
inline bool decimalIsFinite(std::string_view t) {
  if (t.size() < 300 && std::memchr(t.data(), 'e', t.size()) == nullptr && std::memchr(t.data(), 'E', t.size()) == nullptr)
    return true;
  return std::isfinite(parseDouble(t));
}

inline int integerBits(Kind k) { return k == Kind::Int16 ? 16 : k == Kind::Int32 ? 32 : 64; }

// coerce-boolean.ts TRUE_TEXT/FALSE_TEXT.
inline bool isBoolText(std::string_view s) {
  return s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True" || s == "0" || s == "f" ||
         s == "F" || s == "FALSE" || s == "false" || s == "False";
}

// Timestamp: formats in order; `numeric` restricts to the unix formats (a JSON number).
inline bool parseTime(const ValueSpec& spec, std::string_view s, bool numeric, double& ms) {
  for (const TimeFormat& f : spec.formats) {
    switch (f.type) {
      case TimeFormat::Rfc3339:
        if (!numeric && parseRfc3339(s, ms)) return true;
        break;
      case TimeFormat::Unix:
        if (parseUnix(s, f.unitNs, ms)) return true;
        break;
      case TimeFormat::Strftime:
        if (!numeric && parseStrftime(f, s, ms)) return true;
        break;
    }
  }
  return false;
}

// A JSON number literal `t` (valid) against a scalar spec.
inline uint8_t checkNumberText(const ValueSpec& spec, std::string_view t, double& ms) {
  switch (spec.kind) {
    case Kind::String:
    case Kind::Json:
      return OK;
    case Kind::Int16:
    case Kind::Int32:
    case Kind::Int64:
      return classifyIntegerText(t, integerBits(spec.kind), false);
    case Kind::Float:
      return decimalIsFinite(t) ? OK : OUT_OF_RANGE;
    case Kind::Boolean:
      return t == "0" || t == "1" ? OK : WRONG_TYPE;
    case Kind::Timestamp:
      return spec.hasUnix && parseTime(spec, t, true, ms) ? OK : BAD_TIMESTAMP;
    default:
      return WRONG_TYPE;
  }
}

// A (decoded) JSON string against a scalar spec.
inline uint8_t checkStringText(const ValueSpec& spec, std::string_view s, double& ms) {
  switch (spec.kind) {
    case Kind::String:
    case Kind::Json:
      return OK;
    case Kind::Int16:
    case Kind::Int32:
    case Kind::Int64:
      if (s.empty()) return ABSENT;
      return classifyIntegerText(s, integerBits(spec.kind), true);
    case Kind::Float:
      if (s.empty()) return ABSENT;
      if (!isDecimalText(s)) return WRONG_TYPE;
      return decimalIsFinite(s) ? OK : OUT_OF_RANGE;
    case Kind::Boolean:
      if (s.empty()) return ABSENT;
      return isBoolText(s) ? OK : WRONG_TYPE;
    case Kind::Timestamp:
      if (s.empty()) return ABSENT;
      return parseTime(spec, s, false, ms) ? OK : BAD_TIMESTAMP;
    default:
      return WRONG_TYPE;
  }
}

}  // namespace zpa
