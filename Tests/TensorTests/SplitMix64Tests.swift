import Testing
import Tensor

@Suite struct SplitMix64Tests {
    @Test func sameSeedSameSequence() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
    }

    @Test func knownFirstValueForSeedZero() {
        // Reference value of SplitMix64 with state 0 (Vigna's splitmix64.c).
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test func floatsAreInUnitInterval() {
        var g = SplitMix64(seed: 7)
        var sum = 0.0
        for _ in 0..<10_000 {
            let x = g.nextFloat()
            #expect(x >= 0 && x < 1)
            sum += Double(x)
        }
        #expect(abs(sum / 10_000 - 0.5) < 0.02)
    }
}
