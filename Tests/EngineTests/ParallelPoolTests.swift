import CKernels
import Dispatch
@testable import Engine
import Testing

/// The engine's fork-join pool (`Parallel.run`, CKernels/thread_pool.c): every chunk of every loop runs exactly once,
/// back-to-back loops (the workers polling) and loops after the workers fell asleep, loops inside chunks, and loops
/// submitted from several threads at once (the pool takes one, libdispatch the others).
@Suite("Parallel pool", .serialized)
struct ParallelPoolTests {
    /// Runs `chunks` chunks with `Parallel.run` and returns how often each ran.
    static func counts(_ chunks: Int, work: Int = 0) -> [Int] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
        hits.initialize(repeating: 0, count: chunks)
        defer { hits.deallocate() }
        Parallel.run(chunks: chunks) { c in
            var s = 0.0
            for i in 0..<work { s += Double(i) }  // uneven chunk lengths: workers take chunks while others still run
            hits[c] += s < 0 ? 2 : 1  // each chunk index is written by the one thread that runs it
        }
        return Array(UnsafeBufferPointer(start: hits, count: chunks))
    }

    @Test func everyChunkRunsOnceInBackToBackLoops() {
        for round in 0..<3000 {
            let chunks = 2 + round % 7
            let got = Self.counts(chunks, work: (round % 5) * 200)
            if got != [Int](repeating: 1, count: chunks) {
                Issue.record("loop \(round): chunk counts \(got)")
                return
            }
        }
    }

    @Test func loopsAfterTheWorkersSleptStillRunEveryChunk() {
        for _ in 0..<5 {
            usleep(UInt32(2 * Parallel.pollNanoseconds / 1000))  // past the polling time: the workers sleep
            #expect(Self.counts(4, work: 1000) == [1, 1, 1, 1])
        }
    }

    @Test func forEachChunkCoversTheRangeOnceWithNestedLoops() {
        let n = 1000
        let outer = UnsafeMutablePointer<Int>.allocate(capacity: n)
        outer.initialize(repeating: 0, count: n)
        defer { outer.deallocate() }
        Parallel.forEachChunk(n) { r in
            for i in r { outer[i] += 1 }
            // A loop inside a chunk: the pool is busy with the outer one, so it runs another way, still completely.
            let inner = Self.counts(3)
            if inner != [1, 1, 1] { Issue.record("nested loop: chunk counts \(inner)") }
        }
        #expect((0..<n).allSatisfy { outer[$0] == 1 })
    }

    @Test func concurrentSubmittersEachRunEveryChunk() {
        let submitters = 4, rounds = 300
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: submitters)
        failures.initialize(repeating: 0, count: submitters)
        defer { failures.deallocate() }
        DispatchQueue.concurrentPerform(iterations: submitters) { s in
            for round in 0..<rounds where Self.counts(2 + (round + s) % 5, work: 300) != [Int](repeating: 1, count: 2 + (round + s) % 5) {
                failures[s] += 1
            }
        }
        #expect((0..<submitters).map { failures[$0] } == [Int](repeating: 0, count: submitters))
    }

    /// The loops above really ran on the pool (it takes a job whenever no other thread holds it), and the pool keeps
    /// the worker count it started with: a call asking for another count is refused (0, nothing run).
    @Test func thePoolRunsJobsAndRefusesAnotherWorkerCount() {
        guard Parallel.poolWorkers >= 1 else { return }  // one core: no pool
        var hits = [Int](repeating: 0, count: 3), ran: Int32 = 0
        for _ in 0..<1000 where ran == 0 {  // other suites' loops may hold the pool for a moment
            ran = hits.withUnsafeMutableBufferPointer { h in
                ssk_pool_run(3, { ctx, c in ctx!.assumingMemoryBound(to: Int.self)[c] += 1 }, h.baseAddress, Int32(Parallel.poolWorkers),
                             Parallel.pollNanoseconds)
            }
            if ran == 0 { usleep(1000) }
        }
        #expect(ran == 1 && hits == [1, 1, 1])
        #expect(ssk_pool_run(3, { _, _ in }, nil, Int32(Parallel.poolWorkers + 5), 0) == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
