/// What this machine can still give a process, read before a large allocation
/// so that a model or corpus too big for it is refused with the figures
/// instead of ending in the kernel's out-of-memory kill.
public enum SystemMemory {
    /// Bytes available now: `MemAvailable` (memory the kernel can hand out
    /// without swapping) plus free swap, capped by a cgroup v2 limit when this
    /// process runs under one. Nil when neither can be read (not Linux).
    public static var availableBytes: Int? {
        var available: Int? = nil
        if let meminfo = text(of: "/proc/meminfo") {
            let fields = Dictionary(meminfo.split(separator: "\n").compactMap { line -> (String, Int)? in
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count >= 2, let kB = Int(parts[1]) else { return nil }
                return (String(parts[0].dropLast()), kB * 1024)   // "MemAvailable:" → MemAvailable
            }, uniquingKeysWith: { a, _ in a })
            if let a = fields["MemAvailable"] { available = a + (fields["SwapFree"] ?? 0) }
        }
        if let limit = text(of: "/sys/fs/cgroup/memory.max").flatMap({ Int($0.trimmed) }),
           let used = text(of: "/sys/fs/cgroup/memory.current").flatMap({ Int($0.trimmed) }) {
            let room = max(limit - used, 0)
            available = min(available ?? room, room)
        }
        return available
    }

    /// "1.2 GB", "340 MB": sizes as the messages print them.
    public static func describe(_ bytes: Int) -> String {
        if bytes >= 1_000_000_000 { return String(Double(bytes / 10_000_000) / 100) + " GB" }
        return "\(max(bytes / 1_000_000, 1)) MB"
    }

    private static func text(of path: String) -> String? {
        guard let file = try? RegularFile(path: path), let bytes = try? file.readAll(limit: 1 << 20) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension String {
    var trimmed: String { String(filter { !$0.isWhitespace }) }
}
