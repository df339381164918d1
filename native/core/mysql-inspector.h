// Frames the client -> engine byte stream of a relayed session into MySQL packets (3-byte
// little-endian length + sequence id) and holds back, for JavaScript to inspect, the commands that
// may need it. Pure logic over byte spans: the fuzz harness drives it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tlsql {

/** A command held back by the inspector. */
struct HeldCommand {
  bool held = false;
  /** Only the 4-byte header is held (the command is larger than the inspection limit); its payload streams after the answer. */
  bool partial = false;
  /** Header + payload (or the header alone when partial). */
  std::vector<uint8_t> packet;
};

/**
 * What is held: the first packet of a command (sequence id 0, not the continuation of a 16 MiB
 * packet) that is a COM_QUERY of at most `kMaxHeldPayload` bytes containing one of the keywords
 * (ASCII case-insensitive), or any next command after `holdNextCommand()`. Everything else is
 * forwarded as it arrives; the only bytes kept are those of a command still being collected (at
 * most kMaxHeldPayload + 4).
 */
class MysqlInspector {
 public:
  /** Largest command payload collected for inspection (the limit src/dataplane/session.ts inspects). */
  static constexpr size_t kMaxHeldPayload = 64 * 1024;

  explicit MysqlInspector(const std::vector<std::string>& keywords);

  /**
   * Consumes bytes from `in`, appending what is to be forwarded to `out`. Stops right after a
   * held command (filling `held`) and returns the number of bytes consumed; the caller feeds the
   * rest again once the held command is answered.
   */
  size_t process(const uint8_t* in, size_t n, std::vector<uint8_t>& out, HeldCommand& held);

  /** The next command is held whatever it contains (a partial hold when it is too large). */
  void holdNextCommand() { holdNext_ = true; }

  /** Bytes consumed and not yet forwarded: an incomplete header or a command still being collected. */
  size_t pendingBytes() const { return headerFill_ + (collecting_ ? packet_.size() : 0); }

  /** Whether `text` contains a keyword, ASCII case-insensitively. */
  bool matches(const uint8_t* text, size_t n) const;

 private:
  std::vector<std::string> keywords_;  // lowercase
  uint8_t header_[4] = {0, 0, 0, 0};
  size_t headerFill_ = 0;
  size_t passRemaining_ = 0;
  bool collecting_ = false;
  size_t collectRemaining_ = 0;
  std::vector<uint8_t> packet_;
  /** The previous packet had the maximum length: the next one continues it. */
  bool continuation_ = false;
  bool holdNext_ = false;
};

}  // namespace tlsql
