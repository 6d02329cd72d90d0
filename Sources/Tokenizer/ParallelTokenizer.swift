import Dispatch
import Files
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Tokenizes files on several threads, with the same tokens as one stream
/// (`TextStream.files`) reading them in order.
///
/// Each file is cut into pieces of about `pieceSize` bytes at safe cuts
/// (`SafeCut`: splitting each side on its own gives the tokens the whole
/// would), found before anything is tokenized by looking at a few kilobytes
/// before each multiple of `pieceSize`. Workers take pieces in order, each
/// with its own `Segmenter` (its own interner, so its own *local* ids), and
/// hand back the piece's ids, encoded by `encode` on the worker's thread. The
/// caller's thread receives them in piece order (`consume`), at most
/// `threads + 2` pieces being held at once, so memory stays bounded whatever
/// the size of the text. The local ids become vocabulary ids later, piece by
/// piece (`Tokens.tables`), once every token is known.
///
/// Between two files the line break `TextStream` would add goes in front of
/// the second file's first piece; a byte order mark is dropped at the start of
/// each file only. Error offsets count from the start of their file.
struct ParallelTokenizer {
    let settings: TokenizerSettings
    let threads: Int
    let pieceSize: Int
    /// Bytes read from a file at a time.
    let readSize: Int

    static let defaultPieceSize = 8 << 20

    init(settings: TokenizerSettings, threads: Int = ParallelTokenizer.processors, pieceSize: Int = defaultPieceSize,
         readSize: Int = TextStream.defaultChunkSize) {
        precondition(threads >= 1 && pieceSize >= 16 && readSize >= 4)
        self.settings = settings
        self.threads = threads
        self.pieceSize = pieceSize
        self.readSize = readSize
    }

    /// The processors online.
    static var processors: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    // MARK: Pieces

    /// A part of one file, from one safe cut to the next.
    struct Piece: Sendable {
        var file: Int
        var path: String
        var range: Range<Int>
        /// The first piece of its file: a byte order mark may start it.
        var startsFile: Bool
        /// A line break goes in front (the previous file's text does not end with one).
        var separatorFirst: Bool
    }

    /// Cuts `paths` into pieces. A file that holds nothing, or only a byte
    /// order mark, gives no piece. Nil when a file's size is only known by
    /// reading it (a kernel file such as /proc/cpuinfo): the caller then reads
    /// the files as one stream.
    func pieces(of paths: [String]) throws(TokenizerError) -> [Piece]? {
        var pieces: [Piece] = []
        var lastByte: UInt8? = nil  // of the text so far, for the separator
        for (index, path) in paths.enumerated() {
            let file = try InputFile(path: path)
            let size = file.sizeHint
            var head = [UInt8](repeating: 0, count: min(size, 3))
            _ = try rethrowingTokenizerError { try head.withUnsafeMutableBytes { b in try file.fill(b, at: 0) } }
            if size == 0 {  // empty, or a kernel file whose size is unknown until read
                var probe: UInt8 = 0
                let got = try withUnsafeMutableBytes(of: &probe) { (b) throws(TokenizerError) in try file.fill(b, at: 0) }
                if got > 0 { return nil }
                continue
            }
            let bom = head == UTF8Validation.byteOrderMark ? 3 : 0
            if size <= bom { continue }
            var tail: UInt8 = 0
            _ = try withUnsafeMutableBytes(of: &tail) { (b) throws(TokenizerError) in try file.fill(b, at: size - 1) }
            var start = 0
            var separator = lastByte.map { $0 != 0x0A } ?? false
            var target = pieceSize
            while target < size {
                if let cut = try cut(in: file, before: target, after: start) {
                    pieces.append(Piece(file: index, path: path, range: start..<cut, startsFile: start == 0,
                                        separatorFirst: separator))
                    separator = false
                    start = cut
                }
                target += pieceSize
            }
            pieces.append(Piece(file: index, path: path, range: start..<size, startsFile: start == 0,
                                separatorFirst: separator))
            lastByte = tail
        }
        return pieces
    }

    /// Bytes looked at before a piece boundary for a safe cut.
    static let cutWindow = 1 << 16

