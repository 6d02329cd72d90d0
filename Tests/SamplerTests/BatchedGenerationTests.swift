import Foundation
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
}
