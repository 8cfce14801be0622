#pragma once
// Status codes of the session contract: the exact HRESULT values of Windows Sync, as 32-bit
// signed integers so that failed(hr) is hr < 0, as in COM.
//
// The names are the ones of the contract (S_OK, E_POINTER...), as constants in namespace enlist.
// windows.h defines the same names as macros, with the same values. This header sets the macros
// aside while it declares the constants, so it compiles before or after windows.h; after
// windows.h, a name in code means the macro (write `S_OK`, not `enlist::S_OK`), which compares
// equal to the constant.

#include <cstdint>
#include <string_view>

namespace enlist {

using hresult = std::int32_t;

namespace detail {
// The HRESULT values are documented as unsigned hex; their 32-bit pattern is what counts.
constexpr hresult from_bits(std::uint32_t bits) noexcept {
  return static_cast<hresult>(bits);
}
}  // namespace detail

#pragma push_macro("S_OK")
#undef S_OK
#pragma push_macro("SYNC_E_INVALID_OPERATION")
#undef SYNC_E_INVALID_OPERATION
#pragma push_macro("SYNC_E_INVALIDOPERATION")
#undef SYNC_E_INVALIDOPERATION
#pragma push_macro("E_POINTER")
#undef E_POINTER
#pragma push_macro("E_INVALIDARG")
#undef E_INVALIDARG
#pragma push_macro("E_OUTOFMEMORY")
#undef E_OUTOFMEMORY
#pragma push_macro("E_ABORT")
#undef E_ABORT
#pragma push_macro("SYNC_E_INTERNAL_ERROR")
#undef SYNC_E_INTERNAL_ERROR

inline constexpr hresult S_OK = 0;
// End without begin; begin of a session already enlisted; begin at capacity.
inline constexpr hresult SYNC_E_INVALID_OPERATION = detail::from_bits(0x80041001U);
// The spelling of the IKnowledgeSyncProvider::EndSession page (same value).
inline constexpr hresult SYNC_E_INVALIDOPERATION = SYNC_E_INVALID_OPERATION;
inline constexpr hresult E_POINTER = detail::from_bits(0x80004003U);
inline constexpr hresult E_INVALIDARG = detail::from_bits(0x80070057U);
inline constexpr hresult E_OUTOFMEMORY = detail::from_bits(0x8007000EU);
inline constexpr hresult E_ABORT = detail::from_bits(0x80004004U);
// Declared because the Sync codes a provider may return include it and a caller may compare
// against it; enlist itself has no run-time path that returns it.
inline constexpr hresult SYNC_E_INTERNAL_ERROR = detail::from_bits(0x8004101DU);

#pragma pop_macro("S_OK")
#pragma pop_macro("SYNC_E_INVALID_OPERATION")
#pragma pop_macro("SYNC_E_INVALIDOPERATION")
#pragma pop_macro("E_POINTER")
#pragma pop_macro("E_INVALIDARG")
#pragma pop_macro("E_OUTOFMEMORY")
#pragma pop_macro("E_ABORT")
#pragma pop_macro("SYNC_E_INTERNAL_ERROR")

constexpr bool succeeded(hresult hr) noexcept {
  return hr >= 0;
}
constexpr bool failed(hresult hr) noexcept {
  return hr < 0;
}

// The constant's name ("SYNC_E_INVALID_OPERATION"), or "unknown HRESULT".
std::string_view status_name(hresult hr) noexcept;

// One sentence saying what the code means for a session registry, or "unknown status code".
std::string_view status_message(hresult hr) noexcept;

}  // namespace enlist