    /// A safe cut in `file` at or before `target` and after `floor`, or nil
    /// (the piece then runs on to the next boundary).
    private func cut(in file: borrowing InputFile, before target: Int, after floor: Int) throws(TokenizerError) -> Int? {
        if settings.mode == .byte { return target }
        let from = max(floor + 1, target - Self.cutWindow)
        guard from < target else { return nil }
        var window = [UInt8](repeating: 0, count: target - from + 4)
        let got = try rethrowingTokenizerError { try window.withUnsafeMutableBytes { b in try file.fill(b, at: from) } }
        window.removeLast(window.count - got)
        let limit = target - from  // a cut at index i of the window is before window[i]; i ≤ limit
        return window.withUnsafeBufferPointer { w -> Int? in
            // Two ASCII characters, not CR LF: always safe, and both are whole characters whatever surrounds them.
            var i = min(limit, w.count - 1)
            while i >= 1 {
                if w[i] < 0x80 && w[i - 1] < 0x80 && !(w[i - 1] == 13 && w[i] == 10) { return from + i }
                i -= 1
            }
            // Else the last safe cut of the window's valid text (text without ASCII pairs, such as CJK).
            var s = 0
            while s < w.count && w[s] & 0xC0 == 0x80 { s += 1 }
            var e = min(limit, w.count)
            if e > s, w[e - 1] >= 0x80 {  // end after the last whole character
                var lead = e - 1
                while lead > s && w[lead] & 0xC0 == 0x80 { lead -= 1 }
                let length = w[lead] >= 0xF0 ? 4 : w[lead] >= 0xE0 ? 3 : w[lead] >= 0xC0 ? 2 : 1
                if lead + length != e { e = lead }
            }
            guard e - s >= 2 else { return nil }
            let text = UnsafeBufferPointer(rebasing: w[s..<e])
            guard String(validating: text, as: UTF8.self) != nil,
                  let c = SafeCut.last(in: text, normalize: settings.normalize) else { return nil }
            return from + s + c
        }
    }

    // MARK: Running

    /// What the workers made: each worker's tokens (local id order) and their
    /// occurrences, and which worker tokenized each piece.
    struct Tokens {
        var workers: [(strings: [String], counts: [Int])]
        var pieces: [(worker: Int, count: Int)]
        var byteCount: Int
        /// Where each file with text starts in the ids (after the line break put before it), ascending.
        var sourceStarts: [Int]
        var idCount: Int { pieces.reduce(0) { $0 + $1.count } }
    }

    /// Tokenizes `paths`; `encode` turns a piece's local ids into what
    /// `consume` takes, which gets the pieces in order, and adds each id's
    /// occurrences to the worker's counts (index = local id; room for every id). Nil when the files
    /// must be read as one stream (see `pieces(of:)`).
    func run<Payload>(
        paths: [String], named names: [String],
        encode: @escaping @Sendable ([Int32], inout [Int]) -> Payload,
        consume: (Payload) throws(TokenizerError) -> Void
    ) throws(TokenizerError) -> Tokens? {
        guard let pieces = try pieces(of: paths) else { return nil }
        let board = Board<Payload>(pieces: pieces.count, inFlight: threads + 2)
        let group = DispatchGroup()
        let workerCount = min(threads, max(pieces.count, 1))
        let workers = (0..<workerCount).map { _ in WorkerResult() }
        let settings = self.settings, readSize = self.readSize
        for w in 0..<workerCount {
            DispatchQueue.global().async(group: group) {
                Self.work(worker: w, pieces: pieces, settings: settings, readSize: readSize, board: board,
                          encode: encode, result: workers[w])
            }
        }
        var failure: TokenizerError? = nil
        var order: [(worker: Int, count: Int)] = []
        order.reserveCapacity(pieces.count)
        var byteCount = 0, idCount = 0
        var sourceStarts: [Int] = []
        for k in pieces.indices {
            switch board.take(k) {
            case nil:  // a worker stopped the run (its error is below)
                break
            case .failure(let e):
                failure = e
            case .success(let done):
                do throws(TokenizerError) { try consume(done.payload) } catch { failure = error }
                order.append((done.worker, done.count))
                sourceStarts += done.sourceStarts.map { idCount + $0 }
                byteCount += done.bytes
                idCount += done.count
            }
            if failure != nil || order.count <= k { break }
        }
        board.cancel()
        group.wait()
        if let failure { throw failure }
        if let e = workers.lazy.compactMap(\.error).first { throw e }
        guard order.count == pieces.count else { throw .icuFailure("the tokenizer's workers (they stopped early)") }
        if byteCount == 0 { throw paths.count == 1 ? .emptyFile(path: paths[0]) : .noText(paths: names) }
        return Tokens(workers: workers.map { ($0.strings, $0.counts) }, pieces: order, byteCount: byteCount,
                      sourceStarts: sourceStarts)
    }

