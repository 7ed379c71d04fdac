// The engine's fork-join pool (include/thread_pool.h; docs/ARCHITECTURE.md, "Engine": `Parallel`).
//
// Why: libdispatch's concurrentPerform wakes a sleeping worker through a semaphore for every parallel loop; on this
// 2-core machine a loop of two 25 us chunks took 67 us against 50 us serially (a 2-chunk loop cost ~40 us of wake-up),
// and a small network's step runs hundreds of such loops. Here the workers poll for the next job for a while first.
//
// Protocol: `generation` is even when a job is published (or none yet), odd while the submitter writes the job slot.
// A worker that sees a new even generation g announces itself in `active`, checks that the generation is still g
// (else it leaves: the slot may be changing), then takes chunks from `next_chunk` until they run out. The submitter
// makes the generation odd and waits for `active` to drain before it writes the slot, so no worker reads a slot being
// written (sequentially consistent atomics: the Dekker pattern on generation / active, and on generation / sleepers).
#include "thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static int pool_workers = -1;  // threads started (-1: none yet); guarded by submit_lock
static atomic_long pool_spin_ns;
static atomic_ulong generation;
static atomic_int active, sleepers;
static atomic_long next_chunk, done_chunks;
static long job_chunks;
static ssk_pool_fn job_fn;
static void *job_ctx;
static _Thread_local int in_job;

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

/// Takes and runs chunks of the published job until none are left.
static void run_chunks(void) {
    const long n = job_chunks;
    const ssk_pool_fn fn = job_fn;
    void *const ctx = job_ctx;
    long c;
    while ((c = atomic_fetch_add(&next_chunk, 1)) < n) {
        fn(ctx, c);
        atomic_fetch_add_explicit(&done_chunks, 1, memory_order_release);
    }
}

static int is_new(unsigned long g, unsigned long seen) { return g != seen && (g & 1) == 0; }

static void *worker_main(void *arg) {
    unsigned long seen = (unsigned long)(long)arg;
    in_job = 1;  // loops submitted from inside a chunk run another way
    for (;;) {
        unsigned long g = atomic_load(&generation);
        if (!is_new(g, seen)) {
            const long start = now_ns(), spin = atomic_load_explicit(&pool_spin_ns, memory_order_relaxed);
            for (unsigned k = 1;; k++) {
                CPU_RELAX();
                g = atomic_load(&generation);
                if (is_new(g, seen)) break;
                if ((k & 63) == 0 && now_ns() - start > spin) {
                    pthread_mutex_lock(&sleep_lock);
                    atomic_fetch_add(&sleepers, 1);
                    while (!is_new(g = atomic_load(&generation), seen)) pthread_cond_wait(&wake, &sleep_lock);
                    atomic_fetch_sub(&sleepers, 1);
                    pthread_mutex_unlock(&sleep_lock);
                    break;
                }
            }
        }
        atomic_fetch_add(&active, 1);
        if (atomic_load(&generation) == g) run_chunks();
        atomic_fetch_sub(&active, 1);
        seen = g;
    }
    return NULL;
}

int ssk_pool_run(long chunks, ssk_pool_fn fn, void *ctx, int workers, long spin_ns) {
    if (in_job || chunks <= 0 || workers < 1) return 0;
    if (pthread_mutex_trylock(&submit_lock) != 0) return 0;
    if (pool_workers < 0) {
        pool_workers = 0;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const unsigned long g0 = atomic_load(&generation);
        for (int i = 0; i < workers; i++) {
            pthread_t t;
            if (pthread_create(&t, &attr, worker_main, (void *)(long)g0) != 0) break;
            pool_workers++;
        }
        pthread_attr_destroy(&attr);
    }
    if (pool_workers != workers) {
        pthread_mutex_unlock(&submit_lock);
        return 0;
    }
    atomic_store_explicit(&pool_spin_ns, spin_ns, memory_order_relaxed);
    const unsigned long g = atomic_load(&generation);
    atomic_store(&generation, g + 1);  // odd: the slot is being written
    while (atomic_load(&active) != 0) CPU_RELAX();
    job_fn = fn;
    job_ctx = ctx;
    job_chunks = chunks;
    atomic_store(&next_chunk, 0);
    atomic_store(&done_chunks, 0);
    atomic_store(&generation, g + 2);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    in_job = 1;
    run_chunks();
    in_job = 0;
    while (atomic_load_explicit(&done_chunks, memory_order_acquire) < chunks) CPU_RELAX();
    pthread_mutex_unlock(&submit_lock);
    return 1;
}
