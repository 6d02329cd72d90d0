import Files
import Foundation

/// The loss history of one training run, read from its `train.jsonl`.
///
/// The trainer appends one JSON object per line:
///
///     {"type":"train","iter":N,"loss":L,"elapsed":S,...}      every log interval
///     {"type":"eval","iter":N,"val_loss":L,"elapsed":S,...}   every evaluation
///     {"type":"test","iter":N,"test_loss":L,...}              once, at the end
///
/// Losses are in nats per character. `elapsed` is wall-clock seconds of
/// training, counted across resumes. A resumed run may log an iteration again
/// (it restarts from its last checkpoint): the later record wins, and any
/// points logged after it by the interrupted run are dropped.
public struct TrainingLog: Equatable, Sendable {
    /// One logged loss.
    public struct Point: Equatable, Sendable {
        public var iteration: Int
        /// Seconds of training when it was logged, if the record says.
        public var elapsed: Double?
        /// Nats per character.
        public var loss: Double

        public init(iteration: Int, elapsed: Double?, loss: Double) {
            self.iteration = iteration
            self.elapsed = elapsed
            self.loss = loss
        }
    }

    /// What the plot calls this run (a run directory's name).
    public var name: String
    /// Training-batch losses, in iteration order.
    public var train: [Point] = []
    /// Validation losses, in iteration order.
    public var validation: [Point] = []
    /// The final test loss, if training finished and logged one.
    public var test: Point?
    /// The unigram and bigram models' validation loss, logged when the run started (nats/char).
    public var baselines: Baselines?

    public struct Baselines: Equatable, Sendable {
        public var unigram: Double
        public var bigram: Double
    }
    /// 1-based numbers of lines that were not a JSON object with the fields
    /// their type needs (records of unknown types are ignored silently).
    public var malformedLines: [Int] = []

    public init(name: String, train: [Point] = [], validation: [Point] = [], test: Point? = nil,
                malformedLines: [Int] = []) {
        self.name = name
        self.train = train
        self.validation = validation
        self.test = test
        self.malformedLines = malformedLines
    }

    /// Whether there is anything to draw.
    public var isEmpty: Bool { train.isEmpty && validation.isEmpty }

    /// The last iteration any record mentions.
    public var lastIteration: Int? {
        [train.last?.iteration, validation.last?.iteration, test?.iteration].compactMap { $0 }.max()
    }

    /// The last elapsed time any record mentions.
    public var lastElapsed: Double? {
        (train.compactMap(\.elapsed) + validation.compactMap(\.elapsed)).max()
    }

    /// Parses the text of a `train.jsonl`. Never fails: lines that cannot be
    /// read are listed in `malformedLines`. A last line without its newline
    /// (a run still writing) is read like any other.
    public init(name: String, jsonLines text: String) {
        self.init(name: name, jsonLineBytes: Array(text.utf8))
    }

    /// A record line longer than this is malformed unread (charrnn writes a few hundred bytes).
    public static let maximumRecordBytes = 65_536

    /// Parses the bytes of a `train.jsonl`, one line at a time (never the whole text as a `String`): lines
    /// end at LF or CRLF (a log copied through Windows), bytes that are not UTF-8 read as U+FFFD, and a
    /// line longer than `maximumRecordBytes` is malformed without being decoded.
    init(name: String, jsonLineBytes bytes: [UInt8]) {
        self.name = name
        let decoder = JSONDecoder()
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = Self.trimmed(line)
            if trimmed.isEmpty { continue }
            guard trimmed.count <= Self.maximumRecordBytes, let record = Self.record(trimmed, decoder: decoder) else {
                malformedLines.append(lineNumber)
                continue
            }
            if record.type == "baseline" {
                guard let u = record.unigram_val_loss, let b = record.bigram_val_loss, u.isFinite, b.isFinite else {
                    malformedLines.append(lineNumber)
                    continue
                }
                baselines = Baselines(unigram: u, bigram: b)
                continue
            }
            let loss: Double?
            switch record.type {
            case "train": loss = record.loss
            case "eval": loss = record.val_loss
            case "test": loss = record.test_loss
            default: continue  // a record type from a newer charrnn: not an error
            }
            guard let iter = record.iter, iter >= 0, iter == iter.rounded(), iter < 1e15,
                  let loss, loss.isFinite else {
                malformedLines.append(lineNumber)
                continue
            }
            let point = Point(iteration: Int(iter), elapsed: record.elapsed.flatMap { $0.isFinite ? $0 : nil }, loss: loss)
            switch record.type {
            case "train": Self.append(point, to: &train)
            case "eval": Self.append(point, to: &validation)
            default: test = point
            }
        }
    }

    /// `line` without the spaces, tabs and carriage returns around it.
    private static func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        guard let first = line.firstIndex(where: { !blank($0) }), let last = line.lastIndex(where: { !blank($0) }) else { return [] }
        return line[first...last]
    }

    /// The record on `line`, if it is one; bytes that are not UTF-8 read as U+FFFD.
    private static func record(_ line: ArraySlice<UInt8>, decoder: JSONDecoder) -> Record? {
        if let record = try? decoder.decode(Record.self, from: Data(line)) { return record }
        guard String(validating: line, as: UTF8.self) == nil else { return nil }
        return try? decoder.decode(Record.self, from: Data(String(decoding: line, as: UTF8.self).utf8))
    }

    /// A log of a billion iterations at the default --log-every is about 15 GB;
    /// this bounds what a plot reads to what a page can show.
    public static let maximumLogBytes = 2_000_000_000

    /// Reads `<directory>/train.jsonl` (or `directory` itself when it is a file).
    public static func read(path: String, name: String) throws(TrainingLogError) -> TrainingLog {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missing(path) }
        let file = isDirectory.boolValue ? path + "/train.jsonl" : path
        var info = stat()   // a link that leads nowhere (a loop) is there, and `RegularFile` says why it cannot be read
        guard lstat(file, &info) == 0 else { throw .noLog(path) }
        let data: [UInt8]
        do throws(FileError) {
            data = try RegularFile(path: file).readAll(limit: maximumLogBytes)
        } catch {
            throw .unreadable(file, error.reason)
        }
        return TrainingLog(name: name, jsonLineBytes: data)
    }

    /// Appends in iteration order: a point at or before the last one means the
    /// run was resumed from an earlier checkpoint, so what followed is replaced.
    private static func append(_ point: Point, to points: inout [Point]) {
        while let last = points.last, last.iteration >= point.iteration { points.removeLast() }
        points.append(point)
    }

    /// The fields a record may carry (others are ignored). A field of the wrong
    /// JSON type makes the whole line malformed.
    private struct Record: Decodable {
        var type: String
        var iter: Double?
        var unigram_val_loss: Double?
        var bigram_val_loss: Double?
        var loss: Double?
        var val_loss: Double?
        var test_loss: Double?
        var elapsed: Double?
    }
}

/// Why a run's log cannot be read.
public enum TrainingLogError: Error, Equatable, CustomStringConvertible, Sendable {
    case missing(String)
    case noLog(String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .missing(let path): return "no such run directory: \(path)"
        case .noLog(let path): return "\(path) has no train.jsonl (charrnn train writes one into its --checkpoint-dir)"
        case .unreadable(let path, let reason): return "\(path) cannot be read: \(reason)"
        }
    }
}
