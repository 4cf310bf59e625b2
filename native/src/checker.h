// The per-line check: simdjson On-Demand walks the record once, in document order, validating every value
// (JSON.parse would refuse the whole line for one bad literal anywhere) and checking each schema field's
// value as it passes; the verdict is then read off in schema order, so the first failing field and the
// event time are those of the reference engine (src/schema/compiler.ts checkFields). A rejection also
// reports where the offending value is and which check failed, for the message TypeScript writes.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plan.h"
#include "simdjson.h"
#include "time_parse.h"

namespace zpa {

// Line status codes, shared with workers/engines/native-addon.ts.
enum Status : uint8_t { ACCEPTED = 0, REJECTED = 1, DELEGATE = 2, TOO_LONG = 3 };
// Reason for an auto-detection failure (the other reasons are check codes 2..5).
constexpr uint8_t REASON_UNKNOWN_LOG_TYPE = 8;

struct LineResult {
  uint8_t status = DELEGATE;
  uint8_t reason = 0;
  int32_t field = -1;       // top-level field index of the failure, -1 when none
  double eventMs = 0;       // NaN when the record has no event time
  int16_t typeIndex = -1;   // schema index of the verdict, -1 when none
  // The field failure behind a rejection: the verdict's own, or for an auto-detection failure that of the
  // closest schema (the first in detection order with all its required fields); failType -1 when none.
  uint8_t failCode = 0;
  int16_t failType = -1;
  std::string path;         // dotted path of that failure
  FailDetail detail;
  // The top-level keys of the record that the verdict's schema (typeIndex) lacks, in document order, repeats
  // included: Panther drops them. Filled for every walked line, read for accepted ones; the views point into
  // the line or into the checker's key copies, valid until the next checkLine.
  std::vector<std::string_view> unknown;
};

class Checker {
 public:
  explicit Checker(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
  const Plan& plan() const { return *plan_; }
  // Checks one line (without its terminator) against schema `logType`, or every schema when it is -1.
  // `readable` (at least `length`) is how many bytes from `bytes` on may be read: the rest of the batch.
  void checkLine(const uint8_t* bytes, size_t length, size_t readable, int logType, LineResult& out);

 private:
  // Checks one document against `schema`; false when the line must be delegated.
  bool checkDocument(simdjson::ondemand::document& doc, int schema, LineResult& out);
  uint8_t checkObject(FieldList& list, simdjson::ondemand::object obj, bool top, std::string& sub, FailDetail& fd,
                      int* failedField, double* eventMs, bool* hasEventTime);
  uint8_t checkValue(const ValueSpec& spec, simdjson::ondemand::value v, std::string& sub, FailDetail& fd);
  void validate(simdjson::ondemand::value v);
  // Where `v` is in the line, for a failure's detail.
  void locate(simdjson::ondemand::value v, const ValueSpec& spec, FailDetail& fd);
  void checkAuto(simdjson::ondemand::document& doc, LineResult& out);

  std::unique_ptr<Plan> plan_;
  simdjson::ondemand::parser parser_;
  std::vector<uint8_t> padded_;    // a copy of a line with too few readable bytes after it
  const uint8_t* line_ = nullptr;  // the line being walked: in the batch, or padded_
  // Auto-detection (checkAuto): per Plan::requiredNames, whether the key's last value is present and not
  // null, noted by the top-level walk while tracking_; and the auto-order position of the last first candidate.
  std::vector<uint8_t> present_;
  bool tracking_ = false;
  size_t lastAuto_ = 0;
  bool bad_ = false;      // the line is not JSON the walk can vouch for: delegate it
  // The line holds a backslash. Without one no key or string needs decoding: their raw bytes are their text,
  // which spares get_string's copy and a search for a backslash per key and string.
  bool escapes_ = false;
  TimeState time_;        // the last accepted instant (the reference's lastTime) and the rfc3339 date cache
  // Where the walk of checkDocument notes unknown top-level keys (the LineResult being filled).
  std::vector<std::string_view>* unknown_ = nullptr;
  // Copies of unknown keys that had to be unescaped (the parser's string buffer is reused after a rewind);
  // a deque, so that a copy never moves while views of it are held. Cleared per line.
  std::deque<std::string> keyCopies_;
  // checkAuto's per-walk results, kept to reuse their vectors' capacity from line to line.
  LineResult guessed_, walked_;
};

}  // namespace zpa
