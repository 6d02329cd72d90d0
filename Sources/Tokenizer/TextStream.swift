import Files
/// Feeds text to a `Segmenter` in pieces of any size: drops a byte order mark
/// at the start, checks UTF-8 (carrying a sequence split between two pieces
/// into the next one), and holds back the text after the last safe cut
/// (`SafeCut`) until more arrives, so that the result does not depend on
/// where the pieces were cut.
///
/// Several files are one stream (`files`): each starts afresh (its own byte
/// order mark, offsets counted from its own first byte), the previous one's
/// text is segmented whole before it starts, so no character spans two files,
/// and a line break is put between two files when the first does not end
/// with one, so that its last line does not run into the next file's first.
struct TextStream {
    var segmenter: Segmenter
    let settings: TokenizerSettings
    /// Named in errors; nil for text from memory.
    private(set) var path: String?
    /// Whether the input still needs UTF-8 checking (false for a `String`, whose bytes are valid).
    let checkUTF8: Bool
    let dropByteOrderMark: Bool

    /// Source bytes taken, byte order mark excluded.
    private(set) var byteCount = 0
    /// Source bytes before `carry` (offsets in errors count from the file's first byte).
    private var offset = 0
    private var started = false
    /// The incomplete UTF-8 sequence at the end of the last piece.
    private var carry: [UInt8] = []
    /// Checked text not yet split: it starts at a safe cut.
    private var pending: [UInt8] = []
    /// The last source byte taken, nil before any.
    private var lastByte: UInt8?
    /// A line break goes in before the current source's first byte (see `beginSource`).
    var separatorDue = false
    // Documents (issue 13): where each non-empty source's text starts in `segmenter.ids`.
    /// The id position of each source's first token (sources with no text have none), ascending.
    private(set) var sourceStarts: [Int] = []
    var sourceStartDue = true

    /// What goes between two sources when the first does not end with a line break.
    static let separator: [UInt8] = [0x0A]

    /// A pending text this long without a safe cut is split at a scalar
    /// boundary anyway (only possible for pathological text, such as megabytes
    /// of combining marks), so memory stays bounded.
    static let pendingLimit = 64 << 20

    init(settings: TokenizerSettings, path: String?, checkUTF8: Bool = true, dropByteOrderMark: Bool = true) throws(TokenizerError) {
        self.init(segmenter: try Segmenter(settings: settings), settings: settings, path: path,
                  checkUTF8: checkUTF8, dropByteOrderMark: dropByteOrderMark)
    }

    /// A stream that goes on with `segmenter` (its tokens and ids so far), for
    /// the part of a file that starts `baseOffset` bytes in (offsets in errors
    /// count from the file's first byte): `ParallelTokenizer`'s pieces.
    init(segmenter: Segmenter, settings: TokenizerSettings, path: String?, baseOffset: Int = 0,
         checkUTF8: Bool = true, dropByteOrderMark: Bool = true) {
        self.settings = settings
        self.path = path
        self.checkUTF8 = checkUTF8 && settings.mode != .byte
        self.dropByteOrderMark = dropByteOrderMark
        self.segmenter = segmenter
        offset = baseOffset
    }

    /// Takes the next piece of the source; `isFinal` for the last one (which may be empty).
    mutating func feed(_ piece: UnsafeBufferPointer<UInt8>, isFinal: Bool) throws(TokenizerError) {
        if carry.isEmpty {
            try take(piece, isFinal: isFinal)
        } else {
            let joined = carry + piece
            carry = []
            try joined.withUnsafeBufferPointer { (b) throws(TokenizerError) in try take(b, isFinal: isFinal) }
        }
    }

    /// Starts the next source (a file after the last one ended with a final
    /// piece): its byte order mark is dropped and error offsets count from its
    /// first byte; a separator goes in before its first byte when the text so
    /// far does not end with a line break.
    mutating func beginSource(path: String?) {
        precondition(carry.isEmpty && pending.isEmpty, "the previous source ended with a final piece")
        self.path = path
        started = false
        offset = 0
        separatorDue = lastByte.map { $0 != 0x0A } ?? false
        sourceStartDue = true  // documents
    }

    private mutating func take(_ piece: UnsafeBufferPointer<UInt8>, isFinal: Bool) throws(TokenizerError) {
        var raw = piece
        if !started && (raw.count >= 3 || isFinal) {
            started = true
            if dropByteOrderMark && UTF8Validation.startsWithByteOrderMark(raw) {
                raw = UnsafeBufferPointer(rebasing: raw[3...])
                offset += 3
            }
        } else if !started {  // too short to tell; wait for more
            carry = Array(raw)
            return
        }
        if let last = raw.last {
            if separatorDue {
                separatorDue = false
                try Self.separator.withUnsafeBufferPointer { (b) throws(TokenizerError) in try segmenter.segment(b) }
            }
            if sourceStartDue {  // documents: the sources before are segmented whole, this one not yet
                sourceStartDue = false
                sourceStarts.append(segmenter.ids.count)
            }
            lastByte = last
        }
        if settings.mode == .byte {
            byteCount += raw.count
            try segmenter.segment(raw)
            return
        }
        if checkUTF8 {
            let used = try UTF8Validation.validate(
                raw, isFinal: isFinal, lossy: settings.lossy, baseOffset: offset, path: path, into: &pending)
            carry = Array(raw[used...])
            offset += used
            byteCount += used
        } else {
            pending.append(contentsOf: raw)
            byteCount += raw.count
        }
        try splitPending(isFinal: isFinal)
    }

