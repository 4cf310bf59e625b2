// See time_parse.h. Every function mirrors its TypeScript counterpart line by line; comments name it.
#include "time_parse.h"

#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <locale.h>
#include <string>

namespace zpa {

namespace {

constexpr double MAX_DATE_MS = 8.64e15;

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

// time-civil.ts daysFromCivil (Howard Hinnant's days_from_civil), for a month in 1..12 as every caller
// passes. Only the era needs a floor division: the later dividends (yoe in 0..399, mp in 0..11) are never
// negative, where C++ division already floors, and plain division by a constant is a multiply.
int64_t daysFromCivil(int64_t year, int64_t month, int64_t day) {
  const int64_t y = month <= 2 ? year - 1 : year;
  const int64_t era = floorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t mp = month > 2 ? month - 3 : month + 9;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool isLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int64_t year, int month) {
  static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeapYear(year) ? 29 : DAYS[month - 1];
}

// time-civil.ts civilToMs
int64_t civilToMs(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute, int64_t second, int64_t nanos,
                  int64_t offsetSeconds) {
  const int64_t m0 = month - 1;
  const int64_t yearCarry = floorDiv(m0, 12);
  const int64_t days = daysFromCivil(year + yearCarry, m0 - yearCarry * 12 + 1, 1) + (day - 1);
  return (days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds) * 1000 + floorDiv(nanos, 1000000);
}

// Howard Hinnant's civil_from_days (for %s, where the reference uses a Date's UTC parts).
void civilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  const int64_t era = floorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
}

inline bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// time-rfc3339.ts d2: two digits at i, or -1 (also past the end, where charCodeAt gives NaN).
int d2(std::string_view s, size_t i) {
  if (i + 1 >= s.size()) return -1;
  const unsigned char a = s[i], b = s[i + 1];
  return isDigit(a) && isDigit(b) ? (a - '0') * 10 + (b - '0') : -1;
}

inline int at(std::string_view s, size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : -1; }

bool isIntegerText(std::string_view t) {
  size_t i = (at(t, 0) == '-' || at(t, 0) == '+') ? 1 : 0;
  if (i == t.size()) return false;
  for (; i < t.size(); i++)
    if (!isDigit(t[i])) return false;
  return true;
}

// Strftime operations: the same numbering as workers/engines/native-plan.ts STRFTIME_OPS.
enum Op : uint8_t {
  Literal, Year4, Year2, Century, YearG2, YearG4, Month, MonthLong, MonthShort, WeekLong, WeekShort, WeekdayW,
  WeekdayU, WeekNumber, DayE, DayD, YearDay, HourK, HourH, HourL, HourI, AmPm, Minute, Second, UnixSeconds, Micro,
  ZoneName, ZoneOffset, Space,
};

const char* const SHORT_MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
const char* const LONG_MONTHS[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
const char* const SHORT_WEEK[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const char* const LONG_WEEK[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
const char* const AM_PM[] = {"AM", "PM"};

// time-strftime.ts readNumber: 1..max digits at j; returns the index after them or -1.
long readNumber(std::string_view s, long j, int max, int64_t& value) {
  const long l = static_cast<long>(s.size());
  if (j >= l || !isDigit(s[j])) return -1;
  int64_t v = 0;
  const long end = std::min(l, j + max);
  long i = j;
  for (; i < end; i++) {
    const unsigned char c = s[i];
    if (!isDigit(c)) break;
    v = v * 10 + (c - '0');
  }
  value = v;
  return i;
}

// time-strftime.ts lookup: the first name that prefixes s at j, case-insensitively.
template <size_t N>
long lookup(std::string_view s, long j, const char* const (&names)[N], int64_t& value) {
  const long l = static_cast<long>(s.size());
  for (size_t n = 0; n < N; n++) {
    const std::string_view name(names[n]);
    if (j + static_cast<long>(name.size()) > l) continue;
    bool match = true;
    for (size_t k = 0; k < name.size(); k++) {
      const unsigned char x = name[k], y = s[j + k];
      if (x != y && (x | 0x20) != (y | 0x20)) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    value = static_cast<int64_t>(n) + 1;
    return j + static_cast<long>(name.size());
  }
  return -1;
}

bool zoneAbbrevOk(std::string_view z) {
  if (z == "UTC" || z == "GMT") return true;
  if (z.size() == 3) return true;
  if (z.size() == 4) return z[3] == 'T' || z == "WITA";
  if (z.size() == 5) return z[4] == 'T';
  return false;
}

locale_t cLocale() {
  static locale_t loc = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(0));
  return loc;
}

// Fast paths for the two fixed shapes LSS writes its timestamps in (`2019-05-30T08:20:42.230Z` a dozen times
// in every User Activity record, `Thu Oct  7 10:40:00 2021` once): the text is read as three 8-byte words,
// checked and split with a few word operations instead of byte by byte. A text of any other shape goes to the
// general parser, and for texts of these shapes both give the same result (test/engines/differential.test.ts
// "timestamp fast paths" pins that).

// Eight bytes as a little-endian word: byte i of the text is bits 8i..8i+7.
uint64_t loadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

constexpr uint64_t ZEROS = 0x3030303030303030;  // eight '0'

// Eight bytes of a fixed shape: 'd' for a digit, any other character for itself.
struct WordShape {
  uint64_t literalMask = 0;  // 0xff in each literal byte
  uint64_t literals = 0;     // the literal bytes, 0 elsewhere
  constexpr explicit WordShape(const char (&pattern)[9]) {
    for (int i = 0; i < 8; i++) {
      if (pattern[i] == 'd') continue;
      literalMask |= uint64_t{0xff} << (8 * i);
      literals |= uint64_t{static_cast<unsigned char>(pattern[i])} << (8 * i);
    }
  }
};

// The digit values of `w` (0..9 in each digit byte, 0 in each literal byte) when `w` has shape `shape`, or
// false. The digit test is exact: once the literal bytes are set to '0', a byte below '0' sets its top bit in
// x - ZEROS and a byte above '9' in x + 0x46.. (or, from 0xba up, in x - ZEROS), and a borrow or carry can
// only start at such a byte, so no non-digit passes.
bool splitWord(uint64_t w, const WordShape& shape, uint64_t& digits) {
  if ((w & shape.literalMask) != shape.literals) return false;
  const uint64_t x = (w & ~shape.literalMask) | (ZEROS & shape.literalMask);
  if ((((x - ZEROS) | (x + 0x4646464646464646)) & 0x8080808080808080) != 0) return false;
  digits = x - ZEROS;
  return true;
}

inline int64_t digitAt(uint64_t digits, int i) { return static_cast<int64_t>((digits >> (8 * i)) & 0xff); }

// `YYYY-MM-DDTHH:MM:SS.mmmZ`: true when `s` has this shape, with the general parser's verdict (the same range
// checks) in `ok` and `time.ms`. A date equal to the last one accepted is not read again. Measured: about
// 135 instructions per timestamp (the date cache spares about 70 of them), against 370 in the general parser.
bool parseRfc3339Millis(std::string_view s, bool& ok, TimeState& time) {
  static constexpr WordShape DATE("dddd-dd-"), DAY_TIME("ddTdd:dd"), SECONDS(":dd.dddZ");
  uint64_t a, b, c;
  if (s.size() != 24 || !splitWord(loadWord(s.data()), DATE, a) || !splitWord(loadWord(s.data() + 8), DAY_TIME, b) ||
      !splitWord(loadWord(s.data() + 16), SECONDS, c))
    return false;
  const int64_t hour = digitAt(b, 3) * 10 + digitAt(b, 4);
  const int64_t minute = digitAt(b, 6) * 10 + digitAt(b, 7);
  const int64_t second = digitAt(c, 1) * 10 + digitAt(c, 2);
  const int64_t millis = digitAt(c, 4) * 100 + digitAt(c, 5) * 10 + digitAt(c, 6);
  ok = hour <= 23 && minute <= 59 && second <= 59;
  if (!ok) return true;
  const uint64_t dayDigits = b & 0xffff;
  if (a != time.dateDigits || dayDigits != time.dayDigits) {
    const int64_t year = digitAt(a, 0) * 1000 + digitAt(a, 1) * 100 + digitAt(a, 2) * 10 + digitAt(a, 3);
    const int64_t month = digitAt(a, 5) * 10 + digitAt(a, 6);
    const int64_t day = digitAt(b, 0) * 10 + digitAt(b, 1);
    ok = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, static_cast<int>(month));
    if (!ok) return true;
    time.dateDigits = a;
    time.dayDigits = dayDigits;
    time.days = daysFromCivil(year, month, day);
  }
  // civilToMs with nanos = millis * 1e6 and no offset, in the same int64 arithmetic.
  time.ms = static_cast<double>((time.days * 86400 + hour * 3600 + minute * 60 + second) * 1000 + millis);
  return true;
}

// A three-letter lower-case name packed as loadWord packs bytes, with 0x20 set in each byte.
constexpr uint32_t packedName(const char (&n)[4]) {
  return (uint32_t{static_cast<unsigned char>(n[0])} | uint32_t{static_cast<unsigned char>(n[1])} << 8 |
          uint32_t{static_cast<unsigned char>(n[2])} << 16) |
         0x202020;
}

// lookup() on three letters `letters` (packed): the 1-based index of their name in `names`, or 0. lookup's
// test of a name letter x against a byte y, x == y || (x | 0x20) == (y | 0x20), is (x | 0x20) == (y | 0x20),
// so setting 0x20 in the three bytes and comparing words is the same test.
template <size_t N>
int64_t packedLookup(uint32_t letters, const uint32_t (&names)[N]) {
  letters |= 0x202020;
  for (size_t n = 0; n < N; n++)
    if (names[n] == letters) return static_cast<int64_t>(n) + 1;
  return 0;
}

// '%a %b %e %H:%M:%S %Y' on the shape LSS writes, `Thu Oct  7 10:40:00 2021` (or `Thu Oct 17 ...`): true when
// `s` has this shape, with parseStrftime's verdict in `ok` and `ms`. For this shape parseStrftime reads the day
// from bytes 8-9 (a space at 8 is %e's optional one) and every other number at its fixed place, and
// normalises what is out of range without refusing it, as here. Measured: about 270 instructions per
// timestamp, against 1,240 in parseStrftime's loop.
bool parseAsctime(std::string_view s, bool& ok, double& ms) {
  static constexpr WordShape DAY_TIME("dd dd:dd"), SECONDS_YEAR(":dd dddd");
  static constexpr uint32_t WEEK[] = {packedName("sun"), packedName("mon"), packedName("tue"), packedName("wed"),
                                      packedName("thu"), packedName("fri"), packedName("sat")};
  static constexpr uint32_t MONTHS[] = {packedName("jan"), packedName("feb"), packedName("mar"), packedName("apr"),
                                        packedName("may"), packedName("jun"), packedName("jul"), packedName("aug"),
                                        packedName("sep"), packedName("oct"), packedName("nov"), packedName("dec")};
  if (s.size() != 24 || s[3] != ' ' || s[7] != ' ') return false;
  const uint64_t names = loadWord(s.data());
  uint64_t dayTime = loadWord(s.data() + 8);
  if ((dayTime & 0xff) == ' ') dayTime = (dayTime & ~uint64_t{0xff}) | '0';
  uint64_t b, c;
  if (!splitWord(dayTime, DAY_TIME, b) || !splitWord(loadWord(s.data() + 16), SECONDS_YEAR, c)) return false;
  const int64_t month = packedLookup(static_cast<uint32_t>((names >> 32) & 0xffffff), MONTHS);
  ok = packedLookup(static_cast<uint32_t>(names & 0xffffff), WEEK) != 0 && month != 0;
  if (!ok) return true;
  const int64_t day = digitAt(b, 0) * 10 + digitAt(b, 1);
  const int64_t hour = digitAt(b, 3) * 10 + digitAt(b, 4);
  const int64_t minute = digitAt(b, 6) * 10 + digitAt(b, 7);
  const int64_t second = digitAt(c, 1) * 10 + digitAt(c, 2);
  const int64_t year = digitAt(c, 4) * 1000 + digitAt(c, 5) * 100 + digitAt(c, 6) * 10 + digitAt(c, 7);
  const int64_t m = civilToMs(year, month, day, hour, minute, second, 0, 0);
  ok = std::fabs(static_cast<double>(m)) <= MAX_DATE_MS;
  if (ok) ms = static_cast<double>(m);
  return true;
}

}  // namespace

bool isAsctimeFormat(const TimeFormat& f) {
  static const uint8_t OPS[] = {WeekShort, Literal, MonthShort, Literal, DayE,    Literal, HourH,
                                Literal,   Minute,  Literal,    Second,  Literal, Year4};
  static const char LITERALS[] = "a b e H:M:S Y";  // the literal byte of each Literal op, at its index
  if (f.ops.size() != sizeof(OPS)) return false;
  for (size_t i = 0; i < sizeof(OPS); i++) {
    if (f.ops[i] != OPS[i]) return false;
    if (OPS[i] == Literal && f.literals[i] != static_cast<uint8_t>(LITERALS[i])) return false;
  }
  return true;
}

double parseDouble(std::string_view text) {
  thread_local std::string buf;
  buf.assign(text.data(), text.size());
  return strtod_l(buf.c_str(), nullptr, cLocale());
}

bool isDecimalText(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  const size_t intStart = i;
  while (i < n && isDigit(s[i])) i++;
  if (i > intStart) {
    if (i < n && s[i] == '.') {
      i++;
      while (i < n && isDigit(s[i])) i++;
    }
  } else {
    if (i >= n || s[i] != '.') return false;
    i++;
    const size_t fracStart = i;
    while (i < n && isDigit(s[i])) i++;
    if (i == fracStart) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    const size_t expStart = i;
    while (i < n && isDigit(s[i])) i++;
    if (i == expStart) return false;
  }
  return i == n;
}

namespace {

// time-rfc3339.ts parseRfc3339. Kept out of line so that the fast path's caller does not pay this
// function's register saves.
[[gnu::noinline]] bool parseRfc3339General(std::string_view s, double& ms) {
  const size_t l = s.size();
  if (l < 20) return false;
  const int y1 = d2(s, 0), y2 = d2(s, 2);
  if (y1 < 0 || y2 < 0) return false;
  const int year = y1 * 100 + y2;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T') return false;
  if (s[13] != ':' || s[16] != ':') return false;
  const int month = d2(s, 5), day = d2(s, 8), hour = d2(s, 11), minute = d2(s, 14), second = d2(s, 17);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  size_t i = 19;
  int64_t nanos = 0;
  const int sep = at(s, i);
  if (sep == '.' || sep == ',') {
    i++;
    const size_t start = i;
    int64_t scale = 100000000;
    while (i < l) {
      const unsigned char c = s[i];
      if (!isDigit(c)) break;
      if (scale >= 1) {
        nanos += (c - '0') * scale;
        scale /= 10;
      }
      i++;
    }
    if (i == start) return false;
  }
  int64_t offset = 0;
  const int z = at(s, i);
  if (z == 'Z') {
    if (i + 1 != l) return false;
  } else if (z == '+' || z == '-') {
    if (i + 6 != l || s[i + 3] != ':') return false;
    const int oh = d2(s, i + 1), om = d2(s, i + 4);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
    offset = (oh * 60 + om) * 60 * (z == '-' ? -1 : 1);
  } else {
    return false;
  }
  ms = static_cast<double>(civilToMs(year, month, day, hour, minute, second, nanos, offset));
  return true;
}

}  // namespace

bool parseRfc3339(std::string_view s, TimeState& time) {
  bool ok;
  if (parseRfc3339Millis(s, ok, time)) return ok;
  return parseRfc3339General(s, time.ms);
}

// time-unix.ts compileUnix
bool parseUnix(std::string_view text, int64_t unitNs, double& ms) {
  if (isIntegerText(text)) {
    if (text.size() <= 15) {
      size_t i = 0;
      bool neg = false;
      if (text[0] == '-' || text[0] == '+') {
        neg = text[0] == '-';
        i = 1;
      }
      int64_t v = 0;
      for (; i < text.size(); i++) v = v * 10 + (text[i] - '0');
      if (neg) v = -v;
      int64_t m;
      if (unitNs == 1000000000) m = v * 1000;
      else if (unitNs == 1000000) m = v;
      else m = floorDiv(v, 1000000 / unitNs);
      if (!(std::fabs(static_cast<double>(m)) <= MAX_DATE_MS)) return false;
      // "-0" gives -0 in the reference (Number("-0") * unit); keep the sign so event times compare equal.
      ms = (neg && v == 0) ? -0.0 : static_cast<double>(m);
      return true;
    }
    // BigInt path: exact. Past 24 significant digits the instant is beyond MAX_DATE_MS for every unit.
    size_t i = 0;
    bool neg = false;
    if (text[0] == '-' || text[0] == '+') {
      neg = text[0] == '-';
      i = 1;
    }
    while (i < text.size() - 1 && text[i] == '0') i++;
    if (text.size() - i > 24) return false;
    __int128 v = 0;
    for (; i < text.size(); i++) v = v * 10 + (text[i] - '0');
    if (neg) v = -v;
    const __int128 total = v * unitNs;
    __int128 m = total / 1000000;  // truncates toward zero, as BigInt division does
    __int128 sub = total % 1000000;
    if (sub < 0) m -= 1;
    if (m > static_cast<__int128>(8640000000000000LL) || m < -static_cast<__int128>(8640000000000000LL)) return false;
    ms = static_cast<double>(static_cast<int64_t>(m));
    return true;
  }
  if (!isDecimalText(text)) return false;
  const double totalNs = parseDouble(text) * static_cast<double>(unitNs);
  const double m = std::floor(totalNs / 1e6);
  if (!(std::fabs(m) <= MAX_DATE_MS)) return false;
  ms = m;
  return true;
}

// time-strftime.ts compileStrftime's parser
bool parseStrftime(const TimeFormat& f, std::string_view s, double& ms) {
  bool ok;
  if (f.asctime && parseAsctime(s, ok, ms)) return ok;
  int64_t year = 1900, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0, century = 0, yday = 0;
  bool pm = false;
  long j = 0;
  int64_t num = 0;
  const long l = static_cast<long>(s.size());
  const size_t n = f.ops.size();
  for (size_t i = 0; i < n; i++) {
    switch (f.ops[i]) {
      case Literal:
        if (j >= l || static_cast<unsigned char>(s[j]) != f.literals[i]) return false;
        j++;
        break;
      case Year4:
        if ((j = readNumber(s, j, 4, num)) < 0) return false;
        year = num;
        break;
      case Year2:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        year = num < 69 ? num + 2000 : num + 1900;
        break;
      case Century:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        century = num;
        break;
      case YearG2:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        year = num + 2000;
        break;
      case YearG4:
        if ((j = readNumber(s, j, 4, num)) < 0) return false;
        year = num;
        break;
      case Month:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        month = num;
        break;
      case MonthLong:
        if ((j = lookup(s, j, LONG_MONTHS, num)) < 0) return false;
        month = num;
        break;
      case MonthShort:
        if ((j = lookup(s, j, SHORT_MONTHS, num)) < 0) return false;
        month = num;
        break;
      case WeekLong:
        if ((j = lookup(s, j, LONG_WEEK, num)) < 0) return false;
        break;
      case WeekShort:
        if ((j = lookup(s, j, SHORT_WEEK, num)) < 0) return false;
        break;
      case WeekdayW: {
        const int ch = at(s, j);
        if (j >= l || ch < '0' || ch > '6') return false;
        j++;
        break;
      }
      case WeekdayU: {
        const int ch = at(s, j);
        if (j >= l || ch < '1' || ch > '7') return false;
        j++;
        break;
      }
      case WeekNumber:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        break;
      case DayE:
        if (j < l && s[j] == ' ') j++;
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        day = num;
        break;
      case DayD:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        day = num;
        break;
      case YearDay:
        if ((j = readNumber(s, j, 3, num)) < 0) return false;
        yday = num;
        break;
      case HourK:
        if (j < l && s[j] == ' ') j++;
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        hour = num;
        break;
      case HourH:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        hour = num;
        break;
      case HourL:
        if (j < l && s[j] == ' ') j++;
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        hour = num == 12 ? 0 : num;
        break;
      case HourI:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        hour = num == 12 ? 0 : num;
        break;
      case AmPm:
        if ((j = lookup(s, j, AM_PM, num)) < 0) return false;
        pm = num == 2;
        break;
      case Minute:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        minute = num;
        break;
      case Second:
        if ((j = readNumber(s, j, 2, num)) < 0) return false;
        second = num;
        break;
      case UnixSeconds: {
        if ((j = readNumber(s, j, 10, num)) < 0) return false;
        const int64_t days = floorDiv(num, 86400);
        const int64_t rest = num - days * 86400;
        civilFromDays(days, year, month, day);
        hour = rest / 3600;
        minute = (rest / 60) % 60;
        second = rest % 60;
        break;
      }
      case Micro: {
        const long start = j;
        if ((j = readNumber(s, j, 6, num)) < 0) return false;
        int64_t v = num * 1000;
        for (long k = j - start; k < 6; k++) v *= 10;
        nanos = v;
        break;
      }
      case ZoneName: {
        long k = j;
        while (k < l && s[k] >= 'A' && s[k] <= 'Z') k++;
        if (!zoneAbbrevOk(s.substr(j, k - j))) return false;
        offset = 0;
        j = k;
        break;
      }
      case ZoneOffset: {
        if (j + 5 > l) return false;
        const unsigned char sign = s[j];
        if (sign != '+' && sign != '-') return false;
        for (int k = 1; k < 5; k++)
          if (!isDigit(s[j + k])) return false;
        const int64_t hh = (s[j + 1] - '0') * 10 + (s[j + 2] - '0');
        const int64_t mm = (s[j + 3] - '0') * 10 + (s[j + 4] - '0');
        offset = (hh * 60 + mm) * 60 * (sign == '-' ? -1 : 1);
        j += 5;
        break;
      }
      case Space: {
        const long start = j;
        while (j < l) {
          const unsigned char ch = s[j];
          if (ch != ' ' && (ch < 9 || ch > 13)) break;
          j++;
        }
        if (j == start) return false;
        break;
      }
      default:
        return false;
    }
  }
  if (j < l) return false;  // timefmt-go: "unconverted string"
  if (pm) hour += 12;
  if (century > 0) year = century * 100 + (year % 100);
  int64_t m;
  if (yday > 0) {
    m = (daysFromCivil(year, 1, 1) + yday - 1) * 86400000 + civilToMs(1970, 1, 1, hour, minute, second, nanos, offset);
  } else {
    m = civilToMs(year, month, day, hour, minute, second, nanos, offset);
  }
  if (!(std::fabs(static_cast<double>(m)) <= MAX_DATE_MS)) return false;
  ms = static_cast<double>(m);
  return true;
}

}  // namespace zpa
