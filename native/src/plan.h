// The compiled check plan: a Panther schema as the native checker executes it. Built once per schema load
// from the JSON that workers/engines/native-plan.ts writes (which mirrors src/schema/compiler.ts), so the
// per-record walk never looks at type names or YAML.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zpa {

// Check codes: the same numbers as src/schema/check-codes.ts, plus NULL_VALUE for a JSON null.
enum Code : uint8_t { OK = 0, ABSENT = 1, WRONG_TYPE = 2, OUT_OF_RANGE = 3, BAD_TIMESTAMP = 4, MISSING = 5, NULL_VALUE = 6, UNSET = 0xff };

enum class Kind : uint8_t { String, Int16, Int32, Int64, Float, Boolean, Timestamp, Json, Array, Object };

// One entry of a field's timeFormats list.
struct TimeFormat {
  enum Type : uint8_t { Rfc3339 = 0, Unix = 1, Strftime = 2 } type = Rfc3339;
  int64_t unitNs = 0;             // unix formats: nanoseconds per unit
  std::vector<uint8_t> ops;       // strftime: operations (the Op numbering of native-plan.ts)
  std::vector<uint8_t> literals;  // strftime: the literal byte of each Literal op
  bool asctime = false;           // strftime: the ops of '%a %b %e %H:%M:%S %Y' (see parseStrftime)
};

struct FieldList;

// What a rejection's message needs besides its code and path (the message itself is written in TypeScript
// by the reference's own functions, src/schema/rejection.ts).
struct FailDetail {
  int32_t valueStart = -1;  // byte range of the offending JSON value in the line; -1 when the field is absent
  int32_t valueEnd = -1;    // (for an object or array only its first byte matters)
  int32_t specId = -1;      // ValueSpec::id of the check that failed
};

// A value description (a field without its name, or an array element).
struct ValueSpec {
  Kind kind = Kind::Json;
  int32_t id = -1;  // the plan's number for this value (native-plan.ts): names the failing check to TypeScript
  std::vector<TimeFormat> formats;
  bool hasUnix = false;
  std::unique_ptr<ValueSpec> element;  // arrays
  std::unique_ptr<FieldList> fields;   // objects
};

struct Field {
  std::string name;
  std::string paddedName;  // name followed by 7 zero bytes, so that a key can be compared in whole words
  bool required = false;
  bool eventTime = false;
  int requiredName = -1;  // top-level fields: the index of this name in Plan::requiredNames, -1 when none
  ValueSpec value;
};

// A 4096-bit filter over (length, first byte, last byte) of a set of names: a key whose bit is clear is
// none of them, which spares the hash lookup of most keys that are not.
struct NameFilter {
  std::vector<uint64_t> bits = std::vector<uint64_t>(64, 0);
  static size_t bit(std::string_view key) {
    if (key.empty()) return 0;
    return (key.size() * 131 + static_cast<uint8_t>(key.front()) * 7 + static_cast<uint8_t>(key.back())) & 4095;
  }
  void add(std::string_view name) {
    const size_t b = bit(name);
    bits[b >> 6] |= uint64_t{1} << (b & 63);
  }
  bool mayHold(std::string_view key) const {
    const size_t b = bit(key);
    return (bits[b >> 6] >> (b & 63)) & 1;
  }
};

// A list of fields plus the per-object scratch the walk fills (one object at a time: a schema is a finite
// tree, so a list is never re-entered while one of its objects is being checked).
struct FieldList {
  std::vector<Field> fields;
  std::unordered_map<std::string_view, int> index;  // views into fields[i].name
  NameFilter names;                                 // of every fields[i].name
  size_t requiredCount = 0;                         // fields with required set
  std::vector<size_t> eventTimeFields;              // indices of the fields with eventTime set, in order
  std::vector<uint8_t> state;
  std::vector<double> eventMs;
  std::vector<std::string> subPath;
  std::vector<FailDetail> fail;
  void finish();  // builds index and scratch once the fields are in place
};

struct Schema {
  std::string name;
  bool native = true;
  FieldList fields;
};

struct Plan {
  std::vector<Schema> schemas;  // in the order of the engine's logTypes
  std::vector<int> autoOrder;   // indices into schemas, auto-detection order
  bool autoNative = true;       // every schema is native (else auto mode is delegated)
  // Auto-detection's pre-filter (engine.ts: a schema is tried only when CompiledSchema.hasRequired): the
  // distinct required top-level names of all schemas, and per auto-order position the indices of its own.
  std::vector<std::string> requiredNames;
  std::unordered_map<std::string_view, int> requiredIndex;  // views into requiredNames
  std::vector<std::vector<int>> autoRequired;
  // The required names, so that the pre-filter pass hashes only the few keys that may be one.
  NameFilter requiredFilter;
};

// Builds a plan from its JSON description; returns an empty pointer and sets `error` when malformed.
std::unique_ptr<Plan> loadPlan(std::string_view json, std::string& error);

}  // namespace zpa
