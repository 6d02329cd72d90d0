internal import CICU

/// Where a stream of text can be cut so that the two sides split into exactly
/// the tokens the whole would: before a character `c` (after `prev`) such that
///
/// - NFC: `c` has a normalization boundary before it (nothing before `c`
///   combines or reorders with it), and
/// - UAX #29: a grapheme cluster boundary is certain before `c` whatever comes
///   after, and no rule for a later boundary looks back past it. Such a `c` is a
///   control or CR (GB4, GB5), an LF not after CR (GB3), a Hangul L, LV or LVT
///   not after L (GB6), or any other "Other" character, unless `prev` is
///   Prepend (GB9b), or Extend or ZWJ (ICU 72 follows CLDR's aksara rule,
///   "LinkingConsonant ExtCccZwj* Virama ExtCccZwj* × LinkingConsonant" for
///   Devanagari, Bengali, Gujarati, Oriya, Telugu and Malayalam, so "क्षि" is one
///   cluster; viramas are Extend), or `c` is pictographic after a ZWJ (GB11).
///   Extend, ZWJ, SpacingMark, Regional_Indicator (pairing counts back to the
///   run's start) and Hangul V and T are never cut before.
///
/// Cutting there and splitting each side on its own gives the same tokens as
/// splitting the whole, in every mode.
enum SafeCut {
    /// How far back from the end of a buffer to look for a cut before giving up
    /// (the caller then reads more text and tries again).
    static let searchLimit = 1 << 16

    /// The last safe cut in valid UTF-8 `text` (0 < cut < count), or nil.
    static func last(in text: UnsafeBufferPointer<UInt8>, normalize: Bool) -> Int? {
        guard let p = text.baseAddress, text.count >= 2 else { return nil }
        let n = text.count
        let floor = max(0, n - searchLimit)
        // `s` is where the character `c` starts; `prev` is the character before it.
        var s = start(before: n, p)
        var c = decode(p, s)
        while s > floor && s > 0 {
            let ps = start(before: s, p)
            let prev = decode(p, ps)
            if isSafe(prev: prev, c, normalize: normalize) { return s }
            s = ps
            c = prev
        }
        return nil
    }

    /// Whether text can be cut between `prev` and `c` (see the type's documentation).
    static func isSafe(prev: UInt32, _ c: UInt32, normalize: Bool) -> Bool {
        if prev < 0x80 && c < 0x80 { return !(prev == 13 && c == 10) }
        if normalize, let nfc = nfcInstance, charrnn_unorm2_hasBoundaryBefore(nfc, Int32(bitPattern: c)) == 0 {
            return false
        }
        let gc = charrnn_u_graphemeClusterBreak(Int32(bitPattern: c))
        let gp = charrnn_u_graphemeClusterBreak(Int32(bitPattern: prev))
        switch gc {
        case charrnn_gcb_control(), charrnn_gcb_cr():
            return true
        case charrnn_gcb_lf():
            return gp != charrnn_gcb_cr()
        case charrnn_gcb_l(), charrnn_gcb_lv(), charrnn_gcb_lvt():
            return gp != charrnn_gcb_prepend() && gp != charrnn_gcb_l()
        case charrnn_gcb_other():
            return gp != charrnn_gcb_prepend() && gp != charrnn_gcb_extend() && gp != charrnn_gcb_zwj()
        default:
            return false
        }
    }

    /// ICU's NFC instance (ICU keeps it for the life of the process).
    nonisolated(unsafe) private static let nfcInstance: OpaquePointer? = {
        var status = charrnn_u_zeroError()
        let n = charrnn_unorm2_getNFCInstance(&status)
        return charrnn_u_failure(status) != 0 ? nil : n
    }()

    /// Start of the character that ends at `end` (valid UTF-8, end > 0).
    @inline(__always)
    static func start(before end: Int, _ p: UnsafePointer<UInt8>) -> Int {
        var i = end - 1
        while i > 0 && p[i] & 0xC0 == 0x80 { i -= 1 }
        return i
    }

    /// The scalar value starting at `i` (valid UTF-8).
    @inline(__always)
    static func decode(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt32 {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return b0 }
        if b0 < 0xE0 { return (b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F) }
        if b0 < 0xF0 { return (b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F) }
        return (b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F)
    }
}
