import Foundation
import RNN
import Sampler
import Synchronization
import Tensor

/// The sampling of one text model for every request at once (continuous batching): a thread of
/// its own steps all the active generations together (`BatchedGeneration`: each weight matrix
/// read once per character for all of them), new ones joining at the next step, finished or
/// abandoned ones (their client gone: their `emit` says so) leaving. Each generation's text is
/// what `charrnn sample` writes with its seed, whatever runs beside it.
///
/// A request's worker (`Server.sampleTogether`) begins its rows on its lane (`BatchedGeneration.Starter`:
/// the prime read and the first character out there, not behind the batch's current step, and a long
/// prime never holds the other rows up), submits them and waits for their `finished`; so the number of
/// generations in the batch is bounded by the server's generation slots, as before.
final class Batcher: @unchecked Sendable {   // its state is behind `condition`, its batch the thread's own
    private let sampler: Sampler
    private let onStep: @Sendable (Int) -> Void
    private let condition = NSCondition()
    private var pending: [BatchedGeneration.Begun] = []
    private var stopping = false
    private var thread: Thread?
    /// Largest number of rows stepped together so far (for tests and the load figures).
    var widest: Int { widestRows.load(ordering: .relaxed) }
    private let widestRows = Atomic<Int>(0)

    /// `threads`: the engine's threads for the batch's products (the serve process runs its lanes on one
    /// each; the batch, being all of the model's sampling, takes the cores).
    /// `onStep`: called on the batcher's thread with the rows of each step (for `GET /metrics`).
    init(sampler: Sampler, threads: Int, onStep: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.sampler = sampler
        self.onStep = onStep
        let thread = Thread { [unowned self] in Parallel.withThreadCount(threads) { self.run() } }
        thread.name = "charrnn batcher"
        self.thread = thread
        thread.start()
    }

    /// Adds generations begun with a copy of the batch's sampler; they join together at the batch's next step.
    func submit(_ rows: [BatchedGeneration.Begun]) {
        guard !rows.isEmpty else { return }
        condition.lock()
        pending += rows
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the batch is empty (`Server.stopPool`).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// How often a batch whose every row waits for its reader looks at them again.
    static let pausePoll: TimeInterval = 0.002

    private func run() {
        let batch = BatchedGeneration(sampler: sampler)
        while true {
            condition.lock()
            while pending.isEmpty && batch.isEmpty && !stopping { condition.wait() }
            if stopping && pending.isEmpty && batch.isEmpty {
                condition.unlock()
                return
            }
            let joining = pending
            pending.removeAll()
            condition.unlock()
            for row in joining { batch.add(row) }
            let moved = batch.tick()
            if moved > 0 {
                if moved > widest { widestRows.store(moved, ordering: .relaxed) }
                onStep(moved)
            } else if !batch.isEmpty {
                // Every row waits for its reader: look again in a moment, or at once for a new job.
                condition.lock()
                if pending.isEmpty && !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: Self.pausePoll)) }
                condition.unlock()
            }
        }
    }
}
