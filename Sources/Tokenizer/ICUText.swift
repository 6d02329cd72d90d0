internal import CICU

/// ICU objects and scratch buffers for splitting text: one per tokenizing run,
/// never shared between threads. Owns everything it allocates.
final class ICUText {
    /// UBreakIterator for extended grapheme clusters (nil unless asked for).
    let breakIterator: OpaquePointer?
    /// ICU's NFC normalizer (owned by ICU, never closed), nil unless asked for.
    let nfc: OpaquePointer?
    /// UTF-16 of the text being split, and its NFC form.
    private(set) var utf16: UnsafeMutableBufferPointer<UInt16>
    private(set) var normalized: UnsafeMutableBufferPointer<UInt16>

    init(graphemes: Bool, normalize: Bool) throws(TokenizerError) {
        var status = charrnn_u_zeroError()
        if graphemes {
            let bi = charrnn_ubrk_openCharacter(&status)
            if charrnn_u_failure(status) != 0 || bi == nil { throw ICUText.failure(status) }
            breakIterator = bi
        } else {
            breakIterator = nil
        }
        if normalize {
            let n = charrnn_unorm2_getNFCInstance(&status)
            if charrnn_u_failure(status) != 0 || n == nil {
                if let bi = breakIterator { charrnn_ubrk_close(bi) }
                throw ICUText.failure(status)
            }
            nfc = n
        } else {
            nfc = nil
        }
        utf16 = .allocate(capacity: 4096)
        normalized = .allocate(capacity: 4096)
    }

    deinit {
        if let bi = breakIterator { charrnn_ubrk_close(bi) }
        utf16.deallocate()
        normalized.deallocate()
    }

    static func failure(_ status: Int32) -> TokenizerError {
        .icuFailure(String(cString: charrnn_u_errorName(status)))
    }

    /// The UTF-16 form of `bytes` (valid UTF-8), in `utf16`; returns its length.
    func convert(_ bytes: UnsafePointer<UInt8>, _ count: Int) throws(TokenizerError) -> Int {
        guard count <= Int(Int32.max) else { throw .icuFailure("U_INDEX_OUTOFBOUNDS_ERROR") }
        if utf16.count < count { utf16.deallocate(); utf16 = .allocate(capacity: count) }  // never more units than bytes
        var status = charrnn_u_zeroError()
        var length: Int32 = 0
        bytes.withMemoryRebound(to: CChar.self, capacity: count) { src in
            _ = charrnn_u_strFromUTF8(utf16.baseAddress, Int32(utf16.count), &length, src, Int32(count), &status)
        }
        if charrnn_u_failure(status) != 0 { throw ICUText.failure(status) }
        return Int(length)
    }

    /// `utf16[0..<length]` in NFC: either `utf16` itself when already normalized
    /// (the usual case, found by a quick check) or `normalized`.
    func normalize(length: Int) throws(TokenizerError) -> (UnsafeMutablePointer<UInt16>, Int) {
        guard let nfc, let src = utf16.baseAddress else { return (utf16.baseAddress!, length) }
        var status = charrnn_u_zeroError()
        let span = charrnn_unorm2_spanQuickCheckYes(nfc, src, Int32(length), &status)
        if charrnn_u_failure(status) != 0 { throw ICUText.failure(status) }
        if Int(span) == length { return (src, length) }
        // NFC can make a text longer (a composition-excluded character decomposes); retry with ICU's figure.
        var needed = length + length / 2 + 16
        while true {
            if normalized.count < needed { normalized.deallocate(); normalized = .allocate(capacity: needed) }
            status = charrnn_u_zeroError()
            let m = charrnn_unorm2_normalize(nfc, src, Int32(length), normalized.baseAddress, Int32(normalized.count), &status)
            if status == charrnn_u_bufferOverflowError() { needed = Int(m); continue }
            if charrnn_u_failure(status) != 0 { throw ICUText.failure(status) }
            return (normalized.baseAddress!, Int(m))
        }
    }

    /// `text` in NFC, as a `String` (needs `normalize`; a text already in NFC comes back as it is).
    func normalized(_ text: String) throws(TokenizerError) -> String {
        var text = text
        let length = try rethrowingTokenizerError {
            try text.withUTF8 { bytes in try bytes.baseAddress.map { try convert($0, bytes.count) } ?? 0 }
        }
        if length == 0 { return text }
        let (start, count) = try normalize(length: length)
        return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF16.self)
    }

    /// Calls `body(start, end)` for each extended grapheme cluster of `text[0..<length]`.
    @inline(__always)
    func forEachCluster(_ text: UnsafePointer<UInt16>, _ length: Int, _ body: (Int, Int) -> Void) throws(TokenizerError) {
        guard let bi = breakIterator else { return }
        var status = charrnn_u_zeroError()
        charrnn_ubrk_setText(bi, text, Int32(length), &status)
        if charrnn_u_failure(status) != 0 { throw ICUText.failure(status) }
        let done = charrnn_ubrk_done()
        var start = Int(charrnn_ubrk_first(bi))
        while true {
            let end = charrnn_ubrk_next(bi)
            if end == done { break }
            body(start, Int(end))
            start = Int(end)
        }
        // Don't leave the iterator pointing into a buffer that may be freed.
        charrnn_ubrk_setText(bi, nil, 0, &status)
    }

    /// The Unicode version ICU implements, as "15.0".
    static var unicodeVersion: String {
        var buffer = [CChar](repeating: 0, count: 32)
        charrnn_u_unicodeVersion(&buffer)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// ICU's own version, as "72.1".
    static var icuVersion: String {
        var buffer = [CChar](repeating: 0, count: 32)
        charrnn_u_icuVersion(&buffer)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
