#pragma once
// libFuzzer's entry point, declared once: each harness defines it, and fuzz_replay_main.cpp (or
// libFuzzer) calls it.

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
