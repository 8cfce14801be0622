// Stack switching for the deterministic scheduler (fiber_context.hpp).
//
// Frame a switch leaves on the stack it leaves (lowest address first), which fiber_prepare
// forges for a fiber's first entry:
//   x86-64:  mxcsr+x87 control word (8 bytes), r15, r14, r13, r12, rbx, rbp, return address
//   AArch64: x19..x28, x29 (frame pointer), x30 (return address), d8..d15
// A fresh fiber's frame holds the entry and its argument in callee-saved registers (r12/r13,
// x19/x20) and returns into a trampoline that moves the argument into place and calls entry.
// On Windows the system's fibers do all of this.

#include "schedule/fiber_context.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && !defined(_WIN32)

extern "C" void enlist_fiber_switch(void** save_stack_pointer, void* load_stack_pointer);
extern "C" void enlist_fiber_trampoline();

asm(R"(
  .pushsection .text
  .globl enlist_fiber_switch
  .type enlist_fiber_switch, @function
enlist_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size enlist_fiber_switch, .-enlist_fiber_switch

  .globl enlist_fiber_trampoline
  .type enlist_fiber_trampoline, @function
enlist_fiber_trampoline:
  movq %r13, %rdi
  callq *%r12
  ud2
  .size enlist_fiber_trampoline, .-enlist_fiber_trampoline
  .popsection
)");

namespace enlist::test {

void fiber_prepare(fiber_context& context, void* stack, std::size_t bytes, void (*entry)(void*),
                   void* argument) noexcept {
  // The trampoline is entered by `ret` with rsp 16-byte aligned, so its `call` pushes the return
  // address onto an aligned stack and entry starts with rsp + 8 aligned, as the ABI wants.
  auto top =
      reinterpret_cast<std::uintptr_t>(static_cast<char*>(stack) + bytes) & ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<std::uint64_t*>(top) - 10;
  std::memset(frame, 0, 10 * sizeof(std::uint64_t));
  std::uint32_t control[2] = {0x1f80, 0x037f};  // default MXCSR and x87 control word
  std::memcpy(&frame[0], control, sizeof control);
  frame[1] = 0;                                          // r15
  frame[2] = 0;                                          // r14
  frame[3] = reinterpret_cast<std::uint64_t>(argument);  // r13
  frame[4] = reinterpret_cast<std::uint64_t>(entry);     // r12
  frame[5] = 0;                                          // rbx
  frame[6] = 0;                                          // rbp
  frame[7] = reinterpret_cast<std::uint64_t>(&enlist_fiber_trampoline);
  context.stack_pointer = frame;
}

void fiber_switch(fiber_context& from, fiber_context& to) noexcept {
  enlist_fiber_switch(&from.stack_pointer, to.stack_pointer);
}

}  // namespace enlist::test

#elif defined(__aarch64__) && !defined(_WIN32)

extern "C" void enlist_fiber_switch(void** save_stack_pointer, void* load_stack_pointer);
extern "C" void enlist_fiber_trampoline();

asm(R"(
  .pushsection .text
  .globl enlist_fiber_switch
  .type enlist_fiber_switch, %function
enlist_fiber_switch:
  sub sp, sp, #160
  stp x19, x20, [sp, #0]
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mov x2, sp
  str x2, [x0]
  mov sp, x1
  ldp x19, x20, [sp, #0]
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp x29, x30, [sp, #80]
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  add sp, sp, #160
  ret
  .size enlist_fiber_switch, .-enlist_fiber_switch

  .globl enlist_fiber_trampoline
  .type enlist_fiber_trampoline, %function
enlist_fiber_trampoline:
  mov x0, x20
  blr x19
  brk #0
  .size enlist_fiber_trampoline, .-enlist_fiber_trampoline
  .popsection
)");

namespace enlist::test {

void fiber_prepare(fiber_context& context, void* stack, std::size_t bytes, void (*entry)(void*),
                   void* argument) noexcept {
  auto top =
      reinterpret_cast<std::uintptr_t>(static_cast<char*>(stack) + bytes) & ~std::uintptr_t{15};
  auto* frame = reinterpret_cast<std::uint64_t*>(top) - 20;  // 160 bytes, as the switch saves
  std::memset(frame, 0, 20 * sizeof(std::uint64_t));
  frame[0] = reinterpret_cast<std::uint64_t>(entry);                      // x19
  frame[1] = reinterpret_cast<std::uint64_t>(argument);                   // x20
  frame[11] = reinterpret_cast<std::uint64_t>(&enlist_fiber_trampoline);  // x30
  context.stack_pointer = frame;
}

void fiber_switch(fiber_context& from, fiber_context& to) noexcept {
  enlist_fiber_switch(&from.stack_pointer, to.stack_pointer);
}

}  // namespace enlist::test

#elif defined(_WIN32)

#include <windows.h>

#include <cstdlib>

namespace enlist::test {

namespace {

void WINAPI fiber_start(void* context) {
  const auto& c = *static_cast<const fiber_context*>(context);
  c.entry(c.argument);
}

}  // namespace

void fiber_prepare(fiber_context& context, void*, std::size_t bytes, void (*entry)(void*),
                   void* argument) noexcept {
  // A finished fiber is never running (its entry switched away for good): delete it.
  if (context.stack_pointer != nullptr) DeleteFiber(context.stack_pointer);
  context.entry = entry;
  context.argument = argument;
  context.stack_pointer = CreateFiber(bytes, &fiber_start, &context);
  if (context.stack_pointer == nullptr) std::abort();
}

void fiber_switch(fiber_context& from, fiber_context& to) noexcept {
  // The running context, as a fiber: a thread's first switch away makes it one, so that it can
  // be switched back to. Refreshed on every switch, so that a run started from another thread
  // returns to that thread.
  {
    // GetCurrentFiber reads the thread block through a zero-length array, which GCC's array
    // bounds check mistakes for an overrun (MinGW-w64's intrin-impl.h).
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
    from.stack_pointer = IsThreadAFiber() ? GetCurrentFiber() : ConvertThreadToFiber(nullptr);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    if (from.stack_pointer == nullptr) std::abort();
  }
  SwitchToFiber(to.stack_pointer);
}

}  // namespace enlist::test

#else
#error "the deterministic scheduler switches stacks on x86-64, AArch64 and Windows only"
#endif
