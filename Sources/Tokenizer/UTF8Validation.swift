/// UTF-8 checking for byte input, chunk by chunk.
///
/// Well-formed sequences follow Unicode's Table 3-7. Under `lossy`, each
/// *maximal subpart* of an ill-formed sequence becomes one U+FFFD (Unicode's
/// recommended practice, which Swift's `String(decoding:as:)` also follows).
enum UTF8Validation {
    /// The three bytes of U+FFFD REPLACEMENT CHARACTER.
    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
    /// The three bytes of a byte order mark (U+FEFF).
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Checks `raw` and appends its text to `out`.
    ///
    /// Returns how many bytes of `raw` were used: all of them when `isFinal`,
    /// otherwise all but an incomplete sequence at the very end (at most 3
    /// bytes), which the caller puts in front of the next chunk.
    /// - Throws: `.invalidUTF8(path:offset:)`, offset = `baseOffset` + index in `raw`, unless `lossy`.
    static func validate(
        _ raw: UnsafeBufferPointer<UInt8>, isFinal: Bool, lossy: Bool, baseOffset: Int, path: String?,
        into out: inout [UInt8]
    ) throws(TokenizerError) -> Int {
        guard let p = raw.baseAddress else { return 0 }
        let n = raw.count
        var i = 0
        var runStart = 0  // start of the valid bytes not yet appended
        while i < n {
            // Eight ASCII bytes at a time: the common case.
            while i + 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            if i >= n { break }
            if p[i] < 0x80 { i += 1; continue }
            let r = sequenceLength(p, i, n)
            if r > 0 { i += r; continue }
            if r == 0, !isFinal {  // incomplete at the end: leave it for the next chunk
                out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
                return i
            }
            guard lossy else { throw .invalidUTF8(path: path, offset: baseOffset + i) }
            out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
            out.append(contentsOf: replacement)
            i += r == 0 ? n - i : -r
            runStart = i
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: n - runStart))
        return n
    }

    /// For the sequence starting with the non-ASCII byte `p[i]`: its length
    /// when well-formed (> 0); minus the length of its maximal ill-formed
    /// subpart (< 0); or 0 when it is a valid prefix cut off by the end at `n`.
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        let b0 = p[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0  // no overlong forms
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F  // no surrogates
        case 0xF0: length = 4; low = 0x90  // no overlong forms
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F  // nothing above U+10FFFF
        default: return -1  // a continuation byte, C0, C1 or F5...FF
        }
        if i + 1 >= n { return 0 }
        let b1 = p[i + 1]
        if b1 < low || b1 > high { return -1 }
        var k = 2
        while k < length {
            if i + k >= n { return 0 }
            if p[i + k] & 0xC0 != 0x80 { return -k }
            k += 1
        }
        return length
    }

    /// Whether `p[0..<n]` starts with a byte order mark.
    static func startsWithByteOrderMark(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        p.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF
    }
}
