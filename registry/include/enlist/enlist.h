/* enlist's C interface: a session registry for providers written in C (or reached through a C
 * FFI). Same contract and guarantees as enlist/registry.hpp; status codes are the HRESULT values
 * of enlist/status.hpp.
 *
 * A C provider supplies its session state as a struct whose first member points to a table of
 * three functions, like a COM vtable:
 *
 *     static uint32_t job_add_ref(enlist_session_state* s) { ... }
 *     static uint32_t job_release(enlist_session_state* s) { ...free at zero...; }
 *     static int job_is_canceled(const enlist_session_state* s) { ... }
 *     static const enlist_session_state_vtbl job_vtbl = {job_add_ref, job_release,
 *                                                        job_is_canceled};
 *     struct job { enlist_session_state base; atomic_uint refs; ... };   // base.vtbl = &job_vtbl
 *
 *     enlist_registry* sessions;
 *     if (enlist_registry_create(ENLIST_UNLIMITED, &sessions) != ENLIST_S_OK) ...;
 *     enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, &job->base);   // ENLIST_S_OK
 *     enlist_end_session(sessions, &job->base);                          // ENLIST_S_OK
 *     enlist_registry_destroy(sessions);                                 // ends what is left
 *
 * release must not block or fail: it runs on the end path. */
#ifndef ENLIST_ENLIST_H
#define ENLIST_ENLIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t enlist_hresult;

#define ENLIST_S_OK ((enlist_hresult)0)
#define ENLIST_SYNC_E_INVALID_OPERATION ((enlist_hresult)0x80041001)
#define ENLIST_SYNC_E_INVALIDOPERATION ENLIST_SYNC_E_INVALID_OPERATION
#define ENLIST_E_POINTER ((enlist_hresult)0x80004003)
#define ENLIST_E_INVALIDARG ((enlist_hresult)0x80070057)
#define ENLIST_E_OUTOFMEMORY ((enlist_hresult)0x8007000E)
#define ENLIST_E_ABORT ((enlist_hresult)0x80004004)
#define ENLIST_SYNC_E_INTERNAL_ERROR ((enlist_hresult)0x8004101D)

#define ENLIST_SUCCEEDED(hr) ((enlist_hresult)(hr) >= 0)
#define ENLIST_FAILED(hr) ((enlist_hresult)(hr) < 0)

/* SYNC_PROVIDER_ROLE */
#define ENLIST_ROLE_SOURCE 0
#define ENLIST_ROLE_DESTINATION 1

/* Capacity of a registry without a limit. */
#define ENLIST_UNLIMITED ((size_t)-1)

typedef struct enlist_session_state enlist_session_state;

typedef struct enlist_session_state_vtbl {
  /* Takes a reference; returns the new count. */
  uint32_t (*add_ref)(enlist_session_state* self);
  /* Drops a reference, destroying the state at zero; returns the new count. */
  uint32_t (*release)(enlist_session_state* self);
  /* Nonzero when the session was canceled. */
  int (*is_canceled)(const enlist_session_state* self);
} enlist_session_state_vtbl;

/* The first member of a provider's state struct; the struct's address is the session's identity
 * and must be at least 2-aligned (any struct holding a pointer is) and below 2^56 (every
 * user-space address is): begin and end refuse any other address with ENLIST_E_INVALIDARG
 * before touching the state. */
struct enlist_session_state {
  const enlist_session_state_vtbl* vtbl;
};

typedef struct enlist_registry enlist_registry;

/* Creates a registry holding at most `capacity` sessions (1: one session per provider;
 * ENLIST_UNLIMITED: no limit). ENLIST_S_OK, ENLIST_E_POINTER (out is NULL) or
 * ENLIST_E_OUTOFMEMORY. */
enlist_hresult enlist_registry_create(size_t capacity, enlist_registry** out);

/* Ends every session still enlisted and frees the registry. No call on it may be running. */
void enlist_registry_destroy(enlist_registry* registry);

/* BeginSession / EndSession. A NULL registry is ENLIST_E_POINTER. */
enlist_hresult enlist_begin_session(enlist_registry* registry, int32_t role,
                                    enlist_session_state* state);
enlist_hresult enlist_end_session(enlist_registry* registry, enlist_session_state* state);

/* Nonzero when `state` is enlisted at the instant of the call (an answer, not a promise). */
int enlist_is_enlisted(const enlist_registry* registry, const enlist_session_state* state);

/* Sessions enlisted; weakly consistent while calls run. 0 for a NULL registry. */
size_t enlist_registry_size(const enlist_registry* registry);

/* End every canceled session, or every session; `ended` (may be NULL) receives how many.
 * ENLIST_E_OUTOFMEMORY when memory ran out: enlist_end_canceled then ended nothing (it could not
 * finish a migration of the registry's table), and enlist_end_all left enlisted the sessions
 * whose end met that migration (as enlist_end_session would). */
enlist_hresult enlist_end_canceled(enlist_registry* registry, size_t* ended);
enlist_hresult enlist_end_all(enlist_registry* registry, size_t* ended);

/* Ends every session; every later call on the registry returns ENLIST_E_ABORT. Returns
 * ENLIST_E_OUTOFMEMORY, shut down all the same, when a session could not be ended for want of
 * memory; enlist_registry_destroy releases it. */
enlist_hresult enlist_shutdown(enlist_registry* registry);

/* Name ("SYNC_E_INVALID_OPERATION") and one-sentence meaning of a status code; static strings. */
const char* enlist_status_name(enlist_hresult hr);
const char* enlist_status_message(enlist_hresult hr);

#ifdef __cplusplus
}
#endif

#endif /* ENLIST_ENLIST_H */
