import Checkpoints
import Files
import Foundation
import RNN
import SafeTensors
#if canImport(Glibc)
import Glibc
#endif

/// The folder a training run writes: checkpoints, the JSON-lines log and a lock.
///
///     <dir>/latest.safetensors   every evaluation (and on Ctrl-C, and at the end)
///     <dir>/best.safetensors     when the validation loss improves
///     <dir>/iter-<N>.safetensors numbered copies, the newest `keep` kept
///     <dir>/train.jsonl          one JSON record per log interval and per evaluation
///     <dir>/training-documents.hashes  documents runs: the training documents' hashes (`DocumentHashes`)
///     <dir>/.lock                flock(2)-held while a run writes here
public final class RunDirectory {
    public let path: String
    private var lockDescriptor: Int32 = -1
    private var log: FileHandle?

    public var latest: String { path + "/latest.safetensors" }
    public var best: String { path + "/best.safetensors" }
    /// `latest` once it exists: the checkpoint a run that diverges points back to.
    public var lastGood: String? { FileManager.default.fileExists(atPath: latest) ? latest : nil }
    /// `best` once it exists (a run's summary names it).
    public var savedBest: String? { FileManager.default.fileExists(atPath: best) ? best : nil }
    public var logPath: String { path + "/train.jsonl" }
    public var documentHashes: String { RunDirectory.documentHashes(in: path) }
    /// The document-hash file of the run directory `directory`.
    public static func documentHashes(in directory: String) -> String { directory + "/training-documents.hashes" }
    public func numbered(_ iteration: Int) -> String { path + "/iter-\(iteration).safetensors" }

    /// Creates the folder if needed, takes its lock, checks that it can hold
    /// `checkpointBytes`-sized checkpoints, and removes temporary files that
    /// writers killed mid-save left behind (under the lock nobody else writes
    /// here). Nothing of a run is deleted here: see `claim`.
    public init(path: String, checkpointBytes: Int) throws(TrainingError) {
        self.path = path
        createdDirectories = try Self.makeDirectories(path)
        guard access(path, W_OK) == 0 else { throw .checkpointDirectory(path, "is not writable") }

        var existing = stat()
        lockExisted = lstat(path + "/.lock", &existing) == 0
        // Never through a symbolic link (the pid written into the lock would replace the file it names),
        // and only a regular file (a FIFO's open would wait for a writer).
        if lockExisted && (existing.st_mode & S_IFMT) != S_IFREG {
            throw .checkpointDirectory(path, "holds a .lock that is not a regular file (\(Self.kind(existing.st_mode))); remove it: charrnn makes its own")
        }
        let fd = open(path + "/.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .checkpointDirectory(path, "lock file cannot be created: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            let written = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            close(fd)
            // The pid in the file is the holder's only if it names a running charrnn (another program may hold
            // the lock, or a training between taking it and writing its pid, with the last run's pid still there).
            let comm = (try? String(contentsOfFile: "/proc/\(written)/comm", encoding: .utf8)) ?? ""
            throw .locked(path, pid: Int(written) != nil && comm.hasPrefix("charrnn") ? written : "?")
        }
        lockDescriptor = fd   // our pid is written into it once `claim` lets this run write here

        // Room for a new latest, a new best and their temporary files at once.
        var stats = statvfs()
        if statvfs(path, &stats) == 0 {
            let free = Int(stats.f_bavail).multipliedReportingOverflow(by: Int(stats.f_frsize))
            let needed = 3 * checkpointBytes + (1 << 20)
            if !free.overflow, free.partialValue < needed {
                throw refused(.checkpointDirectory(path, "has \(Self.mebibytes(free.partialValue, rounded: .down)) free; checkpoints need about \(Self.mebibytes(needed, rounded: .up))"))
            }
        }
        removedTemporaryFiles = removeDeadWritersFiles()
    }

    /// Whether `.lock` was there before this run took it (a refused run removes the one it made).
    private let lockExisted: Bool
    /// The directories `init` created for the run, parents first (a refused run removes them).
    private var createdDirectories: [String] = []

    /// `error`, after removing the `.lock` and the directories this run made: a refused command leaves the
    /// directory as it was (or leaves none where there was none).
    private func refused(_ error: TrainingError) -> TrainingError {
        if !lockExisted { unlink(path + "/.lock") }
        for directory in createdDirectories.reversed() { rmdir(directory) }   // only while empty
        return error
    }

    /// Temporary files of interrupted saves removed when the lock was taken.
    public private(set) var removedTemporaryFiles = 0

    // MARK: Which run a directory holds

    /// What a training wants to do with this directory.
    public enum Claim: Sendable {
        /// Start a new run; `overwrite` allows replacing a run already here.
        case newRun(overwrite: Bool)
        /// Continue the run of the checkpoint at `source`, whose run id is `runID`
        /// (nil for checkpoints written before run ids existed).
        case continueRun(runID: String?, source: String)
    }

