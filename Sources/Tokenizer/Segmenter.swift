internal import CICU

/// Splits valid UTF-8 into tokens and appends their temporary ids (first-seen
/// order, see `TokenInterner`) to `ids`.
///
/// Fast path: most characters are *simple*: one token each whatever their
/// neighbours are, as long as the neighbours are simple too. For grapheme mode
/// that is a character with Grapheme_Cluster_Break Other, Control, LV or LVT,
/// not Extended_Pictographic; for scalar mode any character; and with NFC,
/// only one that is NFC as it stands (quick check "yes") and never combines
/// with what precedes it. Between two simple characters UAX #29 always breaks
/// (no rule joins Other, Control, LV, LVT pairs; CR LF is handled apart) and
/// NFC has a boundary. So runs of simple characters (all of ASCII but CR,
/// most letters and CJK ideographs) go through tables from byte or BMP code
/// point to id, with no ICU call. A *region* of other text (combining marks,
/// ZWJ, emoji, jamo, anything outside the BMP) plus the simple character on
/// each side of it (the one before may take a mark, the one after may follow a
/// Prepend) goes to ICU: UTF-16, NFC if asked, break iterator. Every region
/// starts and ends between two simple characters, where nothing before can
/// change what comes after.
struct Segmenter {
    let mode: TokenizerMode
    let normalize: Bool
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
        /// BMP scalar → fast-path class: -1 not yet known, -2 not simple,
        /// -3 simple without an id yet, or the id of the simple character.
        let simple: UnsafeMutablePointer<Int32>
        var staging = UnsafeMutablePointer<Int32>.allocate(capacity: 1024)
        var stagingCapacity = 1024
        init(unitTable: Bool) {
            unit = .allocate(capacity: unitTable ? 65536 : 1)
            unit.initialize(repeating: -1, count: unitTable ? 65536 : 1)
            simple = .allocate(capacity: unitTable ? 65536 : 1)
            simple.initialize(repeating: -1, count: unitTable ? 65536 : 1)
            byte.initialize(repeating: -1, count: 256)
        }
        deinit { byte.deallocate(); unit.deallocate(); simple.deallocate(); staging.deallocate() }

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
        normalize = settings.normalize
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
                if id == Self.nonASCII {
                    // A two- or three-byte character (the text is valid UTF-8).
                    let u: UInt16, width: Int
                    if c >= 0xE0 && c < 0xF0 {
                        u = UInt16(c & 0x0F) << 12 | UInt16(p[i + 1] & 0x3F) << 6 | UInt16(p[i + 2] & 0x3F)
                        width = 3
                    } else if c < 0xE0 {
                        u = UInt16(c & 0x1F) << 6 | UInt16(p[i + 1] & 0x3F)
                        width = 2
                    } else {
                        break
                    }
                    id = simpleID(u)
                    if id < 0 { break }
                    out[count] = id
                    count += 1
                    lastStart = i
                    i += width
                    continue
                }
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
            let end = regionEnd(p, n, from: i)
            try segmentRegion(p + start, end - start)
            i = end
        }
    }

    /// Shorter runs of simple characters than this between other text stay
    /// inside one region (fewer ICU calls).
    static let regionGap = 16

    /// End of the region whose first non-simple character starts at `i`: just
    /// after the first simple character (or "\r\n") that begins a run of at
    /// least `regionGap` simple characters, or that reaches the end `n`.
    private mutating func regionEnd(_ p: UnsafePointer<UInt8>, _ n: Int, from i: Int) -> Int {
        var j = i
        while true {
            while j < n {
                let (isSimple, width) = classify(p, j)
                if isSimple { break }
                j += width
            }
            if j >= n { return n }
            var r = j
            var run = 0
            while r < n && run < Self.regionGap {
                let (isSimple, width) = classify(p, r)
                if !isSimple { break }
                r += width
                run += 1
            }
            if r < n && run < Self.regionGap {  // a short run: the region goes on
                j = r
                continue
            }
            var end = j + classify(p, j).width
            if p[j] == 13 && end < n && p[end] == 10 { end += 1 }
            return end
        }
    }

    /// Whether the character at `i` is simple (ASCII always is, CR included:
    /// it breaks on both sides except before LF), and its length in bytes.
    @inline(__always)
    private mutating func classify(_ p: UnsafePointer<UInt8>, _ i: Int) -> (isSimple: Bool, width: Int) {
        let c = p[i]
        if c < 0x80 { return (true, 1) }
        if c >= 0xF0 { return (false, 4) }
        if c >= 0xE0 {
            let u = UInt16(c & 0x0F) << 12 | UInt16(p[i + 1] & 0x3F) << 6 | UInt16(p[i + 2] & 0x3F)
            return (isSimple(u), 3)
        }
        return (isSimple(UInt16(c & 0x1F) << 6 | UInt16(p[i + 1] & 0x3F)), 2)
    }

    /// The id of a simple BMP character, or a negative value if it isn't simple.
    @inline(__always)
    private mutating func simpleID(_ u: UInt16) -> Int32 {
        let known = buffers.simple[Int(u)]
        if known >= 0 { return known }
        if !isSimple(u) { return -2 }
        let id = unitID(u)
        buffers.simple[Int(u)] = id
        return id
    }

    @inline(__always)
    private mutating func isSimple(_ u: UInt16) -> Bool {
        var known = buffers.simple[Int(u)]
        if known == -1 {
            known = Self.isSimple(UInt32(u), mode: mode, nfc: normalize ? icu?.nfc : nil) ? -3 : -2
            buffers.simple[Int(u)] = known
        }
        return known != -2
    }

    /// See the type's documentation. Surrogate code points are never simple.
    static func isSimple(_ c: UInt32, mode: TokenizerMode, nfc: OpaquePointer?) -> Bool {
        if c >= 0xD800 && c < 0xE000 { return false }
        let scalar = Int32(bitPattern: c)
        if let nfc {
            if charrnn_unorm2_hasBoundaryBefore(nfc, scalar) == 0 { return false }
            var units = [UInt16](repeating: 0, count: 2)
            let length = c < 0x10000 ? 1 : 2
            if length == 1 {
                units[0] = UInt16(c)
            } else {
                units[0] = UInt16(0xD800 + ((c - 0x10000) >> 10))
                units[1] = UInt16(0xDC00 + ((c - 0x10000) & 0x3FF))
            }
            var status = charrnn_u_zeroError()
            let span = charrnn_unorm2_spanQuickCheckYes(nfc, units, Int32(length), &status)
            if charrnn_u_failure(status) != 0 || Int(span) != length { return false }
        }
        if mode == .scalar { return true }
        switch charrnn_u_graphemeClusterBreak(scalar) {
        case charrnn_gcb_other(), charrnn_gcb_lv(), charrnn_gcb_lvt():
            return charrnn_u_isExtendedPictographic(scalar) == 0
        case charrnn_gcb_control():
            return true
        default:
            return false
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
