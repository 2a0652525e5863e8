/* thread: mutex and condition variable (see thread.h). */
#include "base/thread.h"

#if !EP__HAVE_THREADS

EP__PRIV ep_result ep__mutex_init(ep__mutex *m) { m->unused = 0; return EP_OK; }
EP__PRIV void ep__mutex_destroy(ep__mutex *m) { (void)m; }
EP__PRIV void ep__mutex_lock(ep__mutex *m) { (void)m; }
EP__PRIV void ep__mutex_unlock(ep__mutex *m) { (void)m; }
EP__PRIV ep_result ep__cond_init(ep__cond *c) { c->unused = 0; return EP_OK; }
EP__PRIV void ep__cond_destroy(ep__cond *c) { (void)c; }
EP__PRIV void ep__cond_wait(ep__cond *c, ep__mutex *m) { (void)c; (void)m; }
EP__PRIV void ep__cond_broadcast(ep__cond *c) { (void)c; }
EP__PRIV void ep__cond_signal(ep__cond *c) { (void)c; }

#elif defined(_WIN32)

EP__PRIV ep_result ep__mutex_init(ep__mutex *m) { InitializeSRWLock(&m->lock); return EP_OK; }
EP__PRIV void ep__mutex_destroy(ep__mutex *m) { (void)m; } /* SRW locks hold no resources */
EP__PRIV void ep__mutex_lock(ep__mutex *m) { AcquireSRWLockExclusive(&m->lock); }
EP__PRIV void ep__mutex_unlock(ep__mutex *m) { ReleaseSRWLockExclusive(&m->lock); }
EP__PRIV ep_result ep__cond_init(ep__cond *c) { InitializeConditionVariable(&c->cv); return EP_OK; }
EP__PRIV void ep__cond_destroy(ep__cond *c) { (void)c; }
EP__PRIV void ep__cond_wait(ep__cond *c, ep__mutex *m) { SleepConditionVariableSRW(&c->cv, &m->lock, INFINITE, 0); }
EP__PRIV void ep__cond_broadcast(ep__cond *c) { WakeAllConditionVariable(&c->cv); }
EP__PRIV void ep__cond_signal(ep__cond *c) { WakeConditionVariable(&c->cv); }

#else

EP__PRIV ep_result ep__mutex_init(ep__mutex *m) {
    return pthread_mutex_init(&m->m, NULL) == 0 ? EP_OK : EP_ERR_NOMEM;
}
EP__PRIV void ep__mutex_destroy(ep__mutex *m) { (void)pthread_mutex_destroy(&m->m); }
EP__PRIV void ep__mutex_lock(ep__mutex *m) { (void)pthread_mutex_lock(&m->m); }
EP__PRIV void ep__mutex_unlock(ep__mutex *m) { (void)pthread_mutex_unlock(&m->m); }
EP__PRIV ep_result ep__cond_init(ep__cond *c) {
    return pthread_cond_init(&c->c, NULL) == 0 ? EP_OK : EP_ERR_NOMEM;
}
EP__PRIV void ep__cond_destroy(ep__cond *c) { (void)pthread_cond_destroy(&c->c); }
EP__PRIV void ep__cond_wait(ep__cond *c, ep__mutex *m) { (void)pthread_cond_wait(&c->c, &m->m); }
EP__PRIV void ep__cond_broadcast(ep__cond *c) { (void)pthread_cond_broadcast(&c->c); }
EP__PRIV void ep__cond_signal(ep__cond *c) { (void)pthread_cond_signal(&c->c); }

#endif