    /// The one check every way into `train` goes through before anything is
    /// written: a directory holding a run (a `latest` or `best` checkpoint) is
    /// only written by that same run, or replaced by a new one under
    /// `--overwrite`. Returns whether the earlier run's files must be cleared.
    ///
    /// A refusal removes the `.lock` this run made (one that was there stays as it was); a run let in
    /// writes its pid into it, for the message another training gets.
    public func claim(_ claim: Claim) throws(TrainingError) -> Bool {
        let clear: Bool
        do { clear = try mayWrite(claim) } catch { throw refused(error) }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(lockDescriptor, 0)
        _ = pwrite(lockDescriptor, pid, pid.count, 0)
        return clear
    }

    private func mayWrite(_ claim: Claim) throws(TrainingError) -> Bool {
        try refuseForeignFiles()
        guard let held = heldCheckpoint else {
            if case .newRun = claim { return true }  // a log of a run that never saved: not this run's
            return false
        }
        switch claim {
        case .newRun(let overwrite):
            if overwrite { return true }
            let resume = FileManager.default.fileExists(atPath: latest) ? "--resume" : "--resume-from \(held)"
            throw .checkpointDirectory(path, "already holds a run; continue it with \(resume), start over with --overwrite, or choose another --checkpoint-dir")
        case .continueRun(let runID, let source):
            let heldID: String?
            do {
                heldID = try SafeTensorsFile.readMetadata(path: held)[CheckpointLayout.Metadata.trainingPrefix + CheckpointLayout.Training.runID]
            } catch {
                throw .checkpointDirectory(path, "holds \((held as NSString).lastPathComponent), which cannot be read (\(error)); move it away or choose another --checkpoint-dir")
            }
            if let runID, let heldID {
                if runID == heldID { return false }
            } else if Self.sameDirectory(Self.directory(of: source), path) {
                return false  // checkpoints from before run ids: a checkpoint of this directory is its run
            }
            throw .checkpointDirectory(path, "already holds another run; continuing \(source) there would replace its checkpoints: choose another --checkpoint-dir (or continue that run with --resume)")
        }
    }

    /// Refuses a directory, FIFO, socket or device under a name the run writes (`latest`, `best`, the log,
    /// the document hashes): charrnn never made it, a save would fail on it only after training, and
    /// `--overwrite` must not remove it. A symbolic link is replaced by the save, never followed.
    private func refuseForeignFiles() throws(TrainingError) {
        for file in [latest, best, logPath, documentHashes] {
            var info = stat()
            guard lstat(file, &info) == 0 else { continue }
            let type = info.st_mode & S_IFMT
            if type == S_IFREG || type == S_IFLNK { continue }
            let name = (file as NSString).lastPathComponent
            throw .checkpointDirectory(path, "holds \(name), which is \(Self.kind(info.st_mode)), not a file charrnn writes; move it away or choose another --checkpoint-dir")
        }
    }

    /// The checkpoint that says which run this directory holds, if any.
    private var heldCheckpoint: String? {
        [latest, best].first { FileManager.default.fileExists(atPath: $0) } ?? numberedCheckpoints.first.map { path + "/" + $0.name }
    }

    /// `iter-<N>.safetensors` files as `numbered` names them, newest first: regular files, N written
    /// as charrnn writes it (no sign, no leading zero). A directory, a link, a FIFO or `iter-007.safetensors`
    /// is none of them, so it is never taken for the run's, nor removed.
    private var numberedCheckpoints: [(iteration: Int, name: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("iter-"), name.hasSuffix(".safetensors") else { return nil }
            let digits = name.dropFirst(5).dropLast(12)
            guard let n = Int(digits), n >= 0, "\(n)" == digits else { return nil }
            var info = stat()
            guard lstat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return (n, name)
        }.sorted { $0.0 > $1.0 }
    }

    /// The run id in the header of the checkpoint `name` ("" for a checkpoint from before run ids),
    /// nil when it is no checkpoint (its header cannot be read).
    private func runID(ofCheckpoint name: String) -> String? {
        guard let metadata = try? SafeTensorsFile.readMetadata(path: path + "/" + name) else { return nil }
        return metadata[CheckpointLayout.Metadata.trainingPrefix + CheckpointLayout.Training.runID] ?? ""
    }

    private static func directory(of file: String) -> String {
        let d = (file as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }

    private static func sameDirectory(_ a: String, _ b: String) -> Bool {
        guard let x = realpath(a, nil) else { return false }
        defer { free(x) }
        guard let y = realpath(b, nil) else { return false }
        defer { free(y) }
        return strcmp(x, y) == 0
    }

    /// `mkdir -p`, saying in words which part is in the way.
    /// Creates `path` and its missing parents; returns those it created, parents first.
    @discardableResult
    static func makeDirectories(_ path: String) throws(TrainingError) -> [String] {
        var created: [String] = []
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            var info = stat()
            if stat(prefix, &info) == 0 {
                if info.st_mode & S_IFMT != S_IFDIR {
                    throw .checkpointDirectory(path, prefix == path ? "exists and is not a directory" : "cannot be created: \(prefix) is a file, not a directory")
                }
                continue
            }
            if let link = BrokenLink(prefix) {   // a link whose target is not there
                throw .checkpointDirectory(path, "\(link == .loop ? "cannot be used" : "cannot be created"): \(prefix) is \(link)")
            }
            if mkdir(prefix, 0o755) == 0 {
                created.append(prefix)
            } else if errno != EEXIST {
                throw .checkpointDirectory(path, "cannot be created: \(prefix): \(String(cString: strerror(errno)))")
            }
        }
        return created
    }

