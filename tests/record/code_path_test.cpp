// How a frame reads: what is known of it, and nothing made up.
#include "record/code_path.h"

#include <gtest/gtest.h>

using namespace tcpfsm;

TEST(CodePath, AFrameSaysWhatIsKnownOfIt) {
  Frame f;
  f.addr = 0x7f12a0b0c1d2;
  EXPECT_EQ(frame_text(f), "[unknown] 0x7f12a0b0c1d2");
  f.module = "/usr/lib/x86_64-linux-gnu/libfoo.so.1";
  f.module_offset = 0x1234;
  EXPECT_EQ(frame_text(f), "[unknown] (libfoo.so.1+0x1234)");
  f.symbol = "open_billing_connection";
  f.symbol_offset = 0x1a;
  EXPECT_EQ(frame_text(f), "open_billing_connection+0x1a (libfoo.so.1)");
  f.file = "/src/billing/client.c";
  f.line = 42;
  EXPECT_EQ(frame_text(f), "open_billing_connection+0x1a (client.c:42)");
  f.symbol_offset = 0;
  EXPECT_EQ(frame_text(f), "open_billing_connection (client.c:42)");
  Frame jit;
  jit.addr = 0x10010;
  jit.module = kPerfMapModule;
  jit.symbol = "JS:~listen node:net:1";
  jit.symbol_offset = 0x10;
  EXPECT_EQ(frame_text(jit), "JS:~listen node:net:1 (JIT)");
}

TEST(CodePath, OriginsHaveAPhraseAndAName) {
  EXPECT_EQ(origin_phrase(OriginKind::Connect), "connected at");
  EXPECT_EQ(origin_phrase(OriginKind::Listen), "listening at");
  EXPECT_EQ(origin_phrase(OriginKind::Accept), "accepted at");
  EXPECT_EQ(origin_name(OriginKind::Connect), "connect");
  EXPECT_EQ(origin_name(OriginKind::Listen), "listen");
  EXPECT_EQ(origin_name(OriginKind::Accept), "accept");
}
