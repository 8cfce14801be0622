#pragma once
// The one machine-dependent piece of the deterministic scheduler: switching the CPU from one
// stack to another. A switch saves the callee-saved registers of the running context on its
// stack, stores its stack pointer, loads the other's and returns there: a function call that
// returns in another fiber. No system call (glibc's swapcontext makes one per switch, to save the
// signal mask, which the scheduler does not need and which made switching the dominant cost of a
// scheduled test). Implemented for x86-64 (System V) and AArch64; on Windows with the system's
// fibers (CreateFiber, SwitchToFiber), which also keep the thread's stack bounds and exception
// chain right for the stack that runs, as Windows requires.

#include <cstddef>

namespace enlist::test {

struct fiber_context {
  void* stack_pointer = nullptr;  // on Windows: the fiber
#if defined(_WIN32)
  void (*entry)(void*) = nullptr;
  void* argument = nullptr;
#endif
};

// Makes `context` start entry(argument) on the stack [stack, stack + bytes) when it is first
// switched to. entry must never return: it ends by switching away for good. On Windows the fiber
// gets a stack of `bytes` from the system and `stack` is not used (it may be null).
void fiber_prepare(fiber_context& context, void* stack, std::size_t bytes, void (*entry)(void*),
                   void* argument) noexcept;

// Saves the running context in `from` and resumes `to`; returns when something switches back.
void fiber_switch(fiber_context& from, fiber_context& to) noexcept;

}  // namespace enlist::test