    /// Removes `<name>.tmp-<pid>` files: a writer killed between creating its
    /// temporary file and renaming it leaves one (the checkpoint it was
    /// replacing is intact). Only the lock holder writes here, so none is live.
    private func removeDeadWritersFiles() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return 0 }
        var removed = 0
        for name in names {
            guard let range = name.range(of: ".tmp-", options: .backwards), !name[range.upperBound...].isEmpty,
                  name[range.upperBound...].allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
            if unlink(path + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }

    deinit {
        try? log?.close()
        if lockDescriptor >= 0 { close(lockDescriptor) }  // releases the flock
    }

    /// Appends one JSON object as a line to train.jsonl.
    public func appendLog(_ record: [String: JSONValue]) throws(TrainingError) {
        do {
            if log == nil { log = try openLog() }
            try log?.write(contentsOf: Data((JSONValue.object(record).serialized + "\n").utf8))
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .checkpointDirectory(path, "cannot take train.jsonl's records (\(Self.reason(error)))")
        }
    }

    /// train.jsonl opened to append: a regular file, never through a symbolic link (records of this run
    /// would be appended to the file it names). A last record a full disk or a kill cut short (no line
    /// end) is removed, so that the next one starts a line of its own instead of being glued to it.
    private func openLog() throws -> FileHandle {
        let fd = open(logPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link; remove it" : String(cString: strerror(errno))
            throw TrainingError.checkpointDirectory(path, "cannot take train.jsonl's records (\(reason))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw TrainingError.checkpointDirectory(path, "cannot take train.jsonl's records (it is not a regular file)")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var end = UInt64(info.st_size)
        if end > 0 {
            // Back from the end to the last line end (records are short: read a block at a time).
            var cut = end
            while cut > 0 {
                let start = cut >= 4096 ? cut - 4096 : 0
                try handle.seek(toOffset: start)
                let block = try handle.read(upToCount: Int(cut - start)) ?? Data()
                if let newline = block.lastIndex(of: 0x0A) {
                    cut = start + UInt64(newline - block.startIndex) + 1
                    break
                }
                cut = start
            }
            if cut < end {
                try handle.truncate(atOffset: cut)
                end = cut
            }
        }
        try handle.seek(toOffset: end)
        return handle
    }

    /// `bytes` in MiB with one decimal ("0.3 MiB"), rounded as asked: free space down and a need up, so
    /// that a refusal never reads "1.4 MiB free; need about 1.4 MiB".
    static func mebibytes(_ bytes: Int, rounded rule: FloatingPointRoundingRule) -> String {
        String(format: "%.1f MiB", (Double(bytes) / Double(1 << 20) * 10).rounded(rule) / 10)
    }

    /// What a file of mode `mode` that is not a regular one is, in words (`FileError.Kind`'s, and links and directories).
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFLNK: return "a symbolic link"
        case S_IFDIR: return "a directory"
        default: return (FileError.Kind(nonRegular: mode) ?? .other).rawValue
        }
    }

    /// Removes the log and every checkpoint of an earlier run (the lock is held): files only, never a
    /// directory (`claim` refuses one under those names), and of the numbered names only checkpoints.
    public func clearRun() {
        for file in [logPath, latest, best, documentHashes] { unlink(file) }
        for (_, name) in numberedCheckpoints where runID(ofCheckpoint: name) != nil { unlink(path + "/" + name) }
    }

    /// Removes the numbered checkpoints of the run `runID` beyond its newest `keep`. Files of that name
    /// that are not its checkpoints (another run's, a hand's) are neither counted nor removed.
    public func rotate(keep: Int, runID: String) {
        let own = numberedCheckpoints.filter { self.runID(ofCheckpoint: $0.name) == runID }
        for (_, name) in own.dropFirst(keep) { unlink(path + "/" + name) }
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? CocoaError, let path = e.userInfo[NSFilePathErrorKey] as? String, e.code.rawValue == 512 {
            return "\(path) cannot be written"
        }
        if let e = error as? CocoaError, let u = e.userInfo[NSUnderlyingErrorKey] as? NSError {
            return String(cString: strerror(Int32(u.code)))
        }
        return (error as NSError).localizedDescription
    }
}

/// A minimal JSON value for log records: ordered keys, no Foundation boxing.
public enum JSONValue: Sendable, Equatable {
    case number(Double), int(Int), string(String), bool(Bool), null
    case array([JSONValue])
    case object([String: JSONValue])

    public var serialized: String {
        switch self {
        case .number(let d): return d.isFinite ? "\(d)" : "null"
        case .int(let i): return "\(i)"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .string(let s): return JSONStringEscaper.quoted(s, escapingSlashes: false)
        case .array(let a): return "[" + a.map(\.serialized).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { JSONValue.string($0).serialized + ":" + o[$0]!.serialized }.joined(separator: ",") + "}"
        }
    }
}
