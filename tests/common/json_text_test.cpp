#include "common/json_text.h"

#include <gtest/gtest.h>

#include <string>

using namespace tcpfsm;

TEST(Rfc3339, ReadsWhatIsWritten) {
  for (std::uint64_t ns :
       {std::uint64_t{0}, 1ul, 1'795'000'000'123'456'789ul, 951'782'400'000'000'000ul /* 2000-02-29 */, UINT64_MAX}) {
    std::string s;
    json::append_rfc3339(s, ns);
    EXPECT_EQ(json::parse_rfc3339(s), ns) << s;
  }
}

TEST(Rfc3339, FractionOfAnyLength) {
  EXPECT_EQ(json::parse_rfc3339("1970-01-01T00:00:01Z"), 1'000'000'000u);
  EXPECT_EQ(json::parse_rfc3339("1970-01-01T00:00:01.5Z"), 1'500'000'000u);
  EXPECT_EQ(json::parse_rfc3339("1970-01-01T00:01:00.000001Z"), 60'000'001'000u);
  EXPECT_EQ(json::parse_rfc3339("2026-11-21T07:42:31.123456789Z"), 1'795'246'951'123'456'789u);
}

TEST(Rfc3339, AnythingElseIsNothing) {
  for (const char* bad :
       {"", "x", "2026-11-21T07:42:31", "2026-11-21 07:42:31Z", "2026-11-21T07:42:31.Z",
        "2026-11-21T07:42:31.1234567890Z", "2026-11-21T07:42:31+00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-21T24:00:00Z", "2026-11-21T07:60:00Z", "1969-12-31T23:59:59Z", "2585-01-01T00:00:00Z",
        "2026-11-21T07:42:31.1a3Z", "+026-11-21T07:42:31Z", "2026-11-21T07:42:31ZZ"})
    EXPECT_EQ(json::parse_rfc3339(bad), std::nullopt) << bad;
}
