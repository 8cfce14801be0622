#pragma once
// A memory_resource for tests: counts what is outstanding (a leak or a missed reclamation shows
// as bytes that never come back) and fails on demand (allocation-fault injection).

#include <atomic>
#include <cstddef>
#include <memory_resource>
#include <new>

namespace enlist::test {

class counting_resource final : public std::pmr::memory_resource {
 public:
  std::size_t outstanding_bytes() const { return outstanding_.load(); }
  std::size_t allocations() const { return allocations_.load(); }
  std::size_t failed_allocations() const { return failures_.load(); }

  // While set, every allocation throws std::bad_alloc.
  void fail_allocations(bool fail) { failing_.store(fail); }

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    if (failing_.load()) {
      failures_.fetch_add(1);
      throw std::bad_alloc();
    }
    void* p = std::pmr::new_delete_resource()->allocate(bytes, alignment);
    outstanding_.fetch_add(bytes);
    allocations_.fetch_add(1);
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    outstanding_.fetch_sub(bytes);
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::atomic<std::size_t> outstanding_{0};
  std::atomic<std::size_t> allocations_{0};
  std::atomic<std::size_t> failures_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace enlist::test
