#include "enlist/status.hpp"

namespace enlist {

namespace {

struct status_text {
  hresult code;
  std::string_view name;
  std::string_view message;
};

constexpr status_text texts[] = {
    {S_OK, "S_OK", "success"},
    {SYNC_E_INVALID_OPERATION, "SYNC_E_INVALID_OPERATION",
     "invalid operation: the session has no matching BeginSession, is already enlisted, or the "
     "provider is at its session capacity"},
    {E_POINTER, "E_POINTER", "the session-state pointer is null"},
    {E_INVALIDARG, "E_INVALIDARG",
     "invalid argument: the role is neither source (0) nor destination (1)"},
    {E_OUTOFMEMORY, "E_OUTOFMEMORY",
     "out of memory: the registry could not grow; no enlisted session was lost"},
    {E_ABORT, "E_ABORT", "the registry has been shut down"},
    {SYNC_E_INTERNAL_ERROR, "SYNC_E_INTERNAL_ERROR", "internal error: a broken invariant"},
};

const status_text* find_text(hresult hr) noexcept {
  for (const status_text& t : texts) {
    if (t.code == hr) return &t;
  }
  return nullptr;
}

}  // namespace

std::string_view status_name(hresult hr) noexcept {
  const status_text* t = find_text(hr);
  return t != nullptr ? t->name : "unknown HRESULT";
}

std::string_view status_message(hresult hr) noexcept {
  const status_text* t = find_text(hr);
  return t != nullptr ? t->message : "unknown status code";
}

}  // namespace enlist
