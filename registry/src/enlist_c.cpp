// The C interface (enlist.h) over basic_registry with a policy that calls the C vtable.

#include <new>

#include "enlist/enlist.h"
#include "enlist/registry.hpp"
#include "enlist/status.hpp"

namespace {

struct c_state_policy {
  using state_type = enlist_session_state;
  static void add_ref(enlist_session_state* state) noexcept { state->vtbl->add_ref(state); }
  static void release(enlist_session_state* state) noexcept { state->vtbl->release(state); }
  static bool is_canceled(const enlist_session_state* state) noexcept {
    return state->vtbl->is_canceled(state) != 0;
  }
};

using c_registry = enlist::basic_registry<c_state_policy>;

// The C constants must be the C++ ones.
static_assert(ENLIST_S_OK == enlist::S_OK);
static_assert(ENLIST_SYNC_E_INVALID_OPERATION == enlist::SYNC_E_INVALID_OPERATION);
static_assert(ENLIST_E_POINTER == enlist::E_POINTER);
static_assert(ENLIST_E_INVALIDARG == enlist::E_INVALIDARG);
static_assert(ENLIST_E_OUTOFMEMORY == enlist::E_OUTOFMEMORY);
static_assert(ENLIST_E_ABORT == enlist::E_ABORT);
static_assert(ENLIST_SYNC_E_INTERNAL_ERROR == enlist::SYNC_E_INTERNAL_ERROR);
static_assert(ENLIST_UNLIMITED == enlist::registry_options::unlimited);

c_registry* cast(enlist_registry* registry) noexcept {
  return reinterpret_cast<c_registry*>(registry);
}
const c_registry* cast(const enlist_registry* registry) noexcept {
  return reinterpret_cast<const c_registry*>(registry);
}

enlist_hresult report(const enlist::sweep_result& result, size_t* count) noexcept {
  if (count != nullptr) *count = result.count;
  return result.status;
}

}  // namespace

extern "C" {

enlist_hresult enlist_registry_create(size_t capacity, enlist_registry** out) {
  if (out == nullptr) return ENLIST_E_POINTER;
  *out = nullptr;
  try {
    *out = reinterpret_cast<enlist_registry*>(new c_registry({.capacity = capacity}));
  } catch (const std::bad_alloc&) {
    return ENLIST_E_OUTOFMEMORY;
  }
  return ENLIST_S_OK;
}

void enlist_registry_destroy(enlist_registry* registry) {
  delete cast(registry);
}

enlist_hresult enlist_begin_session(enlist_registry* registry, int32_t role,
                                    enlist_session_state* state) {
  if (registry == nullptr) return ENLIST_E_POINTER;
  return cast(registry)->begin(static_cast<enlist::sync_provider_role>(role), state);
}

enlist_hresult enlist_end_session(enlist_registry* registry, enlist_session_state* state) {
  if (registry == nullptr) return ENLIST_E_POINTER;
  return cast(registry)->end(state);
}

int enlist_is_enlisted(const enlist_registry* registry, const enlist_session_state* state) {
  return registry != nullptr && cast(registry)->is_enlisted(state) ? 1 : 0;
}

size_t enlist_registry_size(const enlist_registry* registry) {
  return registry != nullptr ? cast(registry)->size() : 0;
}

enlist_hresult enlist_end_canceled(enlist_registry* registry, size_t* ended) {
  if (registry == nullptr) return ENLIST_E_POINTER;
  return report(cast(registry)->end_canceled(), ended);
}

enlist_hresult enlist_end_all(enlist_registry* registry, size_t* ended) {
  if (registry == nullptr) return ENLIST_E_POINTER;
  return report(cast(registry)->end_all(), ended);
}

enlist_hresult enlist_shutdown(enlist_registry* registry) {
  if (registry == nullptr) return ENLIST_E_POINTER;
  return cast(registry)->shutdown();
}

const char* enlist_status_name(enlist_hresult hr) {
  // The texts are string literals: their data is null-terminated.
  return enlist::status_name(hr).data();
}

const char* enlist_status_message(enlist_hresult hr) {
  return enlist::status_message(hr).data();
}

}  // extern "C"
