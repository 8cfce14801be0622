#pragma once
// Status codes of the session contract: the exact HRESULT values of Windows Sync, as 32-bit
// signed integers so that failed(hr) is hr < 0, as in COM.
//
// The names are the ones of the contract (S_OK, E_POINTER...), as constants in namespace enlist.
// windows.h defines the same names as macros; a translation unit that includes both must include
// this header first or spell the values through the C header (enlist.h, ENLIST_-prefixed).

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
