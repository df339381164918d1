#include "mysql-inspector.h"

#include <algorithm>
#include <cstring>

namespace tlsql {
namespace {

constexpr uint8_t kComQuery = 0x03;
constexpr size_t kMultiPacket = 0xffffff;

inline uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c; }

}  // namespace

MysqlInspector::MysqlInspector(const std::vector<std::string>& keywords) {
  for (const auto& k : keywords) {
    if (k.empty()) continue;
    std::string l(k);
    for (auto& c : l) c = static_cast<char>(lower(static_cast<uint8_t>(c)));
    keywords_.push_back(std::move(l));
  }
}

bool MysqlInspector::matches(const uint8_t* text, size_t n) const {
  for (const auto& k : keywords_) {
    const size_t m = k.size();
    if (m > n) continue;
    const uint8_t first = static_cast<uint8_t>(k[0]);
    for (size_t i = 0; i + m <= n; i++) {
      if (lower(text[i]) != first) continue;
      size_t j = 1;
      while (j < m && lower(text[i + j]) == static_cast<uint8_t>(k[j])) j++;
      if (j == m) return true;
    }
  }
  return false;
}

size_t MysqlInspector::process(const uint8_t* in, size_t n, std::vector<uint8_t>& out, HeldCommand& held) {
  size_t off = 0;
  while (off < n) {
    if (passRemaining_ > 0) {
      size_t take = std::min(passRemaining_, n - off);
      out.insert(out.end(), in + off, in + off + take);
      passRemaining_ -= take;
      off += take;
      continue;
    }
    if (collecting_) {
      size_t take = std::min(collectRemaining_, n - off);
      packet_.insert(packet_.end(), in + off, in + off + take);
      collectRemaining_ -= take;
      off += take;
      if (collectRemaining_ > 0) continue;
      collecting_ = false;
      const uint8_t* payload = packet_.data() + 4;
      const size_t length = packet_.size() - 4;
      bool hold = holdNext_ || (payload[0] == kComQuery && matches(payload + 1, length - 1));
      if (hold) {
        holdNext_ = false;
        held.held = true;
        held.partial = false;
        held.packet = std::move(packet_);
        packet_ = std::vector<uint8_t>();
        return off;
      }
      out.insert(out.end(), packet_.begin(), packet_.end());
      packet_.clear();
      continue;
    }
    size_t take = std::min<size_t>(4 - headerFill_, n - off);
    std::memcpy(header_ + headerFill_, in + off, take);
    headerFill_ += take;
    off += take;
    if (headerFill_ < 4) break;
    headerFill_ = 0;
    const size_t length = static_cast<size_t>(header_[0]) | static_cast<size_t>(header_[1]) << 8 | static_cast<size_t>(header_[2]) << 16;
    const bool startsCommand = header_[3] == 0 && !continuation_;
    continuation_ = length == kMultiPacket;
    if (startsCommand && length > 0 && length <= kMaxHeldPayload) {
      collecting_ = true;
      collectRemaining_ = length;
      packet_.assign(header_, header_ + 4);
      packet_.reserve(4 + length);
    } else if (startsCommand && length > 0 && holdNext_) {
      holdNext_ = false;
      held.held = true;
      held.partial = true;
      held.packet.assign(header_, header_ + 4);
      passRemaining_ = length;
      return off;
    } else {
      out.insert(out.end(), header_, header_ + 4);
      passRemaining_ = length;
    }
  }
  return off;
}

}  // namespace tlsql
