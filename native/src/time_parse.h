// Panther's time formats on UTF-8 bytes, ported from src/schema/time-*.ts with the same results (instant
// in milliseconds, Go time.Date normalisation, MAX_DATE_MS bound). Byte-wise parsing of UTF-8 gives the
// reference's UTF-16 results because every format the plan admits is ASCII: a non-ASCII byte in the value
// can match nothing, exactly as a non-ASCII UTF-16 unit matches nothing in the reference.
#pragma once

#include <cstdint>
#include <string_view>

#include "plan.h"

namespace zpa {

// What the checks of one thread carry from one timestamp to the next.
struct TimeState {
  double ms = 0;  // the instant of the last accepted timestamp (the reference's lastTime)
  // The date of the last `YYYY-MM-DDTHH:MM:SS.mmmZ` text parseRfc3339 accepted (the digit values of its bytes
  // 0-7 and 8-9) and its day number: the dozen timestamps of a User Activity record share one date.
  uint64_t dateDigits = ~uint64_t{0};
  uint64_t dayDigits = 0;
  int64_t days = 0;
};

// Each parser returns true and sets the instant (`ms`, `time.ms`) when the text is accepted.
bool parseRfc3339(std::string_view s, TimeState& time);
bool parseUnix(std::string_view s, int64_t unitNs, double& ms);
bool parseStrftime(const TimeFormat& f, std::string_view s, double& ms);
// Whether the strftime ops of `f` are those of '%a %b %e %H:%M:%S %Y' (what TimeFormat::asctime records).
bool isAsctimeFormat(const TimeFormat& f);

// Go-style strtod on a decimal text (locale independent); `text` need not be NUL-terminated.
double parseDouble(std::string_view text);
// The reference's DECIMAL regex: ^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$
bool isDecimalText(std::string_view s);

}  // namespace zpa
