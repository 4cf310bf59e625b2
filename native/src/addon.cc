// The N-API surface of the native checker (workers/engines/native-addon.ts is its only caller):
//   compile(planJson) -> handle
//   checkBatch(handle, bytes, logType, maxLineBytes) -> per-line typed arrays, plus the batch's sets of
//     unknown top-level keys of accepted records (unknownSet per line, unknownSets per batch)
//   info() -> { simdjson, implementation }
// One call per batch: framing (as workers/check-batch.ts: CRLF stripped, empty lines skipped) and every
// check happen here, and only typed arrays cross back, so no JS object is built per record.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "checker.h"
#include "json_escape.h"
#include "plan.h"

namespace {

using zpa::Checker;
using zpa::LineResult;

template <typename T>
Napi::Value typedArrayOf(Napi::Env env, const std::vector<T>& v, size_t count) {
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, count * sizeof(T));
  if (count > 0) std::memcpy(buf.Data(), v.data(), count * sizeof(T));
  return Napi::TypedArrayOf<T>::New(env, count, buf, 0);
}

// The distinct sets of unknown keys among a batch's accepted records. LSS prints every field of a template in
// a fixed order, so the records of one log type carry the same unknown keys in the same order: a record is
// compared with the last set of its log type (a length and a memcmp per key), and only a record that differs
// is looked up by its keys (length-prefixed, so that no two sequences share a lookup key). The names are
// handed to TypeScript once per set and batch; the count per name and the bound on names per log type are
// applied there (workers/unknown-field-tally.ts), to the native and the delegated lines alike.
// What it costs, measured with callgrind (5,000 generated User Activity records, each with the 13 PRA fields
// the schema lacks, one checkBatch per 230 lines, instructions in CheckBatch and below): 20,870 a record
// before, 21,870 with the count (+4.8%): about 270 for noting the keys in the walk, 470 for finding the set
// (same() below), the rest for the per-line array and handing the sets over. The worker's count in
// TypeScript adds about 19 ns a record (0.5-0.7% of the check's time in the same process).
class UnknownSets {
 public:
  explicit UnknownSets(size_t schemas) : last_(schemas, -1) {}

  int32_t idOf(int16_t type, const std::vector<std::string_view>& keys) {
    const int last = last_[type];
    if (last >= 0 && same(sets_[last].names, keys)) return last;
    lookup_.clear();
    lookup_.append(reinterpret_cast<const char*>(&type), sizeof type);
    for (const std::string_view k : keys) {
      const uint32_t n = static_cast<uint32_t>(k.size());
      lookup_.append(reinterpret_cast<const char*>(&n), sizeof n);
      lookup_.append(k);
    }
    auto it = index_.find(lookup_);
    int id;
    if (it != index_.end()) {
      id = it->second;
    } else {
      id = static_cast<int>(sets_.size());
      sets_.push_back({type, std::vector<std::string>(keys.begin(), keys.end())});
      index_.emplace(lookup_, id);
    }
    last_[type] = id;
    return id;
  }

  Napi::Array toJs(Napi::Env env) const {
    Napi::Array out = Napi::Array::New(env, sets_.size());
    for (size_t i = 0; i < sets_.size(); i++) {
      Napi::Array names = Napi::Array::New(env, sets_[i].names.size());
      for (size_t j = 0; j < sets_[i].names.size(); j++) names.Set(static_cast<uint32_t>(j), Napi::String::New(env, sets_[i].names[j]));
      Napi::Array row = Napi::Array::New(env, 2);
      row.Set(0u, Napi::Number::New(env, sets_[i].type));
      row.Set(1u, names);
      out.Set(static_cast<uint32_t>(i), row);
    }
    return out;
  }

 private:
  struct Set {
    int16_t type;
    std::vector<std::string> names;
  };
  // Measured (callgrind, User Activity records with 13 unknown keys): this compare costs about 470
  // instructions a record; comparing in whole words over one padded buffer instead saved nothing.
  static bool same(const std::vector<std::string>& names, const std::vector<std::string_view>& keys) {
    if (names.size() != keys.size()) return false;
    for (size_t j = 0; j < keys.size(); j++) {
      if (names[j].size() != keys[j].size() || std::memcmp(names[j].data(), keys[j].data(), keys[j].size()) != 0) return false;
    }
    return true;
  }
  std::vector<int> last_;  // per schema index, the set its last record with unknown keys carried
  std::vector<Set> sets_;
  std::unordered_map<std::string, int> index_;
  std::string lookup_;
};

