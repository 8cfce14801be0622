/* The C interface, from C: a provider's own state struct with a C vtable, every call of enlist.h
 * and the reference balance. Exits non-zero (naming the failed check) on any failure. */

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "enlist/enlist.h"

static int failures = 0;

#define CHECK(condition)                                                            \
  do {                                                                              \
    if (!(condition)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

/* A C provider's session state: the enlist header first, then the provider's own fields. */
struct job {
  enlist_session_state base;
  atomic_uint refs;
  int canceled;
  int destroyed;
};

static atomic_uint add_refs = 0;
static atomic_uint releases = 0;

static uint32_t job_add_ref(enlist_session_state* self) {
  struct job* j = (struct job*)self;
  atomic_fetch_add(&add_refs, 1);
  return atomic_fetch_add(&j->refs, 1) + 1;
}

static uint32_t job_release(enlist_session_state* self) {
  struct job* j = (struct job*)self;
  atomic_fetch_add(&releases, 1);
  const uint32_t left = atomic_fetch_sub(&j->refs, 1) - 1;
  if (left == 0) j->destroyed = 1; /* storage is the test's: a flag instead of free */
  return left;
}

static int job_is_canceled(const enlist_session_state* self) {
  return ((const struct job*)self)->canceled;
}

static const enlist_session_state_vtbl job_vtbl = {job_add_ref, job_release, job_is_canceled};

static void job_init(struct job* j) {
  j->base.vtbl = &job_vtbl;
  atomic_init(&j->refs, 1); /* the test's own reference */
  j->canceled = 0;
  j->destroyed = 0;
}

int main(void) {
  struct job jobs[4];
  for (int i = 0; i < 4; ++i)
    job_init(&jobs[i]);

  CHECK(enlist_registry_create(ENLIST_UNLIMITED, NULL) == ENLIST_E_POINTER);
  CHECK(enlist_begin_session(NULL, ENLIST_ROLE_SOURCE, &jobs[0].base) == ENLIST_E_POINTER);

  enlist_registry* sessions = NULL;
  CHECK(enlist_registry_create(ENLIST_UNLIMITED, &sessions) == ENLIST_S_OK);
  CHECK(sessions != NULL);

  /* A state at an odd address is refused by every call before the registry touches it: no
   * reference taken, none released (it used to be begun, then released twice). */
  {
    static unsigned char raw[2 * sizeof(struct job)];
    enlist_session_state* odd = (enlist_session_state*)(void*)(raw + 1);
    const unsigned add_refs_before = atomic_load(&add_refs);
    const unsigned releases_before = atomic_load(&releases);
    size_t ended_odd = 99;
    CHECK(enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, odd) == ENLIST_E_INVALIDARG);
    CHECK(!enlist_is_enlisted(sessions, odd));
    CHECK(enlist_end_canceled(sessions, &ended_odd) == ENLIST_S_OK);
    CHECK(ended_odd == 0);
    CHECK(enlist_end_session(sessions, odd) == ENLIST_E_INVALIDARG);
    CHECK(atomic_load(&add_refs) == add_refs_before);
    CHECK(atomic_load(&releases) == releases_before);
  }

  CHECK(enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, &jobs[0].base) == ENLIST_S_OK);
  CHECK(atomic_load(&jobs[0].refs) == 2);
  CHECK(enlist_is_enlisted(sessions, &jobs[0].base));
  CHECK(enlist_begin_session(sessions, ENLIST_ROLE_DESTINATION, &jobs[0].base) ==
        ENLIST_SYNC_E_INVALID_OPERATION);
  CHECK(enlist_begin_session(sessions, 2, &jobs[1].base) == ENLIST_E_INVALIDARG);
  CHECK(enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, NULL) == ENLIST_E_POINTER);
  CHECK(enlist_end_session(sessions, &jobs[1].base) == ENLIST_SYNC_E_INVALIDOPERATION);
  CHECK(enlist_end_session(sessions, NULL) == ENLIST_E_POINTER);
  CHECK(enlist_end_session(sessions, &jobs[0].base) == ENLIST_S_OK);
  CHECK(atomic_load(&jobs[0].refs) == 1);
  CHECK(enlist_end_session(sessions, &jobs[0].base) == ENLIST_SYNC_E_INVALID_OPERATION);

  for (int i = 0; i < 4; ++i) {
    CHECK(enlist_begin_session(sessions, i % 2, &jobs[i].base) == ENLIST_S_OK);
  }
  CHECK(enlist_registry_size(sessions) == 4);
  jobs[2].canceled = 1;
  size_t ended = 0;
  CHECK(enlist_end_canceled(sessions, &ended) == ENLIST_S_OK);
  CHECK(ended == 1);
  CHECK(!enlist_is_enlisted(sessions, &jobs[2].base));
  CHECK(enlist_end_all(sessions, &ended) == ENLIST_S_OK);
  CHECK(ended == 3);
  CHECK(enlist_registry_size(sessions) == 0);

  CHECK(enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, &jobs[3].base) == ENLIST_S_OK);
  CHECK(enlist_shutdown(sessions) == ENLIST_S_OK);
  CHECK(atomic_load(&jobs[3].refs) == 1);
  CHECK(enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, &jobs[3].base) == ENLIST_E_ABORT);
  CHECK(enlist_end_session(sessions, &jobs[3].base) == ENLIST_E_ABORT);
  CHECK(enlist_end_all(sessions, NULL) == ENLIST_E_ABORT);
  enlist_registry_destroy(sessions);

  /* Capacity 1, and a registry destroyed with a session still enlisted. */
  CHECK(enlist_registry_create(1, &sessions) == ENLIST_S_OK);
  CHECK(enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, &jobs[0].base) == ENLIST_S_OK);
  CHECK(enlist_begin_session(sessions, ENLIST_ROLE_SOURCE, &jobs[1].base) ==
        ENLIST_SYNC_E_INVALID_OPERATION);
  enlist_registry_destroy(sessions);
  enlist_registry_destroy(NULL);

  CHECK(ENLIST_FAILED(ENLIST_E_ABORT) && ENLIST_SUCCEEDED(ENLIST_S_OK));
  CHECK(strcmp(enlist_status_name(ENLIST_SYNC_E_INVALID_OPERATION), "SYNC_E_INVALID_OPERATION") ==
        0);
  CHECK(strlen(enlist_status_message(ENLIST_E_OUTOFMEMORY)) > 0);

  CHECK(atomic_load(&add_refs) == atomic_load(&releases));
  for (int i = 0; i < 4; ++i) {
    CHECK(atomic_load(&jobs[i].refs) == 1);
    CHECK(!jobs[i].destroyed);
  }
  if (failures == 0) printf("c_api_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
