import Foundation

/// posix_spawn with stdout captured through a pipe (the time of its first byte
/// noted), stderr to a temporary file, and the child's rusage from wait4.
struct Spawn {
    var status: Int32
    var stdout: [UInt8]
    var stderrLastLine: String
    var firstByteSeconds: Double?
    var peakRSSMegabytes: Double

    /// What a failed child said last: the last line of `stderr` that holds anything (Python's exception
    /// after its traceback, charrnn's `error:` line), at most 400 characters.
    static func lastLine(of stderr: String) -> String {
        let line = stderr.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) } ?? ""
        return line.count > 400 ? String(line.prefix(400)) + "…" : String(line)
    }

    static func run(_ path: String, _ arguments: [String]) throws -> Spawn {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw BenchError("pipe failed") }
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-bench-stderr-\(getpid())").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let start = Workload.now()
        let spawned = path.contains("/")
            ? posix_spawn(&pid, path, &actions, nil, argv, environ)
            : posix_spawnp(&pid, path, &actions, nil, argv, environ)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw BenchError("cannot run \(path): \(String(cString: strerror(spawned)))")
        }
        var out: [UInt8] = []
        var first: Double? = nil
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 {
                if first == nil { first = Workload.now() - start }
                out += buffer[0..<n]
            } else if n == 0 || errno != EINTR {
                break
            }
        }
        close(fds[0])
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errPath)
        let exited = status & 0x7f == 0
        return Spawn(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: out,
                     stderrLastLine: lastLine(of: err),
                     firstByteSeconds: first, peakRSSMegabytes: Double(usage.ru_maxrss) / 1024)
    }
}
