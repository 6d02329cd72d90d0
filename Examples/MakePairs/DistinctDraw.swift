import Tensor

/// Distinct integers drawn at random, reproducibly from a generator.
enum DistinctDraw {
    /// `count` distinct integers of 0..<n in the order drawn: the first `count` places of a
    /// Fisher–Yates shuffle of 0..<n when they are a large share of it (every number once when
    /// count = n), else draws of `rng.next() % n` that skip repeats. (The modulo's bias is
    /// below n / 2⁶⁴, nothing for these sizes.)
    static func draw(count: Int, from n: Int, using rng: inout SplitMix64) -> [Int] {
        precondition(0 <= count && count <= n)
        if count * 4 >= n {
            var all = Array(0..<n)
            for i in 0..<count { all.swapAt(i, i + Int(rng.next() % UInt64(n - i))) }
            return Array(all[..<count])
        }
        var seen = Set<Int>(minimumCapacity: count), drawn: [Int] = []
        drawn.reserveCapacity(count)
        while drawn.count < count {
            let x = Int(rng.next() % UInt64(n))
            if seen.insert(x).inserted { drawn.append(x) }
        }
        return drawn
    }
}
