internal import CICU

/// Splits valid UTF-8 into tokens and appends their temporary ids (first-seen
/// order, see `TokenInterner`) to `ids`.
///
/// ASCII fast path: between two ASCII characters there is always a grapheme
/// cluster boundary (except inside "\r\n") and an NFC boundary, and an ASCII
/// character is its own token. So a run of ASCII goes through a table from byte
/// to id. Only the ASCII character just before a non-ASCII one can join it (a
/// combining mark, ZWJ, ...) and only the one just after can join a Prepend
/// character before it, so a *region* of non-ASCII text plus one ASCII
/// character on each side goes to ICU (UTF-16, NFC if asked, break iterator).
/// Every region starts and ends between two ASCII characters, where nothing
/// before can change what comes after.
struct Segmenter {
    let mode: TokenizerMode
    /// Output: a temporary id per token.
    var ids: [Int32] = []
    private(set) var interner = TokenInterner()
    private let icu: ICUText?
    private let buffers: Buffers
    /// Ids of the text being split, copied to `ids` in one go at the end of
    /// `segment` (appending one by one to an array costs a uniqueness check each).
    private var staged: UnsafeMutablePointer<Int32>
    private var stagedCount = 0
    /// Temporary id of "\r\n" (grapheme mode), -1 until seen.
    private var crlf: Int32 = -1

    /// Non-ASCII ASCII-table marker, and a CR in grapheme mode (it may start "\r\n").
    private static let nonASCII: Int32 = -2, carriageReturn: Int32 = -3

    /// Lookup tables from one code unit to its token's id, and the staging
    /// buffer; owns their memory.
    private final class Buffers {
        /// Byte (or ASCII character) → id; -1 unseen, or a marker above.
        let byte = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
        /// One-code-unit token (BMP, not a surrogate) → id, -1 unseen. Not used in byte mode.
        let unit: UnsafeMutablePointer<Int32>
        var staging = UnsafeMutablePointer<Int32>.allocate(capacity: 1024)
        var stagingCapacity = 1024
        init(unitTable: Bool) {
            unit = .allocate(capacity: unitTable ? 65536 : 1)
            unit.initialize(repeating: -1, count: unitTable ? 65536 : 1)
            byte.initialize(repeating: -1, count: 256)
        }
        deinit { byte.deallocate(); unit.deallocate(); staging.deallocate() }

        /// Room for `capacity` ids, keeping the first `count`.
        func growStaging(to capacity: Int, keeping count: Int) -> UnsafeMutablePointer<Int32> {
            let bigger = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
            bigger.update(from: staging, count: count)
            staging.deallocate()
            staging = bigger
            stagingCapacity = capacity
            return bigger
        }
    }

    init(settings: TokenizerSettings) throws(TokenizerError) {
        mode = settings.mode
        if mode == .byte {
            icu = nil
            buffers = Buffers(unitTable: false)
        } else {
            icu = try ICUText(graphemes: mode == .grapheme, normalize: settings.normalize)
            buffers = Buffers(unitTable: true)
            for b in 0x80..<256 { buffers.byte[b] = Self.nonASCII }
            if mode == .grapheme { buffers.byte[13] = Self.carriageReturn }
        }
        staged = buffers.staging
    }

    /// The tokens in temporary-id order, as strings.
    func tokenStrings() -> [String] { interner.strings() }

    // MARK: Splitting