    private mutating func splitPending(isFinal: Bool) throws(TokenizerError) {
        let cut: Int
        if isFinal {
            cut = pending.count
        } else if let c = pending.withUnsafeBufferPointer({ SafeCut.last(in: $0, normalize: settings.normalize) }) {
            cut = c
        } else if pending.count > Self.pendingLimit {
            cut = pending.withUnsafeBufferPointer { SafeCut.start(before: $0.count, $0.baseAddress!) }
        } else {
            return
        }
        guard cut > 0 else { return }
        do {
            let text = pending  // shares the storage; lets `segmenter` change while we read
            try text.withUnsafeBufferPointer { (b) throws(TokenizerError) in
                try segmenter.segment(UnsafeBufferPointer(rebasing: b[..<cut]))
            }
        }
        if cut == pending.count { pending.removeAll(keepingCapacity: true) } else { pending.removeFirst(cut) }
    }
}

// MARK: Sources

extension TextStream {
    /// Pieces of this many bytes are read from a file at a time.
    static let defaultChunkSize = 4 << 20

    /// The tokens of the file at `path`, read `chunkSize` bytes at a time.
    static func file(path: String, settings: TokenizerSettings, chunkSize: Int = defaultChunkSize) throws(TokenizerError) -> TextStream {
        try files([path], named: [path], settings: settings, chunkSize: chunkSize)
    }

    /// The tokens of the files at `paths`, one after another (see the type's
    /// documentation for how they are joined); `names` (the paths a user gave)
    /// are named when together they hold no text.
    static func files(_ paths: [String], named names: [String], settings: TokenizerSettings,
                      chunkSize: Int = defaultChunkSize) throws(TokenizerError) -> TextStream {
        precondition(chunkSize >= 4, "chunk size must hold a UTF-8 sequence")
        precondition(!paths.isEmpty, "at least one file")
        var total = 0
        for path in paths {  // every size first: memory is refused before anything is read
            let (sum, overflow) = total.addingReportingOverflow(try InputFile(path: path).sizeHint)
            total = overflow ? .max : sum
        }
        try checkMemory(forFileOf: total, path: paths.count == 1 ? paths[0] : "the \(paths.count) files")
        var stream = try TextStream(settings: settings, path: paths[0])
        // At most one token per byte (and a separator per file): reserving that much costs address
        // space, and memory only for the pages the ids really fill, and the array never moves.
        stream.segmenter.ids.reserveCapacity(total &+ paths.count &+ 16)
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        for path in paths {
            stream.beginSource(path: path)
            let file = try InputFile(path: path)
            while true {
                let n = try rethrowingTokenizerError { try buffer.withUnsafeMutableBytes { b in try file.fill(b) } }
                let isFinal = n < chunkSize
                try buffer.withUnsafeBufferPointer { (b) throws(TokenizerError) in
                    try stream.feed(UnsafeBufferPointer(rebasing: b[..<n]), isFinal: isFinal)
                }
                if isFinal { break }
            }
        }
        if stream.byteCount == 0 { throw paths.count == 1 ? .emptyFile(path: paths[0]) : .noText(paths: names) }
        return stream
    }

    /// Peak bytes of tokenizing per input byte: one Int32 id per character (ASCII
    /// text has a character per byte) and the growth of the ids array; measured
    /// 4.2 on 200 MB of one repeated character.
    static let bytesPerInputByte = 5

    /// Refuses, before reading it, a file whose ids would not fit in the memory left.
    static func checkMemory(forFileOf size: Int, path: String) throws(TokenizerError) {
        guard let available = SystemMemory.availableBytes else { return }
        let (needed, overflow) = size.multipliedReportingOverflow(by: bytesPerInputByte)
        if overflow || needed > available {
            throw .tooLarge(path: path, bytes: size, needed: overflow ? .max : needed, available: available)
        }
    }

    /// The tokens of bytes in memory. A `String`'s bytes (`fromString`) are
    /// valid UTF-8 and keep a leading U+FEFF; other bytes are checked and lose
    /// a leading byte order mark, as a file's would.
    static func memory(
        _ bytes: UnsafeBufferPointer<UInt8>, settings: TokenizerSettings, fromString: Bool,
        chunkSize: Int = defaultChunkSize
    ) throws(TokenizerError) -> TextStream {
        var stream = try TextStream(settings: settings, path: nil, checkUTF8: !fromString, dropByteOrderMark: !fromString)
        stream.segmenter.ids.reserveCapacity(bytes.count)
        var start = 0
        repeat {
            let end = min(bytes.count, start + chunkSize)
            try stream.feed(UnsafeBufferPointer(rebasing: bytes[start..<end]), isFinal: end == bytes.count)
            start = end
        } while start < bytes.count
        return stream
    }

    /// Hands over the ids (temporary, first-seen order) without copying them.
    mutating func takeIDs() -> [Int32] {
        let ids = segmenter.ids
        segmenter.ids = []
        return ids
    }
}
