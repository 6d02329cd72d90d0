import Foundation
import RNN
import Sampler
import Testing

private let letters = ["\n", " ", "a", "b", "c", "d", "e", "é", "🙂"]

/// `BatchedGeneration`'s rows sit out ticks when they are not ready (serve's slow readers) and keep their text.
@Suite struct BatchedGenerationTests {
    @Test func rowsThatSitOutTicksKeepTheirText() throws {
        let sampler = Sampler(checkpoint: try randomCheckpoint(tokens: letters, hidden: 12))
        let policy = SamplingPolicy(temperature: 1.1)
        let batch = BatchedGeneration(sampler: sampler)
        var texts = [[UInt8]](repeating: [], count: 4), finished = [Bool](repeating: false, count: 4)
        var tick = 0
        for row in 0..<4 {
            // Row 0 is always ready; the others wait on every 2nd, 3rd, 4th tick, row 3 for its first 50 too.
            batch.add(.init(prime: [2], length: 200, policy: policy, seed: UInt64(10 + row)),
                      emit: { _, bytes in texts[row] += bytes; return true },
                      finished: { _ in finished[row] = true },
                      ready: { row == 0 || (tick % (row + 1) != 0 && !(row == 3 && tick < 50)) })
        }
        var idle = 0
        while !batch.isEmpty {
            if batch.tick() == 0 { idle += 1 }
            tick += 1
        }
        #expect(idle > 0, "some tick had every row waiting")
        #expect(finished == [true, true, true, true])
        for row in 0..<4 {
            let alone = try sampler.sample(prime: [2], length: 200, policy: policy, seed: UInt64(10 + row))
            #expect(String(decoding: texts[row], as: UTF8.self) == alone.text, "row \(row)")
        }
    }

    /// serve's path: rows begun by a `Starter` on another copy of the model (their prime read, their first
    /// character out before any tick), mixed with rows added to the batch itself, primes alternating (the
    /// starter reads a prime once for rows in a row that share it): each writes what it writes alone.
    @Test func rowsBegunAwayFromTheBatchWriteTheirText() throws {
        // Weights large enough that the prime decides the text (a near-uniform model would write the
        // seed's text from any state).
        var checkpoint = try randomCheckpoint(tokens: letters, hidden: 12)
        checkpoint.parameters = checkpoint.parameters.map { $0 * 8 }
        let sampler = Sampler(checkpoint: checkpoint), other = Sampler(checkpoint: checkpoint)
        let starter = BatchedGeneration.Starter(sampler: other)
        let batch = BatchedGeneration(sampler: sampler)
        let policy = SamplingPolicy(temperature: 0.7)
        for (a, b) in [([2], [3, 4]), ([3, 4], [5]), ([2], [])] as [([Int32], [Int32])] {
            #expect(try sampler.sample(prime: a, length: 60, policy: policy, seed: 41).text
                    != sampler.sample(prime: b, length: 60, policy: policy, seed: 41).text, "the prime changes the text: \(a), \(b)")
        }
        // The starter reads [3, 4] for row 1 and reuses it for rows 3 and 4; rows 2 and 5 join through `add`.
        let primes: [[Int32]] = [[2], [3, 4], [5], [3, 4], [3, 4], [5, 2, 8], []]
        let lengths = [150, 1, 90, 150, 120, 60, 80]
        let stops: [String?] = [nil, nil, nil, "a", nil, nil, nil]
        var texts = [[UInt8]](repeating: [], count: primes.count)
        var outcomes = [Sampler.Generation?](repeating: nil, count: primes.count)
        var tick = 0
        for row in primes.indices {
            let request = BatchedGeneration.Request(prime: primes[row], length: lengths[row], policy: policy,
                                                    seed: UInt64(40 + row), stops: stops[row].map { [$0] } ?? [])
            let emit: (Int32, [UInt8]) -> Bool = { _, bytes in texts[row] += bytes; return true }
            let finished: (Result<Sampler.Generation, NonFiniteOutputError>) -> Void = { outcomes[row] = try? $0.get() }
            if row % 3 == 2 {
                batch.add(request, emit: emit, finished: finished)
                continue
            }
            // Row 4's reader is behind when it begins: the batch chooses its first character later.
            let begun = starter.begin(request, emit: emit, finished: finished, ready: { row != 4 || tick > 3 })
            if row == 1 {
                #expect(begun == nil && outcomes[1] != nil, "a row of one character ends as it begins")
            } else {
                #expect(texts[row].isEmpty == (row == 4), "row \(row): its first character is out before any tick unless its reader is behind")
            }
            if let begun { batch.add(begun) }
            batch.tick()
            tick += 1
        }
        while !batch.isEmpty {
            batch.tick()
            tick += 1
        }
        for row in primes.indices {
            let alone = try sampler.sample(prime: primes[row], length: lengths[row], policy: policy, seed: UInt64(40 + row), stops: stops[row].map { [$0] } ?? [])
            #expect(String(decoding: texts[row], as: UTF8.self) == alone.text, "row \(row)")
            #expect(outcomes[row]?.characterCount == alone.generated.count, "row \(row)")
            #expect(outcomes[row]?.stopped == alone.stopped, "row \(row)")
        }
    }

    /// A long prime pauses every `Sampler.primePause` characters (serve lets its lane's other requests in);
    /// a pause that says no ends the row unread, and what was read of it is not kept for the next row.
    @Test func aLongPrimePausesAndStopsWhenTold() throws {
        var checkpoint = try randomCheckpoint(tokens: letters, hidden: 12)
        checkpoint.parameters = checkpoint.parameters.map { $0 * 8 }
        let sampler = Sampler(checkpoint: checkpoint), starter = BatchedGeneration.Starter(sampler: Sampler(checkpoint: checkpoint))
        let prime = (0..<200).map { Int32(1 + $0 % 7) }, policy = SamplingPolicy(temperature: 0.7)
        let request = BatchedGeneration.Request(prime: prime, length: 40, policy: policy, seed: 3)
        var pauses = 0, emitted = 0, outcome: Sampler.Generation?
        let stopped = starter.begin(request, emit: { _, _ in emitted += 1; return true }, finished: { outcome = try? $0.get() },
                                    pause: { pauses += 1; return pauses < 2 })
        #expect(stopped == nil && pauses == 2 && emitted == 0 && outcome?.characterCount == 0)

        pauses = 0
        var text: [UInt8] = []
        let begun = try #require(starter.begin(request, emit: { _, b in text += b; return true }, finished: { _ in },
                                               pause: { pauses += 1; return true }))
        #expect(pauses == (prime.count - 1) / Sampler.primePause, "a pause after every \(Sampler.primePause) characters")
        let batch = BatchedGeneration(sampler: sampler)
        batch.add(begun)
        while !batch.isEmpty { batch.tick() }
        #expect(String(decoding: text, as: UTF8.self) == (try sampler.sample(prime: prime, length: 40, policy: policy, seed: 3)).text)
    }
}
