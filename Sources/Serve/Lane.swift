import Checkpoints
import Dispatch
import Foundation
import RNN
import Sampler
import Tensor

/// One core's worth of generation: a `Sampler` per model that writes text (a
/// `Classifier` per classifier model, a `Translator` per translation model),
/// which one request at a time computes with, the others waiting their turn in order.
///
/// A model's step writes into scratch buffers and weight copies its
/// `StackedRNN` owns, so two threads must never step one `Sampler` at once;
/// the parameters themselves are one shared, read-only array (each lane's
/// model holds the same copy-on-write storage). Each request keeps its own
/// recurrent state inside `Sampler.generate`.
///
/// A request holds its lane for a slice (`ServeLimits.sliceNanoseconds`), then
/// passes it to the next waiter, so that dozens of streams progress together
/// on two cores. A request that is just starting goes ahead of those already
/// streaming (behind other new ones), so that its first character comes after
/// one slice, not after a turn of every stream.
final class Lane: @unchecked Sendable {
    let samplers: [String: Sampler]          // the models that write text
    let starters: [String: BatchedGeneration.Starter]   // theirs, to begin rows for the models' batches
    let classifiers: [String: Classifier]    // the classifiers
    let translators: [String: Translator]    // the translation models (encoder–decoders)
    private let lock = NSLock()
    private var busy = false
    private var waiting: [DispatchSemaphore] = []   // the lane is handed to the first
    private var newcomers = 0                        // how many at the front of `waiting` are just starting
    private var requests = 0                         // holding the lane or waiting for it

    /// `batchSamplers`: the models' batches' samplers, whose weight copies the lane's samplers read too.
    init(checkpoints: [(name: String, checkpoint: Checkpoint)], precision: WeightPrecision, batchSamplers: [String: Sampler]) {
        var samplers: [String: Sampler] = [:], classifiers: [String: Classifier] = [:], translators: [String: Translator] = [:]
        for (name, checkpoint) in checkpoints {
            if Translator.problem(with: checkpoint) == nil {
                translators[name] = Translator(checkpoint: checkpoint)
            } else if Classifier.problem(with: checkpoint) == nil {
                classifiers[name] = Classifier(checkpoint: checkpoint, maxCharacters: Server.classifierCut(checkpoint))
            } else {
                samplers[name] = Sampler(checkpoint: checkpoint, precision: precision, stepWeightsOf: batchSamplers[name])
            }
        }
        self.samplers = samplers
        starters = samplers.mapValues { BatchedGeneration.Starter(sampler: $0) }
        self.classifiers = classifiers
        self.translators = translators
    }

    /// Joins the lane (counted in `load`) and waits for its turn.
    func enter(_ turn: DispatchSemaphore) {
        lock.lock()
        requests += 1
        lock.unlock()
        acquire(turn, newcomer: true)
    }

    /// Requests on this lane: holding it or waiting (to pick the least loaded lane).
    var load: Int {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    func leave() {
        lock.lock()
        requests -= 1
        lock.unlock()
        release()
    }

    /// Lets each waiter have a turn, then takes the lane back: a no-op when nobody waits.
    func yieldTurn(_ turn: DispatchSemaphore) {
        lock.lock()
        let others = !waiting.isEmpty
        lock.unlock()
        if others {
            release()
            acquire(turn, newcomer: false)
        }
    }

    private func acquire(_ turn: DispatchSemaphore, newcomer: Bool) {
        lock.lock()
        if !busy {
            busy = true
            lock.unlock()
            return
        }
        if newcomer {
            waiting.insert(turn, at: newcomers)
            newcomers += 1
        } else {
            waiting.append(turn)
        }
        lock.unlock()
        turn.wait()   // released by `release`, which hands the lane over still busy
    }

    private func release() {
        lock.lock()
        if waiting.isEmpty {
            busy = false
        } else {
            newcomers = max(0, newcomers - 1)
            waiting.removeFirst().signal()
        }
        lock.unlock()
    }
}

/// The lanes, one per core, and the choice among them.
final class Lanes: @unchecked Sendable {
    let lanes: [Lane]

    init(count: Int, checkpoints: [(name: String, checkpoint: Checkpoint)], precision: WeightPrecision, batchSamplers: [String: Sampler]) {
        lanes = (0..<count).map { _ in Lane(checkpoints: checkpoints, precision: precision, batchSamplers: batchSamplers) }
    }

    /// The lane with the fewest requests on it.
    func leastLoaded() -> Lane {
        lanes.min { $0.load < $1.load }!
    }

    /// Runs `body` on the least loaded lane, holding it (body may yield it with `yieldTurn`).
    func run<T>(_ body: (Lane, _ yieldTurn: () -> Void) throws -> T) rethrows -> T {
        let lane = leastLoaded()
        let turn = DispatchSemaphore(value: 0)
        lane.enter(turn)
        defer { lane.leave() }
        return try body(lane) { lane.yieldTurn(turn) }
    }
}

/// When a long job on a lane (a beam or best-of search, a score) hands the lane over: once a slice
/// (`ServeLimits.sliceNanoseconds`) has passed since it last took it, so that a new request's first
/// character and the other jobs' steps wait one slice at most, not the whole job.
struct TurnClock {
    let slice: UInt64
    private var since = DispatchTime.now().uptimeNanoseconds

    init(slice: UInt64) { self.slice = slice }

    /// Hands the lane over (`yieldTurn`) when the job's slice is over; its next slice starts when it
    /// has the lane back. True when it handed over (what the others may change is to be set again).
    mutating func handOverIfDue(_ yieldTurn: () -> Void) -> Bool {
        guard DispatchTime.now().uptimeNanoseconds - since >= slice else { return false }
        yieldTurn()
        since = DispatchTime.now().uptimeNanoseconds
        return true
    }
}