Napi::Value Compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "compile(planJson: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string error;
  auto plan = zpa::loadPlan(info[0].As<Napi::String>().Utf8Value(), error);
  if (!plan) {
    Napi::Error::New(env, "invalid check plan: " + error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* checker = new Checker(std::move(plan));
  return Napi::External<Checker>::New(env, checker, [](Napi::Env, Checker* c) { delete c; });
}

Napi::Value CheckBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsExternal() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
      !info[3].IsNumber()) {
    Napi::TypeError::New(env, "checkBatch(handle, bytes: Uint8Array, logType: number, maxLineBytes: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Checker* checker = info[0].As<Napi::External<Checker>>().Data();
  Napi::Uint8Array input = info[1].As<Napi::Uint8Array>();
  const int logType = info[2].As<Napi::Number>().Int32Value();
  const double maxLineBytes = info[3].As<Napi::Number>().DoubleValue();
  if (logType < -1 || logType >= static_cast<int>(checker->plan().schemas.size())) {
    Napi::RangeError::New(env, "logType index out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* data = input.Data();
  const size_t size = input.ByteLength();

  // One search for the line feeds sizes the arrays and frames the lines (a second one per line cost about
  // 260 instructions per User Activity record).
  std::vector<uint32_t> feeds;
  for (const uint8_t* p = data; (p = static_cast<const uint8_t*>(std::memchr(p, '\n', data + size - p))) != nullptr; p++)
    feeds.push_back(static_cast<uint32_t>(p - data));
  const size_t maxLines = feeds.size() + 1;
  std::vector<uint32_t> starts(maxLines), ends(maxLines);
  std::vector<uint8_t> status(maxLines), reason(maxLines);
  std::vector<int32_t> field(maxLines);
  std::vector<double> eventMs(maxLines);
  std::vector<int16_t> typeIndex(maxLines);
  std::vector<uint8_t> failCode(maxLines);
  std::vector<int16_t> failType(maxLines);
  std::vector<int32_t> valueStart(maxLines), valueEnd(maxLines), specId(maxLines);
  Napi::Array paths = Napi::Array::New(env);
  uint32_t rejectedCount = 0;
  std::vector<int32_t> unknownSet(maxLines);
  UnknownSets sets(checker->plan().schemas.size());

  LineResult r;
  size_t count = 0;
  size_t start = 0;
  for (size_t k = 0; start < size; k++) {
    const size_t nl = k < feeds.size() ? feeds[k] : size;
    size_t end = nl;
    if (end > start && data[end - 1] == '\r') end--;  // CRLF tolerated
    const size_t lineStart = start;
    start = nl + 1;
    if (end == lineStart) continue;  // empty line: nothing to check or forward
    starts[count] = static_cast<uint32_t>(lineStart);
    ends[count] = static_cast<uint32_t>(end);
    if (static_cast<double>(end - lineStart) > maxLineBytes) {
      status[count] = zpa::TOO_LONG;
      reason[count] = 0;
      field[count] = -1;
      eventMs[count] = std::nan("");
      typeIndex[count] = -1;
      failCode[count] = 0;
      failType[count] = -1;
      valueStart[count] = valueEnd[count] = specId[count] = -1;
      unknownSet[count] = -1;
      count++;
      continue;
    }
    checker->checkLine(data + lineStart, end - lineStart, size - lineStart, logType, r);
    status[count] = r.status;
    reason[count] = r.reason;
    field[count] = r.field;
    eventMs[count] = r.status == zpa::ACCEPTED ? r.eventMs : std::nan("");
    typeIndex[count] = r.typeIndex;
    failCode[count] = r.failCode;
    failType[count] = r.failType;
    valueStart[count] = r.detail.valueStart;
    valueEnd[count] = r.detail.valueEnd;
    specId[count] = r.detail.specId;
    unknownSet[count] = r.status == zpa::ACCEPTED && !r.unknown.empty() ? sets.idOf(r.typeIndex, r.unknown) : -1;
    if (r.status == zpa::REJECTED) paths.Set(rejectedCount++, Napi::String::New(env, r.path));
    count++;
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("count", Napi::Number::New(env, static_cast<double>(count)));
  out.Set("starts", typedArrayOf(env, starts, count));
  out.Set("ends", typedArrayOf(env, ends, count));
  out.Set("status", typedArrayOf(env, status, count));
  out.Set("reason", typedArrayOf(env, reason, count));
  out.Set("field", typedArrayOf(env, field, count));
  out.Set("eventMs", typedArrayOf(env, eventMs, count));
  out.Set("typeIndex", typedArrayOf(env, typeIndex, count));
  out.Set("failCode", typedArrayOf(env, failCode, count));
  out.Set("failType", typedArrayOf(env, failType, count));
  out.Set("valueStart", typedArrayOf(env, valueStart, count));
  out.Set("valueEnd", typedArrayOf(env, valueEnd, count));
  out.Set("specId", typedArrayOf(env, specId, count));
  out.Set("paths", paths);
  out.Set("unknownSet", typedArrayOf(env, unknownSet, count));
  out.Set("unknownSets", sets.toJs(env));
  return out;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("simdjson", Napi::String::New(env, SIMDJSON_VERSION));
  // The On-Demand walk is compiled for one kernel (binding.gyp's -march); stage 1 (the structural index)
  // runs the kernel simdjson selects for this CPU at run time.
  o.Set("implementation", Napi::String::New(env, simdjson::builtin_implementation()->name()));
  o.Set("stage1", Napi::String::New(env, simdjson::get_active_implementation()->name()));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("compile", Napi::Function::New(env, Compile));
  exports.Set("checkBatch", Napi::Function::New(env, CheckBatch));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("escapeJsonString", Napi::Function::New(env, zpa::EscapeJsonString));
  return exports;
}

}  // namespace

NODE_API_MODULE(zpa_native, Init)
