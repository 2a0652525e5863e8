/* thread: the small private threads layer the thread-safe WAL writer needs:
 * a mutex and a condition variable over pthreads or Win32 (SRWLOCK +
 * CONDITION_VARIABLE, Vista and later). EP_NO_THREADS compiles it down to
 * no-ops (single-threaded builds, bare-metal targets); EP__HAVE_THREADS
 * says which one this build has. Nothing here is public API. */
#ifndef EP_THREAD_H
#define EP_THREAD_H

#include "base/internal.h"

#if defined(EP_NO_THREADS)
#  define EP__HAVE_THREADS 0
typedef struct ep__mutex { int unused; } ep__mutex;
typedef struct ep__cond { int unused; } ep__cond;
#elif defined(_WIN32)
#  define EP__HAVE_THREADS 1
#  include <windows.h>
typedef struct ep__mutex { SRWLOCK lock; } ep__mutex;
typedef struct ep__cond { CONDITION_VARIABLE cv; } ep__cond;
#else
#  define EP__HAVE_THREADS 1
#  include <pthread.h>
typedef struct ep__mutex { pthread_mutex_t m; } ep__mutex;
typedef struct ep__cond { pthread_cond_t c; } ep__cond;
#endif

/* init returns EP_OK or EP_ERR_NOMEM (the OS refused); the others cannot fail
 * on a correctly used object. */
EP__PRIV ep_result ep__mutex_init(ep__mutex *m);
EP__PRIV void ep__mutex_destroy(ep__mutex *m);
EP__PRIV void ep__mutex_lock(ep__mutex *m);
EP__PRIV void ep__mutex_unlock(ep__mutex *m);
EP__PRIV ep_result ep__cond_init(ep__cond *c);
EP__PRIV void ep__cond_destroy(ep__cond *c);
/* Releases m while waiting; holds it again on return (spurious wakeups happen:
 * wait in a loop on the condition). */
EP__PRIV void ep__cond_wait(ep__cond *c, ep__mutex *m);
EP__PRIV void ep__cond_broadcast(ep__cond *c);
/* Wakes one waiter (if any). */
EP__PRIV void ep__cond_signal(ep__cond *c);

#endif /* EP_THREAD_H */
