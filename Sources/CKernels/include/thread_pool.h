#ifndef SEMISEG_THREAD_POOL_H
#define SEMISEG_THREAD_POOL_H
/// A fork-join pool for the engine's parallel loops (docs/ARCHITECTURE.md, "Engine": `Parallel`).
///
/// `workers` persistent threads wait for a job by polling for a short while (`spin_ns`), then sleep on a condition
/// variable; the submitting thread runs chunks too. A job is `fn(ctx, chunk)` for chunk in [0, chunks), each chunk run
/// exactly once, by any thread; `ssk_pool_run` returns when every chunk has finished. One job at a time: a second
/// submitter (another thread, or a chunk submitting a nested job) gets 0 back and must run its loop another way.

typedef void (*ssk_pool_fn)(void *ctx, long chunk);

/// Runs the job on the pool (starting its `workers` threads on first use; later calls may not change the count).
/// Returns 1 when the job ran, 0 (nothing run) when the pool is busy with another job, was started with another
/// number of workers, or its threads could not be created.
int ssk_pool_run(long chunks, ssk_pool_fn fn, void *ctx, int workers, long spin_ns);

#endif
