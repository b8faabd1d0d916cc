#include "util/time.h"

#include <curl/curl.h>

#include <cstdio>

namespace fc {

namespace {
bool read_digits(std::string_view s, size_t pos, size_t count, int *out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}
}  // namespace

bool parse_iso8601_utc(std::string_view s, std::time_t *out) {
  int year, mon, day, hour, min, sec;
  size_t pos;
  bool extended = s.size() > 4 && s[4] == '-';
  if (extended) {  // YYYY-MM-DDTHH:MM:SS[.fff]Z
    if (s.size() < 20 || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
    if (!read_digits(s, 0, 4, &year) || !read_digits(s, 5, 2, &mon) || !read_digits(s, 8, 2, &day) ||
        !read_digits(s, 11, 2, &hour) || !read_digits(s, 14, 2, &min) || !read_digits(s, 17, 2, &sec))
      return false;
    pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos, ++digits;
      if (digits == 0) return false;
    }
  } else {  // YYYYMMDDTHHMMSSZ
    if (s.size() < 16 || s[8] != 'T') return false;
    if (!read_digits(s, 0, 4, &year) || !read_digits(s, 4, 2, &mon) || !read_digits(s, 6, 2, &day) ||
        !read_digits(s, 9, 2, &hour) || !read_digits(s, 11, 2, &min) || !read_digits(s, 13, 2, &sec))
      return false;
    pos = 15;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return false;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return false;
  // timegm normalises 31 Feb into March: refuse dates that do not round-trip.
  struct tm check;
  gmtime_r(&t, &check);
  if (check.tm_mday != day || check.tm_mon != mon - 1) return false;
  *out = t;
  return true;
}

static std::string format_with(std::time_t t, const char *fmt) {
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  return std::string(buf, n);
}

// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm): gmtime_r takes
// glibc's time zone lock and strftime is locale-aware, both visible when signing.
static void civil_from_days(long long z, int *y, int *m, int *d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

bool parse_iso8601_utc_ms(std::string_view text, int64_t *out_ms) {
  std::time_t seconds;
  if (!parse_iso8601_utc(text, &seconds)) return false;
  int64_t ms = 0;
  const size_t dot = text.find('.');
  if (dot != std::string_view::npos) {
    int scale = 100;
    for (size_t i = dot + 1; i < text.size() && text[i] >= '0' && text[i] <= '9' && scale > 0; ++i, scale /= 10)
      ms += (text[i] - '0') * scale;
  }
  *out_ms = static_cast<int64_t>(seconds) * 1000 + ms;
  return true;
}

std::string format_amz_date(std::time_t t) {
  long long days = t / 86400, secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  struct tm tm = {};
  civil_from_days(days, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_hour = static_cast<int>(secs / 3600);
  tm.tm_min = static_cast<int>(secs / 60 % 60);
  tm.tm_sec = static_cast<int>(secs % 60);
  char buf[17];
  auto put = [&buf](int at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) buf[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, tm.tm_year + 1900, 4);
  put(4, tm.tm_mon + 1, 2);
  put(6, tm.tm_mday, 2);
  buf[8] = 'T';
  put(9, tm.tm_hour, 2);
  put(11, tm.tm_min, 2);
  put(13, tm.tm_sec, 2);
  buf[15] = 'Z';
  return std::string(buf, 16);
}
std::string format_iso8601(std::time_t t) { return format_with(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::time_t parse_http_date(const std::string &text) { return curl_getdate(text.c_str(), nullptr); }

}  // namespace fc
