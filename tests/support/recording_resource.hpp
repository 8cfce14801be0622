#pragma once
// A memory_resource that remembers its live blocks, so a test can snapshot every byte a
// structure owns and prove that an operation wrote none of them.

#include <cstddef>
#include <cstring>
#include <map>
#include <memory_resource>
#include <vector>

namespace enlist::test {

class recording_resource final : public std::pmr::memory_resource {
 public:
  // Copies of every live block, keyed by address.
  std::map<const void*, std::vector<std::byte>> snapshot() const {
    std::map<const void*, std::vector<std::byte>> copy;
    for (const auto& [p, bytes] : blocks_) {
      const auto* first = static_cast<const std::byte*>(p);
      copy.emplace(p, std::vector<std::byte>(first, first + bytes));
    }
    return copy;
  }

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    void* p = std::pmr::new_delete_resource()->allocate(bytes, alignment);
    blocks_.emplace(p, bytes);
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    blocks_.erase(p);
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::map<const void*, std::size_t> blocks_;  // single-threaded tests only
};

}  // namespace enlist::test
