#if os(Linux)
import Glibc
import Synchronization

/// The threads behind `Parallel.forEach`: part p of every call runs on worker
/// p (part 0 on the caller), so a thread keeps the same batch rows, and their
/// cache lines, from the forward to the backward pass and from one window to
/// the next. Workers spin briefly between calls (the engine's calls come in
/// quick succession) and then sleep on a condition variable.
///
/// One call at a time: a call made while another is running (from another
/// thread, or from inside a part) runs its parts serially instead of waiting.
/// Pools live as long as the process (one per thread count ever asked for).
final class WorkerPool: @unchecked Sendable {
    let workerCount: Int                         // threads besides the caller
    private let generation = Atomic<Int>(0)      // bumped by each call; workers wait for a change
    private let remaining = Atomic<Int>(0)       // workers still inside the current call
    private let busy = Atomic<Bool>(false)       // a call is in progress
    private var job: ((Int) -> Void)? = nil      // the current call's body (set before the bump)
    private var parts = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var sleepers = 0                     // guarded by mutex
    private var threads: [pthread_t] = []

    /// Spin iterations before a worker sleeps (a few tens of microseconds).
    private static let spinLimit = 20_000

    init(workers: Int) {
        workerCount = max(0, workers)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for id in 0..<workerCount {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, part: id + 1)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.workerLoop(part: context.part)
                return nil
            }, context)
            precondition(status == 0, "WorkerPool: pthread_create failed (\(status))")
            threads.append(thread)
        }
    }

    private final class WorkerContext {
        let pool: WorkerPool, part: Int
        init(pool: WorkerPool, part: Int) { self.pool = pool; self.part = part }
    }

    /// Runs body(0..<count), part p on worker p; returns when all are done.
    func run(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, count <= workerCount + 1,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for p in 0..<count { body(p) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            parts = count
            remaining.store(workerCount, ordering: .relaxed)
            pthread_mutex_lock(mutex)
            generation.add(1, ordering: .releasing)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)
            body(0)
            while remaining.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    private func workerLoop(part: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < Self.spinLimit { continue }
                pthread_mutex_lock(mutex)
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
                sleepers -= 1
                pthread_mutex_unlock(mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if part < parts, let job { job(part) }
            remaining.subtract(1, ordering: .releasing)
        }
    }
}
#endif
