import Dispatch
#if canImport(Glibc)
import Glibc
import Synchronization
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's threads.
///
/// charrnn splits its work across cores itself, in a few large pieces with no
/// synchronisation inside them, and runs OpenBLAS single-threaded inside each
/// piece: the recurrence of a window is split by batch rows (rows never
/// interact, so each thread runs all T steps of its rows alone), and a large
/// GEMM by blocks of C (`BLAS.parallelSGEMM`). OpenBLAS's own threading would
/// synchronise on every per-step product (M = B rows, a few microseconds of
/// work) and leave its idle threads spinning on the cores the next piece
/// needs, so it is turned off.
///
/// How work is cut depends on `threadCount` only through the number of pieces;
/// a piece's arithmetic never depends on which thread runs it. Whether results
/// are bit-identical across thread counts depends on the product: batch-1 steps
/// are (every output computed by one thread in one order), a training window's
/// GEMMs only up to rounding (OpenBLAS blocks a smaller product differently).
///
/// Where the count is read: `parts(for:minimum:)` and `forEach` read it once per
/// call, before any work of the call starts. Where it is written: the process-wide
/// setting only by the command line (`--threads`) and `charrnn bench` between
/// workloads, each before work starts; code that wants another count for a while
/// (tests, which run in parallel with other tests) uses `withThreadCount`, which
/// no other task sees.
public enum Parallel {
    /// Threads the engine uses (≥ 1): the innermost `withThreadCount` of the calling
    /// task, else the process-wide setting (`BLAS.threadCount`; defaults to the online cores).
    /// Setting it changes the process-wide setting, for every task.
    public static var threadCount: Int {
        get { scopedThreadCount ?? storage.threadCount }
        set { storage.threadCount = max(1, newValue) }
    }

    /// Runs `body` with `threadCount` = max(1, `threads`) for the calling task only
    /// (and for the parts `forEach` runs for it on other threads); other tasks running
    /// meanwhile keep seeing their own count.
    public static func withThreadCount<Result>(_ threads: Int, _ body: () throws -> Result) rethrows -> Result {
        try $scopedThreadCount.withValue(max(1, threads), operation: body)
    }

    @TaskLocal static var scopedThreadCount: Int?

    /// Calls `body(p)` for every p in 0..<parts, concurrently when `threadCount` > 1,
    /// and returns when all calls have returned. The calls must touch disjoint memory.
    public static func forEach(_ parts: Int, _ body: (Int) -> Void) {
        let scoped = scopedThreadCount
        let threads = scoped ?? storage.threadCount  // read once: another thread may change it meanwhile
        if parts <= 1 || threads <= 1 {
            for p in 0..<parts { body(p) }
            return
        }
        // A scoped count goes with the parts to the threads that run them, so that a
        // call nested in a part sees the same count (and finds the pool busy).
        #if os(Linux)
        let first = min(parts, threads)
        storage.pool(threads: threads).run(first) { p in
            if let scoped { $scopedThreadCount.withValue(scoped) { body(p) } } else { body(p) }
        }
        for p in first..<parts { body(p) }
        #else
        // The pieces write disjoint memory by contract: that is what makes sharing `body` safe.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                if let scoped { $scopedThreadCount.withValue(scoped) { shared.value(p) } } else { shared.value(p) }
            }
        }
        #endif
    }

    struct UncheckedSendable<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Part `part` of 0..<count cut into `parts` contiguous ranges as even as
    /// possible, each boundary a multiple of `alignment` (except the end).
    @inlinable
    public static func range(_ part: Int, of parts: Int, count: Int, alignment: Int = 1) -> Range<Int> {
        precondition(parts >= 1 && part >= 0 && part < parts && alignment >= 1)
        let units = (count + alignment - 1) / alignment
        func boundary(_ p: Int) -> Int { min(count, (units * p / parts) * alignment) }
        return boundary(part)..<(part == parts - 1 ? count : boundary(part + 1))
    }

    /// The number of pieces to cut `count` items into: one per thread, but no
    /// piece smaller than `minimum` items.
    @inlinable
    public static func parts(for count: Int, minimum: Int) -> Int {
        max(1, min(threadCount, count / max(1, minimum)))
    }

    // The process-wide setting lives in a class so that a static `let` can hold it:
    // one word, written by the command line before any work starts (see above).
    @usableFromInline
    final class Storage: @unchecked Sendable {
        @usableFromInline var threadCount: Int
        init() {
            threadCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
            BLAS.openBLASThreads = 1
        }
        #if os(Linux)
        private let pools = Mutex<[Int: WorkerPool]>([:])
        /// The pool with `threads` − 1 workers, made on first use.
        func pool(threads: Int) -> WorkerPool {
            pools.withLock { pools in
                if let p = pools[threads] { return p }
                let p = WorkerPool(workers: threads - 1)
                pools[threads] = p
                return p
            }
        }
        #endif
    }
    @usableFromInline static let storage = Storage()
}
