/// The distinct tokens seen so far, each a sequence of UTF-16 code units with a
/// temporary id in first-seen order. Lookup hashes the code units in place, so
/// finding a token that is already known allocates nothing.
struct TokenInterner {
    /// All tokens' code units, back to back; token `t` is `arena[starts[t]..<starts[t + 1]]`.
    private var arena: [UInt16] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Open addressing with linear probing: -1 for an empty slot, else a token id.
    private var slots = [Int32](repeating: -1, count: 1024)

    /// Number of distinct tokens.
    var count: Int { hashes.count }

    /// The id of the token `units[0..<length]`, adding it if it is new.
    mutating func intern(_ units: UnsafePointer<UInt16>, _ length: Int) -> Int32 {
        let h = Self.hash(units, length)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let t = slots[s]
            if t < 0 { break }
            if hashes[Int(t)] == h && matches(Int(t), units, length) { return t }
            s = (s + 1) & mask
        }
        let id = Int32(count)
        arena.append(contentsOf: UnsafeBufferPointer(start: units, count: length))
        starts.append(arena.count)
        hashes.append(h)
        slots[s] = id
        if count * 2 > slots.count { rehash(capacity: slots.count * 2) }
        return id
    }

    /// The id of a one-unit token.
    mutating func intern(unit: UInt16) -> Int32 {
        var u = unit
        return intern(&u, 1)
    }

    /// The token with this id as a string (one scalar U+0000...U+00FF per byte in byte mode).
    func string(_ id: Int) -> String {
        String(decoding: arena[starts[id]..<starts[id + 1]], as: UTF16.self)
    }

    /// Every token as a string, in id order.
    func strings() -> [String] { (0..<count).map(string) }

    private func matches(_ t: Int, _ units: UnsafePointer<UInt16>, _ length: Int) -> Bool {
        let start = starts[t]
        guard starts[t + 1] - start == length else { return false }
        for k in 0..<length where arena[start + k] != units[k] { return false }
        return true
    }

    private mutating func rehash(capacity: Int) {
        slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (t, h) in hashes.enumerated() {
            var s = Int(truncatingIfNeeded: h) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(t)
        }
    }

    /// FNV-1a over the code units, then a final mix so that the low bits (the slot) depend on every unit.
    @inline(__always)
    private static func hash(_ units: UnsafePointer<UInt16>, _ length: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for k in 0..<length {
            h = (h ^ UInt64(units[k])) &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }
}
