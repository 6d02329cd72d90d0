internal import CICU

/// Baselines for measuring the tokenizer (for `charrnn bench` and `charrnn vocab --bench`).
public enum TokenizerBenchmark {
    /// The number of extended grapheme clusters in a UTF-8 file, counted with
    /// nothing but ICU: read 4 MB pieces, `u_strFromUTF8`, `ubrk_setText`,
    /// `ubrk_next` to the end. No NFC, no vocabulary, no ids: the floor that
    /// grapheme mode is compared with. (A cluster cut by a piece boundary counts
    /// twice, a negligible error for timing.)
    public static func bareBreakIteratorCount(path: String, chunkSize: Int = 4 << 20) throws(TokenizerError) -> Int {
        let file = try InputFile(path: path)
        let icu = try ICUText(graphemes: true, normalize: false)
        var buffer = [UInt8](repeating: 0, count: chunkSize + 4)
        var carried = 0  // bytes of a UTF-8 sequence cut by the last piece, moved to the front
        var clusters = 0
        while true {
            let n = try rethrowingTokenizerError {
                try buffer.withUnsafeMutableBytes { b in
                    try file.fill(UnsafeMutableRawBufferPointer(rebasing: b[carried..<(carried + chunkSize)]))
                }
            }
            let total = carried + n
            let isFinal = n < chunkSize
            try buffer.withUnsafeMutableBufferPointer { (b) throws(TokenizerError) in
                let p = b.baseAddress!
                // Keep the last scalar for the next piece unless it is the end.
                let end = isFinal || total == 0 ? total : SafeCut.start(before: total, p)
                let length = try icu.convert(p, end)
                try icu.forEachCluster(icu.utf16.baseAddress!, length) { _, _ in clusters += 1 }
                carried = total - end
                for i in 0..<carried { p[i] = p[end + i] }
            }
            if isFinal { break }
        }
        return clusters
    }
}