    /// Appends the tokens of `text`. In grapheme and scalar mode `text` must be
    /// valid UTF-8 that starts and ends at safe cuts (see `SafeCut`).
    mutating func segment(_ text: UnsafeBufferPointer<UInt8>) throws(TokenizerError) {
        guard let p = text.baseAddress, text.count > 0 else { return }
        let n = text.count
        // At most one token per byte outside ICU regions (which check for themselves).
        if buffers.stagingCapacity < n { staged = buffers.growStaging(to: n, keeping: 0) }
        stagedCount = 0
        defer {
            ids.append(contentsOf: UnsafeBufferPointer(start: staged, count: stagedCount))
            stagedCount = 0
        }
        let table = buffers.byte
        let out = staged
        if mode == .byte {
            for i in 0..<n {
                var id = table[Int(p[i])]
                if id < 0 {
                    id = interner.intern(unit: UInt16(p[i]))
                    table[Int(p[i])] = id
                }
                out[i] = id
            }
            stagedCount = n
            return
        }
        var i = 0
        while i < n {
            // ASCII run, written through local copies of the staging state.
            let out = staged
            var count = stagedCount
            var lastStart = -1  // where the last token of this run started
            while i < n {
                let c = p[i]
                var id = table[Int(c)]
                if id >= 0 {
                    out[count] = id
                    count += 1
                    lastStart = i
                    i += 1
                    continue
                }
                if id == Self.nonASCII { break }
                lastStart = i
                if id == Self.carriageReturn {
                    if i + 1 < n && p[i + 1] == 10 {
                        if crlf < 0 { crlf = interner.intern([13, 10], 2) }
                        id = crlf
                        i += 2
                    } else {
                        id = unitID(13)
                        i += 1
                    }
                } else {
                    id = unitID(UInt16(c))
                    table[Int(c)] = id
                    i += 1
                }
                out[count] = id
                count += 1
            }
            stagedCount = count
            if i >= n { break }
            // A region: the ASCII token just before (taken back), the non-ASCII
            // text with short ASCII gaps, and the first ASCII token after.
            var start = i
            if lastStart >= 0 {
                stagedCount -= 1
                start = lastStart
            }
            let end = Self.regionEnd(p, n, from: i)
            try segmentRegion(p + start, end - start)
            i = end
        }
    }

    /// Shorter ASCII gaps than this between non-ASCII text stay inside one
    /// region (fewer ICU calls for Cyrillic, Greek, CJK with spaces...).
    static let regionGap = 16

    /// End of the region whose non-ASCII text starts at `i`: just after the
    /// first ASCII token that follows a long enough ASCII gap (or `n`).
    private static func regionEnd(_ p: UnsafePointer<UInt8>, _ n: Int, from i: Int) -> Int {
        var j = i
        while true {
            while j < n && p[j] >= 0x80 { j += 1 }
            if j >= n { return n }
            var r = j
            while r < n && r - j < regionGap && p[r] < 0x80 { r += 1 }
            if r < n && p[r] >= 0x80 {  // short gap: the region goes on
                j = r
                continue
            }
            var end = j + 1
            if p[j] == 13 && end < n && p[end] == 10 { end += 1 }
            return end
        }
    }

    /// Splits text that may hold anything through ICU.
    private mutating func segmentRegion(_ p: UnsafePointer<UInt8>, _ n: Int) throws(TokenizerError) {
        guard let icu else { return }
        let length = try icu.convert(p, n)
        let (text, count) = try icu.normalize(length: length)
        if mode == .grapheme {
            try icu.forEachCluster(text, count) { start, end in
                emit(text + start, end - start)
            }
        } else {
            var k = 0
            while k < count {
                let width = UTF16.isLeadSurrogate(text[k]) && k + 1 < count && UTF16.isTrailSurrogate(text[k + 1]) ? 2 : 1
                emit(text + k, width)
                k += width
            }
        }
    }

    @inline(__always)
    private mutating func emit(_ units: UnsafePointer<UInt16>, _ length: Int) {
        let id = length == 1 ? unitID(units[0]) : interner.intern(units, length)
        // The buffer holds one id per byte of the text; only NFC could make more (scalar mode).
        if stagedCount == buffers.stagingCapacity {
            staged = buffers.growStaging(to: 2 * stagedCount, keeping: stagedCount)
        }
        staged[stagedCount] = id
        stagedCount += 1
    }

    /// The id of a one-code-unit token, through the table.
    @inline(__always)
    private mutating func unitID(_ u: UInt16) -> Int32 {
        var id = buffers.unit[Int(u)]
        if id < 0 {
            id = interner.intern(unit: u)
            buffers.unit[Int(u)] = id
        }
        return id
    }
}