    /// One worker: takes pieces until there are none (or the run stops).
    private static func work<Payload>(
        worker w: Int, pieces: [Piece], settings: TokenizerSettings, readSize: Int, board: Board<Payload>,
        encode: @Sendable ([Int32], inout [Int]) -> Payload, result: WorkerResult
    ) {
        var segmenter: Segmenter
        do throws(TokenizerError) { segmenter = try Segmenter(settings: settings) } catch {
            result.error = error
            board.cancel()
            return
        }
        var counts: [Int] = []
        var buffer = [UInt8](repeating: 0, count: min(readSize, max(4, pieces.map(\.range.count).max() ?? 4)))
        while let k = board.claim() {
            let piece = pieces[k]
            var stream = TextStream(segmenter: segmenter, settings: settings, path: piece.path,
                                    baseOffset: piece.range.lowerBound, dropByteOrderMark: piece.startsFile)
            segmenter.ids = []  // the stream's copy is then the only one: appending to it copies nothing
            stream.separatorDue = piece.separatorFirst
            stream.sourceStartDue = piece.startsFile
            stream.segmenter.ids.reserveCapacity(piece.range.count + 2)
            do throws(TokenizerError) {
                let file = try InputFile(path: piece.path)
                var at = piece.range.lowerBound
                repeat {
                    let n = min(buffer.count, piece.range.upperBound - at)
                    let got = try rethrowingTokenizerError {
                        try buffer.withUnsafeMutableBytes { b in try file.fill(UnsafeMutableRawBufferPointer(rebasing: b[..<n]), at: at) }
                    }
                    if got < n {
                        throw TokenizerError.unreadable(path: piece.path, reason: "it changed while being read (it is shorter than it was)")
                    }
                    at += n
                    try buffer.withUnsafeBufferPointer { (b) throws(TokenizerError) in
                        try stream.feed(UnsafeBufferPointer(rebasing: b[..<n]), isFinal: at == piece.range.upperBound)
                    }
                } while at < piece.range.upperBound
            } catch {
                board.put(k, .failure(error))
                segmenter = stream.segmenter
                segmenter.ids = []
                continue
            }
            var ids = stream.takeIDs()
            segmenter = stream.segmenter
            let tokens = segmenter.interner.count
            if counts.count < tokens { counts += [Int](repeating: 0, count: tokens - counts.count) }
            let payload = encode(ids, &counts)
            board.put(k, .success(Done(worker: w, count: ids.count, bytes: stream.byteCount,
                                        sourceStarts: stream.sourceStarts, payload: payload)))
            ids.removeAll(keepingCapacity: true)  // the next piece's ids go where these were (no new pages)
            segmenter.ids = ids
        }
        result.strings = segmenter.tokenStrings()
        result.counts = counts + [Int](repeating: 0, count: max(0, result.strings.count - counts.count))
    }

    /// A finished piece.
    struct Done<Payload> {
        var worker: Int, count: Int, bytes: Int
        var sourceStarts: [Int]  // within the piece: its file's start, when the piece begins one
        var payload: Payload
    }

    /// What one worker leaves behind when it stops.
    private final class WorkerResult: @unchecked Sendable {
        var strings: [String] = []
        var counts: [Int] = []
        var error: TokenizerError?
    }

    /// The pieces' hand-over: which piece is next, the finished ones, and the
    /// bound on pieces held at once (a worker waits for the caller to take
    /// earlier pieces before it starts another).
    private final class Board<Payload>: @unchecked Sendable {
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        private var next = 0, taken = 0
        private let total: Int, inFlight: Int
        private var slots: [Result<Done<Payload>, TokenizerError>?]
        private var cancelled = false

        init(pieces: Int, inFlight: Int) {
            total = pieces
            self.inFlight = inFlight
            slots = Array(repeating: nil, count: pieces)
            pthread_mutex_init(lock, nil)
            pthread_cond_init(changed, nil)
        }
        deinit {
            pthread_cond_destroy(changed)
            pthread_mutex_destroy(lock)
            changed.deallocate()
            lock.deallocate()
        }

        /// The next piece to tokenize, or nil when none is left or the run stopped.
        func claim() -> Int? {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            while !cancelled && next < total && next - taken >= inFlight { pthread_cond_wait(changed, lock) }
            guard !cancelled && next < total else { return nil }
            next += 1
            return next - 1
        }

        func put(_ k: Int, _ result: Result<Done<Payload>, TokenizerError>) {
            pthread_mutex_lock(lock)
            slots[k] = result
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(lock)
        }

        /// Waits for piece `k` and takes it; nil when the run stopped first.
        func take(_ k: Int) -> Result<Done<Payload>, TokenizerError>? {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            while slots[k] == nil && !cancelled { pthread_cond_wait(changed, lock) }
            guard let result = slots[k] else { return nil }
            slots[k] = nil
            taken = k + 1
            pthread_cond_broadcast(changed)
            return result
        }

        func cancel() {
            pthread_mutex_lock(lock)
            cancelled = true
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(lock)
        }
    }
}
