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

// Where the parts of a JSON number literal are, as scanJsonNumber found them.
struct NumberShape {
  size_t intStart = 0;    // the integer part: after a minus sign
  size_t intEnd = 0;      // the end of the integer part (the text's size for an integer literal)
  bool exponent = false;  // an `e` or `E` part follows
};

// A JSON number literal per RFC 8259 (what JSON.parse accepts), with its shape.
inline bool scanJsonNumber(std::string_view t, NumberShape& shape) {
  size_t i = 0;
  const size_t n = t.size();
  if (i < n && t[i] == '-') i++;
  if (i >= n) return false;
  shape.intStart = i;
  if (t[i] == '0') {
    i++;
  } else if (t[i] >= '1' && t[i] <= '9') {
    while (i < n && isDigitChar(t[i])) i++;
  } else {
    return false;
  }
  shape.intEnd = i;
  if (i < n && t[i] == '.') {
    i++;
    const size_t s = i;
    while (i < n && isDigitChar(t[i])) i++;
    if (i == s) return false;
  }
  shape.exponent = i < n && (t[i] == 'e' || t[i] == 'E');
  if (shape.exponent) {
    i++;
    if (i < n && (t[i] == '+' || t[i] == '-')) i++;
    const size_t s = i;
    while (i < n && isDigitChar(t[i])) i++;
    if (i == s) return false;
  }
  return i == n;
}

inline bool isJsonNumber(std::string_view t) {
  NumberShape shape;
  return scanJsonNumber(t, shape);
}

// The range check of classifyIntegerText on the digits `d` of an integer without its sign and leading zeros
// (but for a lone "0").
inline uint8_t integerDigitsRange(std::string_view d, bool negative, int bits) {
  static const std::string_view MAX16 = "32767", MIN16 = "32768", MAX32 = "2147483647", MIN32 = "2147483648",
                                MAX64 = "9223372036854775807", MIN64 = "9223372036854775808";
  const std::string_view limit =
      bits == 16 ? (negative ? MIN16 : MAX16) : bits == 32 ? (negative ? MIN32 : MAX32) : (negative ? MIN64 : MAX64);
  if (d.size() < limit.size()) return OK;
  if (d.size() > limit.size()) return OUT_OF_RANGE;
  return std::memcmp(d.data(), limit.data(), d.size()) <= 0 ? OK : OUT_OF_RANGE;
}

// coerce-integer.ts classifyIntegerText.
inline uint8_t classifyIntegerText(std::string_view t, int bits, bool allowPlus) {
  size_t i = 0;
  const bool negative = !t.empty() && t[0] == '-';
  if (negative || (allowPlus && !t.empty() && t[0] == '+')) i = 1;
  if (i == t.size()) return WRONG_TYPE;
  for (size_t k = i; k < t.size(); k++)
    if (!isDigitChar(t[k])) return WRONG_TYPE;
  while (i < t.size() - 1 && t[i] == '0') i++;
  return integerDigitsRange(t.substr(i), negative, bits);
}

// Number(text) is finite, for a text already known to be decimal, `exponent` saying whether it has an e/E
// part. Without an exponent and under 300 characters a decimal cannot reach 1.8e308, which spares strtod for
// the `45.000000` floats of every record.
inline bool decimalIsFinite(std::string_view t, bool exponent) {
  return (!exponent && t.size() < 300) || std::isfinite(parseDouble(t));
}

inline bool decimalIsFinite(std::string_view t) {
  return decimalIsFinite(t, std::memchr(t.data(), 'e', t.size()) != nullptr || std::memchr(t.data(), 'E', t.size()) != nullptr);
}

inline int integerBits(Kind k) { return k == Kind::Int16 ? 16 : k == Kind::Int32 ? 32 : 64; }

// coerce-boolean.ts TRUE_TEXT/FALSE_TEXT.
inline bool isBoolText(std::string_view s) {
  return s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True" || s == "0" || s == "f" ||
         s == "F" || s == "FALSE" || s == "false" || s == "False";
}

// Timestamp: formats in order; `numeric` restricts to the unix formats (a JSON number).
inline bool parseTime(const ValueSpec& spec, std::string_view s, bool numeric, TimeState& time) {
  for (const TimeFormat& f : spec.formats) {
    switch (f.type) {
      case TimeFormat::Rfc3339:
        if (!numeric && parseRfc3339(s, time)) return true;
        break;
      case TimeFormat::Unix:
        if (parseUnix(s, f.unitNs, time.ms)) return true;
        break;
      case TimeFormat::Strftime:
        if (!numeric && parseStrftime(f, s, time.ms)) return true;
        break;
    }
  }
  return false;
}

inline bool isIntegerKind(Kind k) { return k == Kind::Int16 || k == Kind::Int32 || k == Kind::Int64; }

// The code of a JSON number literal `t` of shape `shape` against integer kind `k`: an integer literal has no
// leading zeros, so its digits go straight to the range check; a fraction or an exponent is the wrong type.
inline uint8_t integerTokenCode(std::string_view t, const NumberShape& shape, Kind k) {
  if (shape.intEnd != t.size()) return WRONG_TYPE;
  return integerDigitsRange(t.substr(shape.intStart), shape.intStart > 0, integerBits(k));
}

// Whether number token `t` is a JSON integer literal in the range of integer kind `k`.
inline bool integerTokenFits(std::string_view t, Kind k) {
  NumberShape shape;
  return scanJsonNumber(t, shape) && integerTokenCode(t, shape, k) == OK;
}

// A number token `t` against a scalar spec: false when it is not a JSON number literal (the line is then
// not JSON the checker can vouch for), else the check's code in `code`. The literal is scanned once for both
// (integerTokenCode, decimalIsFinite use its shape). Measured: a validity scan
// before the checks cost about 800 instructions per User Activity record (two dozen numbers).
inline bool checkNumberToken(const ValueSpec& spec, std::string_view t, TimeState& time, uint8_t& code) {
  NumberShape shape;
  if (!scanJsonNumber(t, shape)) return false;
  switch (spec.kind) {
    case Kind::String:
    case Kind::Json:
      code = OK;
      break;
    case Kind::Int16:
    case Kind::Int32:
    case Kind::Int64:
      code = integerTokenCode(t, shape, spec.kind);
      break;
    case Kind::Float:
      code = decimalIsFinite(t, shape.exponent) ? OK : OUT_OF_RANGE;
      break;
    case Kind::Boolean:
      code = t == "0" || t == "1" ? OK : WRONG_TYPE;
      break;
    case Kind::Timestamp:
      code = spec.hasUnix && parseTime(spec, t, true, time) ? OK : BAD_TIMESTAMP;
      break;
    default:
      code = WRONG_TYPE;
      break;
  }
  return true;
}

// A (decoded) JSON string against a scalar spec.
inline uint8_t checkStringText(const ValueSpec& spec, std::string_view s, TimeState& time) {
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
      return parseTime(spec, s, false, time) ? OK : BAD_TIMESTAMP;
    default:
      return WRONG_TYPE;
  }
}

}  // namespace zpa
