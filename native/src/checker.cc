// See checker.h. The walk never stops early on a type failure: a later syntax error must still turn the
// line into invalid JSON (delegated), as JSON.parse runs before any field check in the reference.
#include "checker.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "coerce.h"

namespace zpa {

using simdjson::ondemand::json_type;
namespace od = simdjson::ondemand;

namespace {

std::string_view trimToken(std::string_view t) {
  if (!t.empty() && static_cast<unsigned char>(t.back()) > ' ') return t;  // most tokens: a value then ',' or '}'
  while (!t.empty()) {
    const char c = t.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    t.remove_suffix(1);
  }
  return t;
}

// The text of string value `v` when the line holds no backslash: the inside of its raw token (which starts
// with the opening quote and ends with the closing one, perhaps followed by whitespace) is then already the
// decoded text, as stage 1 validated the UTF-8 and refused raw control characters inside strings.
// get_raw_json_string then steps over the value, which is cheaper than leaving it to the object iterator.
// Measured with the key side (escapes_): get_string's copy into the string buffer and a search for a
// backslash in every key cost about 2,800 instructions per User Activity record.
bool plainStringText(od::value v, std::string_view& s) {
  const std::string_view tok = trimToken(v.raw_json_token());
  s = tok.substr(1, tok.size() - 2);
  od::raw_json_string raw;
  return v.get_raw_json_string().get(raw) == simdjson::SUCCESS;
}

// Whether the string token `tok` (its raw bytes, in a line without a backslash) is a non-empty text that one
// of the time formats of `spec` accepts, leaving the instant in `time`; anything else (an empty text, a
// failure) is left to checkValue.
inline bool acceptsTimeText(const ValueSpec& spec, std::string_view tok, TimeState& time) {
  return tok.size() > 2 && parseTime(spec, tok.substr(1, tok.size() - 2), false, time);
}

// Whether `key`, a key read raw from the line, is the name of `f`, in whole 8-byte words: both sides may be
// read up to 7 bytes past their end (a key is followed by at least `":`, a value and `}`, and the line by
// SIMDJSON_PADDING readable bytes; Field::paddedName has 7 zero bytes), and the last word is masked to the
// key's length. Measured: the memcmp call of std::string's == cost about 30 instructions per key.
bool rawKeyIs(std::string_view key, const Field& f) {
  size_t n = key.size();
  if (n != f.name.size()) return false;
  const char* a = key.data();
  const char* b = f.paddedName.data();
  for (; n >= 8; n -= 8, a += 8, b += 8) {
    uint64_t x, y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
  }
  if (n == 0) return true;
  uint64_t x, y;
  std::memcpy(&x, a, 8);
  std::memcpy(&y, b, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return ((x ^ y) >> (64 - 8 * n)) == 0;  // the first n bytes are the high ones
#else
  return ((x ^ y) << (64 - 8 * n)) == 0;  // the first n bytes are the low ones
#endif
}

// The syslog `<PRI>` prefix the reference strips (lss-repairs.ts syslogPriLength).
bool hasSyslogPri(const uint8_t* p, size_t n) {
  if (n == 0 || p[0] != '<') return false;
  size_t i = 1;
  while (i < n && i <= 3 && p[i] >= '0' && p[i] <= '9') i++;
  return i > 1 && i < n && p[i] == '>';
}

}  // namespace

void Checker::validate(od::value v) {
  json_type t;
  if (v.type().get(t)) {
    bad_ = true;
    return;
  }
  switch (t) {
    case json_type::object: {
      od::object o;
      if (v.get_object().get(o)) {
        bad_ = true;
        return;
      }
      for (auto fr : o) {
        od::field f;
        std::string_view key;
        if (std::move(fr).get(f) || f.unescaped_key(false).get(key)) {
          bad_ = true;
          return;
        }
        validate(f.value());
        if (bad_) return;
      }
      return;
    }
    case json_type::array: {
      od::array a;
      if (v.get_array().get(a)) {
        bad_ = true;
        return;
      }
      for (auto er : a) {
        od::value e;
        if (std::move(er).get(e)) {
          bad_ = true;
          return;
        }
        validate(e);
        if (bad_) return;
      }
      return;
    }
    case json_type::string: {
      // Without a backslash in the line every string is valid: get_raw_json_string only steps over it.
      std::string_view s;
      od::raw_json_string raw;
      if (escapes_ ? v.get_string().get(s) : v.get_raw_json_string().get(raw)) bad_ = true;
      return;
    }
    case json_type::number:
      if (!isJsonNumber(trimToken(v.raw_json_token()))) bad_ = true;
      return;
    case json_type::boolean: {
      const std::string_view tok = trimToken(v.raw_json_token());
      if (tok != "true" && tok != "false") bad_ = true;
      return;
    }
    case json_type::null:
      if (trimToken(v.raw_json_token()) != "null") bad_ = true;
      return;
    default:
      bad_ = true;
      return;
  }
}

void Checker::locate(od::value v, const ValueSpec& spec, FailDetail& fd) {
  const std::string_view tok = trimToken(v.raw_json_token());
  fd.valueStart = static_cast<int32_t>(reinterpret_cast<const uint8_t*>(tok.data()) - line_);
  fd.valueEnd = fd.valueStart + static_cast<int32_t>(tok.size());
  fd.specId = spec.id;
}

uint8_t Checker::checkValue(const ValueSpec& spec, od::value v, std::string& sub, FailDetail& fd) {
  json_type t;
  if (v.type().get(t)) {
    bad_ = true;
    return OK;
  }
  uint8_t code = OK;
  switch (t) {
    case json_type::null:
      if (trimToken(v.raw_json_token()) != "null") bad_ = true;
      code = NULL_VALUE;
      break;
    case json_type::string: {
      std::string_view s;
      if (escapes_ ? v.get_string().get(s) != simdjson::SUCCESS : !plainStringText(v, s)) {
        bad_ = true;
        return OK;
      }
      code = checkStringText(spec, s, time_);
      break;
    }
    case json_type::number: {
      if (!checkNumberToken(spec, trimToken(v.raw_json_token()), time_, code)) {
        bad_ = true;
        return OK;
      }
      break;
    }
    case json_type::boolean: {
      const std::string_view tok = trimToken(v.raw_json_token());
      if (tok != "true" && tok != "false") {
        bad_ = true;
        return OK;
      }
      // coerce-*.ts: only string, boolean and json take a JSON boolean.
      code = spec.kind == Kind::String || spec.kind == Kind::Boolean || spec.kind == Kind::Json ? OK : WRONG_TYPE;
      break;
    }
    case json_type::array: {
      if (spec.kind != Kind::Array) {
        locate(v, spec, fd);
        validate(v);
        return spec.kind == Kind::Json ? OK : WRONG_TYPE;
      }
      od::array a;
      if (v.get_array().get(a)) {
        bad_ = true;
        return OK;
      }
      size_t i = 0;
      for (auto er : a) {
        od::value e;
        if (std::move(er).get(e)) {
          bad_ = true;
          return OK;
        }
        if (code != OK) {
          validate(e);  // the first failing element decides; the rest only has to be valid JSON
        } else {
          std::string esub;
          FailDetail efd;
          const uint8_t ec = checkValue(*spec.element, e, esub, efd);
          if (ec != OK && ec != ABSENT && ec != NULL_VALUE) {
            code = ec;
            sub = "[" + std::to_string(i) + "]" + esub;
            fd = efd;
          }
        }
        if (bad_) return OK;
        i++;
      }
      return code;
    }
    case json_type::object: {
      if (spec.kind != Kind::Object) {
        locate(v, spec, fd);
        validate(v);
        return spec.kind == Kind::Json ? OK : WRONG_TYPE;
      }
      od::object o;
      if (v.get_object().get(o)) {
        bad_ = true;
        return OK;
      }
      return checkObject(*spec.fields, o, false, sub, fd, nullptr, nullptr, nullptr);
    }
    default:
      bad_ = true;
      return OK;
  }
  // A scalar: a failure (and an absent or null value, which a required field turns into one) says where.
  if (code != OK) locate(v, spec, fd);
  return code;
}

uint8_t Checker::checkObject(FieldList& list, od::object obj, bool top, std::string& sub, FailDetail& fd,
                             int* failedField, double* eventMs, bool* hasEventTime) {
  const size_t n = list.fields.size();
  std::memset(list.state.data(), UNSET, n);
  size_t hint = 0;
  // For the shortcut after the walk: a value failed (or a required one is absent or null), and how many
  // required fields went from unset to OK (a repeated key counts once; one that fails later sets `failed`).
  bool failed = false;
  size_t requiredOk = 0;
  for (auto fr : obj) {
    od::field f;
    if (std::move(fr).get(f)) {
      bad_ = true;
      return OK;
    }
    std::string_view key = f.escaped_key();
    bool unescaped = false;
    if (escapes_ && std::memchr(key.data(), '\\', key.size()) != nullptr) {
      if (f.unescaped_key(false).get(key)) {
        bad_ = true;
        return OK;
      }
      unescaped = true;
    }
    // LSS templates print the fields in a fixed order close to the schema's: try the next one first.
    // A key no field has (a dozen a User Activity record) is mostly told by the name filter, without hashing.
    int idx = -1;
    if (hint < n && (escapes_ ? list.fields[hint].name == key : rawKeyIs(key, list.fields[hint]))) {
      idx = static_cast<int>(hint);
    } else if (list.names.mayHold(key)) {
      auto it = list.index.find(key);
      if (it != list.index.end()) idx = it->second;
    }
    if (top && tracking_) {
      // A key of this schema knows whether it is a required name; only the others need the lookup
      // (measured: filtering and hashing every key cost about 1,860 instructions per User Activity record).
      int required = -1;
      if (idx >= 0) {
        required = list.fields[idx].requiredName;
      } else if (plan_->requiredFilter.mayHold(key)) {
        auto it = plan_->requiredIndex.find(key);
        if (it != plan_->requiredIndex.end()) required = it->second;
      }
      json_type t;
      if (required >= 0) {
        if (f.value().type().get(t)) {
          bad_ = true;
          return OK;
        }
        present_[required] = t != json_type::null;  // a repeated key: the last value counts
      }
    }
    if (idx < 0) {
      // A key Panther will drop (counted for accepted records: zpa_relay_unknown_fields_total). Only the top
      // level: inside an object field, extra keys are that field's business. Noting it here, where the key is
      // already in hand, costs a push per unknown key (what the count costs per record: see addon.cc).
      if (top) {
        if (unescaped) {
          keyCopies_.emplace_back(key);
          key = keyCopies_.back();
        }
        unknown_->push_back(key);
      }
      // A value no field checks only has to be valid JSON, which a string is without a backslash in the line:
      // the object iterator steps over it (measured: validate's call cost about 20 instructions per key).
      json_type t;
      if (escapes_ || f.value().type().get(t) != simdjson::SUCCESS || t != json_type::string) validate(f.value());
      if (bad_) return OK;
      continue;
    }
    hint = static_cast<size_t>(idx) + 1;
    const Field& field = list.fields[idx];
    // A repeated key: the last value wins, as with JSON.parse.
    // The commonest cases are decided here, without checkValue's call (measured: about 50 instructions per
    // field; a User Activity record has two dozen string, 16 integer and a dozen timestamp fields): a string
    // value of a string field (any valid string passes, and without a backslash in the line every string is
    // valid), an integer literal in range of an integer field, and a string a timestamp field's formats
    // accept. Anything else, failures included, takes checkValue, which also says where a failure is.
    // (Testing for json fields too cost more than it saved.)
    uint8_t code = OK;
    od::value value = f.value();
    json_type t;
    od::raw_json_string raw;
    if (!escapes_ && field.value.kind == Kind::String && value.type().get(t) == simdjson::SUCCESS &&
        t == json_type::string) {
      if (value.get_raw_json_string().get(raw)) bad_ = true;
    } else if (isIntegerKind(field.value.kind) && value.type().get(t) == simdjson::SUCCESS &&
               t == json_type::number && integerTokenFits(trimToken(value.raw_json_token()), field.value.kind)) {
      // The token is left to the object iterator to step over, as checkValue does with numbers.
    } else if (!escapes_ && field.value.kind == Kind::Timestamp && value.type().get(t) == simdjson::SUCCESS &&
               t == json_type::string && acceptsTimeText(field.value, trimToken(value.raw_json_token()), time_)) {
      if (value.get_raw_json_string().get(raw)) bad_ = true;
    } else {
      // checkValue writes a failure's detail and path straight into the scratch, which is read only for a
      // failure (cleared first: a scalar writes no path).
      list.subPath[idx].clear();
      code = checkValue(field.value, value, list.subPath[idx], list.fail[idx]);
    }
    if (bad_) return OK;
    const uint8_t before = list.state[idx];
    list.state[idx] = code;
    if (code == OK) {
      if (field.value.kind == Kind::Timestamp) list.eventMs[idx] = time_.ms;
      requiredOk += field.required && before == UNSET;
    } else if (field.required || (code != ABSENT && code != NULL_VALUE)) {
      failed = true;
    }
  }
  // No field failed and every required one is there: the object passes, and only the event time is left to
  // find, which spares the pass below over every field (measured: about 600 instructions a User Activity
  // record). The pass decides when anything may have failed.
  if (!failed && requiredOk == list.requiredCount) {
    if (top) {
      for (const size_t i : list.eventTimeFields) {
        if (list.state[i] == OK && !*hasEventTime) {
          *hasEventTime = true;
          *eventMs = list.eventMs[i];
        }
      }
    }
    return OK;
  }
  // compiler.ts checkFields, in schema order.
  for (size_t i = 0; i < n; i++) {
    const Field& field = list.fields[i];
    const uint8_t st = list.state[i];
    uint8_t fail = OK;
    bool absent = false;
    if (st == UNSET || st == NULL_VALUE || st == ABSENT) {
      if (!field.required) continue;
      fail = MISSING;
      absent = true;
    } else if (st == OK) {
      if (top && field.eventTime && !*hasEventTime) {
        *hasEventTime = true;
        *eventMs = list.eventMs[i];
      }
      continue;
    } else {
      fail = st;
    }
    // A failure inside the value (a nested required field too) keeps the path below this field.
    const std::string below = absent ? std::string() : list.subPath[i];
    fd = st == UNSET ? FailDetail() : list.fail[i];
    if (top) {
      *failedField = static_cast<int>(i);
      sub = field.name + below;
    } else {
      sub = "." + field.name + below;
    }
    return fail;
  }
  return OK;
}

bool Checker::checkDocument(od::document& doc, int schema, LineResult& out) {
  out.unknown.clear();
  unknown_ = &out.unknown;
  od::object obj;
  if (doc.get_object().get(obj)) return false;
  std::string path;
  int failedField = -1;
  double eventMs = 0;
  bool hasEventTime = false;
  FailDetail fd;
  const uint8_t code = checkObject(plan_->schemas[schema].fields, obj, true, path, fd, &failedField, &eventMs, &hasEventTime);
  if (bad_ || !doc.at_end()) return false;
  out.typeIndex = static_cast<int16_t>(schema);
  if (code == OK) {
    out.status = ACCEPTED;
    out.eventMs = hasEventTime ? eventMs : std::numeric_limits<double>::quiet_NaN();
  } else {
    out.status = REJECTED;
    out.reason = code;
    out.field = failedField;
    out.failCode = code;
    out.failType = static_cast<int16_t>(schema);
    out.path = std::move(path);
    out.detail = fd;
  }
  return true;
}

void Checker::checkLine(const uint8_t* bytes, size_t length, size_t readable, int logType, LineResult& out) {
  out.status = DELEGATE;
  out.reason = 0;
  out.field = -1;
  out.typeIndex = -1;
  out.failCode = 0;
  out.failType = -1;
  out.path.clear();
  out.detail = FailDetail();
  out.unknown.clear();
  if (!keyCopies_.empty()) keyCopies_.clear();
  bad_ = false;
  // Left to the reference engine: repairs (a <PRI> prefix), a BOM (simdjson skips it, JSON.parse refuses
  // it), and anything that is not one well-formed JSON object. That includes raw control characters, which
  // JSON.parse refuses inside strings: stage 1 refuses them there too (UNESCAPED_CHARS), and outside strings
  // tab and CR are whitespace to both while any other control byte breaks the token it touches, which the
  // walk refuses. (A scan for them here cost about 1,200 instructions per User Activity record.)
  if (length == 0 || hasSyslogPri(bytes, length)) return;
  if (length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) return;
  if (logType >= 0 ? !plan_->schemas[logType].native : !plan_->autoNative) return;
  escapes_ = std::memchr(bytes, '\\', length) != nullptr;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end, whatever they hold (parser::iterate's
  // documentation: they need only be allocated). Inside a batch those are the line's CR or LF and the next
  // lines, so only a line that ends near the end of the buffer is copied (measured: the copy of every line
  // cost about 250 instructions per User Activity record).
  if (readable - length >= simdjson::SIMDJSON_PADDING) {
    line_ = bytes;
  } else {
    if (padded_.size() < length + simdjson::SIMDJSON_PADDING)
      padded_.resize(length + simdjson::SIMDJSON_PADDING + 4096);
    std::memcpy(padded_.data(), bytes, length);
    std::memset(padded_.data() + length, 0, simdjson::SIMDJSON_PADDING);
    line_ = padded_.data();
  }
  od::document doc;
  if (parser_.iterate(line_, length, length + simdjson::SIMDJSON_PADDING).get(doc)) return;
  json_type t;
  if (doc.type().get(t) || t != json_type::object) return;
  if (logType >= 0) {
    if (!checkDocument(doc, logType, out)) out.status = DELEGATE;
    return;
  }
  checkAuto(doc, out);
}

// engine.ts checkInternal for 'auto': the schemas in detection order that have all their required fields
// (CompiledSchema.hasRequired) are checked until one accepts; the first that refuses is the "closest" the
// message names. Why not simply walk the record once per schema in order: a User Activity record would be
// walked (and rewound) for every schema before it. Instead the first walk is against the first candidate of
// the previous record (LSS streams carry one log type, so that is usually this record's first candidate,
// accepting or closest) and also notes which required names are present; when no schema before it in
// detection order has all its required fields and it accepts, that one walk decides. Otherwise the
// candidates are walked in order as the reference does, reusing the first walk's result.
void Checker::checkAuto(od::document& doc, LineResult& out) {
  const Plan& plan = *plan_;
  if (plan.autoOrder.empty()) return;
  const size_t guess = lastAuto_;
  present_.assign(plan.requiredNames.size(), 0);
  LineResult& guessed = guessed_;
  tracking_ = true;
  const bool valid = checkDocument(doc, plan.autoOrder[guess], guessed);
  tracking_ = false;
  if (!valid) return;  // not JSON the walk can vouch for: delegate
  bool first = true;
  for (size_t k = 0; k < plan.autoOrder.size(); k++) {
    bool all = true;
    for (int n : plan.autoRequired[k]) all = all && present_[n] != 0;
    if (!all) continue;  // a required field is missing or null: this schema cannot accept, and is not tried
    if (first) lastAuto_ = k;
    first = false;
    LineResult& walked = walked_;
    LineResult* one = &guessed;
    if (k != guess) {
      doc.rewind();
      if (!checkDocument(doc, plan.autoOrder[k], walked)) return;
      one = &walked;
    }
    if (one->status == ACCEPTED) {
      out.status = ACCEPTED;
      out.typeIndex = one->typeIndex;
      out.eventMs = one->eventMs;
      out.unknown.swap(one->unknown);
      return;
    }
    if (out.failType < 0) {
      out.failCode = one->failCode;
      out.failType = one->failType;
      out.path = one->path;
      out.detail = one->detail;
    }
  }
  out.status = REJECTED;
  out.reason = REASON_UNKNOWN_LOG_TYPE;
}

}  // namespace zpa
