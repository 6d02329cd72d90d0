import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The folder a training run writes: checkpoints, the JSON-lines log and a lock.
///
///     <dir>/latest.safetensors   every evaluation (and on Ctrl-C, and at the end)
///     <dir>/best.safetensors     when the validation loss improves
///     <dir>/iter-<N>.safetensors numbered copies, the newest `keep` kept
///     <dir>/train.jsonl          one JSON record per log interval and per evaluation
///     <dir>/.lock                flock(2)-held while a run writes here
public final class RunDirectory {
    public let path: String
    private var lockDescriptor: Int32 = -1
    private var log: FileHandle?

    public var latest: String { path + "/latest.safetensors" }
    public var best: String { path + "/best.safetensors" }
    public var logPath: String { path + "/train.jsonl" }
    public func numbered(_ iteration: Int) -> String { path + "/iter-\(iteration).safetensors" }

    /// Creates the folder if needed, takes its lock, and checks that it can hold
    /// `checkpointBytes`-sized checkpoints — before any time is spent training.
    public init(path: String, checkpointBytes: Int) throws(TrainingError) {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { throw .checkpointDirectory(path, "exists and is not a directory") }
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw .checkpointDirectory(path, "cannot be created (\(Self.reason(error)))")
            }
        }
        guard access(path, W_OK) == 0 else { throw .checkpointDirectory(path, "is not writable") }

        let fd = open(path + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .checkpointDirectory(path, "lock file cannot be created: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            let pid = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw .locked(path, pid: pid)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        lockDescriptor = fd

        // Room for a new latest, a new best and their temporary files at once.
        var stats = statvfs()
        if statvfs(path, &stats) == 0 {
            let free = Int(stats.f_bavail) &* Int(stats.f_frsize)
            let needed = 3 * checkpointBytes + (1 << 20)
            if free < needed {
                throw .checkpointDirectory(path, "has \(free >> 20) MiB free; checkpoints need about \(needed >> 20) MiB")
            }
        }
    }

    deinit {
        try? log?.close()
        if lockDescriptor >= 0 { close(lockDescriptor) }  // releases the flock
    }

    /// Appends one JSON object as a line to train.jsonl.
    public func appendLog(_ record: [String: JSONValue]) throws(TrainingError) {
        do {
            if log == nil {
                if !FileManager.default.fileExists(atPath: logPath) {
                    FileManager.default.createFile(atPath: logPath, contents: nil)
                }
                log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
                try log?.seekToEnd()
            }
            try log?.write(contentsOf: Data((JSONValue.object(record).serialized + "\n").utf8))
        } catch {
            throw .checkpointDirectory(path, "train.jsonl cannot be written (\(Self.reason(error)))")
        }
    }

    /// Removes the log and every checkpoint of an earlier run (the lock is held).
    public func clearRun() {
        for file in [logPath, latest, best] { try? FileManager.default.removeItem(atPath: file) }
        rotate(keep: 0)
    }

    /// Removes numbered checkpoints beyond the newest `keep`.
    public func rotate(keep: Int) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("iter-"), name.hasSuffix(".safetensors"),
                  let n = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (n, name)
        }.sorted { $0.0 > $1.0 }
        for (_, name) in numbered.dropFirst(keep) { try? FileManager.default.removeItem(atPath: path + "/" + name) }
    }

    static func reason(_ error: any Error) -> String {
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
        case .string(let s):
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
                }
            }
            return out + "\""
        case .array(let a): return "[" + a.map(\.serialized).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { JSONValue.string($0).serialized + ":" + o[$0]!.serialized }.joined(separator: ",") + "}"
        }
    }
}
