import Dispatch
import Foundation
import RNN
import Sampler

extension Server {
    /// A request's `count` samples, all rows of the model's batch at once (seeds seed, seed + 1, …), answered
    /// in index order as `charrnn sample --count` writes them: the first unfinished sample streams as it comes
    /// (its first character at once, then every `streamFlushNanoseconds`, paused while its client has not
    /// read what it was sent), the later ones wait in memory
    /// (at most `count` × `length` characters) and go out when those before them are done. False when the
    /// request ended without an answer to finish (a sample's output overflowed: `failed` was sent; or the client left).
    func sampleTogether(_ plan: GenerationPlan, _ output: some GenerationOutput, _ sink: ResponseSink, arrived: UInt64) -> Bool {
        let n = plan.count, rows = SampleRows(n), finishedOne = DispatchSemaphore(value: 0)
        let batcher = batchers[plan.model]!, flushEvery = limits.streamFlushNanoseconds, stall = UInt64(limits.stallSeconds) * 1_000_000_000
        let metrics = self.metrics
        func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

        /// Sends sample `index`'s waiting text (called under the lock, for the current sample only).
        func flush(_ index: Int) {
            output.text(index, rows.texts[index])
            rows.texts[index].removeAll(keepingCapacity: true)
            rows.sent[index] += 1
            rows.flushedAt[index] = now()
        }

        // The rows begin on a lane (the prime read once, each first character chosen and sent there; a long
        // prime hands the lane to its other requests every 32 characters and stops if the client goes),
        // then step in the model's batch.
        let begun = lanes.run { lane, yieldTurn in (0..<n).compactMap { index in
            let request = BatchedGeneration.Request(prime: plan.prime, length: plan.length, policy: plan.policy,
                                                    seed: plan.seed &+ UInt64(index), stops: plan.stops, label: plan.label)
            return lane.starters[plan.model]!.begin(request, emit: { _, bytes in
                rows.lock.lock()
                defer { rows.lock.unlock() }
                if sink.isCancelled || rows.abandoned { return false }
                if index == 0 && rows.sent[0] == 0 && rows.texts[0].isEmpty {
                    metrics.firstCharacter.recordNanoseconds(Int64(now() - arrived))
                }
                rows.texts[index] += bytes
                rows.uncounted += 1
                if rows.uncounted == SampleRows.countEvery { metrics.characters.increment(by: rows.countedNow()) }
                if plan.stream && index == rows.current && (rows.sent[index] == 0 || now() - rows.flushedAt[index] >= flushEvery) {
                    flush(index)
                }
                return true
            }, finished: { result in
                rows.lock.lock()
                rows.outcomes[index] = result
                rows.lock.unlock()
                finishedOne.signal()
            }, ready: {
                // The streaming sample waits while its client has not read what it was sent; after --stall-timeout, it is closed.
                rows.lock.lock()
                defer { rows.lock.unlock() }
                guard plan.stream, index == rows.current, !sink.isCancelled else { return true }
                if sink.isWritable {
                    rows.pausedSince = nil
                    return true
                }
                guard let since = rows.pausedSince else {
                    rows.pausedSince = now()
                    metrics.paused.increment()
                    return false
                }
                if now() - since < stall { return false }
                metrics.abandoned.increment()
                sink.abandon()
                return true            // its emit now says the reader is gone: the row leaves
            }, pause: {
                yieldTurn()
                return !sink.isCancelled
            })
        } }
        batcher.submit(begun)
        // Characters count as they are made, whether the request ends answered, cut off or abandoned.
        defer {
            rows.lock.lock()
            metrics.characters.increment(by: rows.countedNow())
            rows.lock.unlock()
        }

        // Answer the samples in index order as they finish.
        var next = 0
        while next < n {
            finishedOne.wait()          // the batcher's writes to a row happen before its signal
            if sink.isCancelled { return false }
            rows.lock.lock()
            defer { rows.lock.unlock() }
            while next < n, let outcome = rows.outcomes[next] {
                switch outcome {
                case .failure(let error):
                    rows.abandoned = true
                    output.failed(APIError.modelOutput("\(error)"))
                    return false
                case .success(let g):
                    if plan.stream && !rows.texts[next].isEmpty { output.text(next, rows.texts[next]) }
                    output.finished(SampleResult(index: next, text: plan.stream ? nil : String(decoding: rows.texts[next], as: UTF8.self),
                                                 seed: plan.seed &+ UInt64(next), characters: g.characterCount,
                                                 logProb: g.logProbabilitySum, meanLogProb: g.meanLogProbability,
                                                 stopReason: Self.stopReason(stopped: g.stopped, endedDocument: g.endedDocument)))
                    rows.texts[next] = []
                }
                next += 1
                rows.current = next
                rows.pausedSince = nil
                // The next sample's text so far goes out at once.
                if plan.stream && next < n && !rows.texts[next].isEmpty { flush(next) }
            }
        }
        return true
    }
}

/// The request's rows, shared by the batcher's thread (emit, finished, ready) and this worker, under `lock`.
private final class SampleRows: @unchecked Sendable {
    let lock = NSLock()
    var texts: [[UInt8]]                // the whole text (answered whole), or what is not sent yet (streamed)
    var sent: [Int]                     // pieces sent so far
    var flushedAt: [UInt64]            // when the sample's text last went out
    var outcomes: [Result<Sampler.Generation, NonFiniteOutputError>?]
    var current = 0                     // the sample that streams; those after it wait
    var pausedSince: UInt64?            // when the current sample's stream filled its buffer
    var abandoned = false               // a sample failed: the others stop
    var uncounted = 0                   // characters made and not yet in the metrics' counter
    /// Characters go into the counter this many at a time (and the rest when the request ends).
    static let countEvery = 64
    /// `uncounted`, now counted.
    func countedNow() -> Int {
        defer { uncounted = 0 }
        return uncounted
    }
    init(_ n: Int) {
        texts = Array(repeating: [], count: n); sent = Array(repeating: 0, count: n)
        flushedAt = Array(repeating: 0, count: n); outcomes = Array(repeating: nil, count: n)
    }
}
