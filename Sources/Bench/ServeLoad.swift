import Checkpoints
import Foundation
import Glibc
import Serve
import Tensor

/// `charrnn bench`'s serve rows (issue 27): a `charrnn serve` server in this process on a random
/// model, driven over loopback by streaming clients (`POST /v1/generate`, `"stream": true`), each a
/// thread that posts one generation after another with a new seed. Three timings of `seconds`:
/// `charrnn sample`'s path alone (the reference, as the sample rows measure it), one client alone,
/// then `clients` at once. The clients run on the same cores as the server and take some CPU from it,
/// in a process of their own (`charrnn bench --serve-clients`), as real clients are: as threads of the
/// server's process they saw each first character 10–30 ms later than the same code outside it (p99,
/// 32 clients of a 2×512 LSTM, Zen 3; the server's own part was under 1.3 ms), for reasons not found.
public enum ServeLoad {
    struct Outcome: Codable {
        var characters = 0, requests = 0, failures = 0
        var firstCharacter: [Double] = []   // seconds from sending each request to its first text event
        var busy = 0.0                      // seconds from the first request sent to the last answer read
        var perClient: [Int] = []           // characters of each client (the totals' only)
    }

    /// `clientProcess`: the `charrnn` executable whose `bench --serve-clients` runs the clients (nil: threads of this process).
    static func measure(_ shape: Workload.ModelShape, precision: WeightPrecision, clients: Int, length: Int,
                        seconds: Double, threads: Int, clientProcess: String? = nil) throws -> BenchMeasurement {
        let sample = Workload.measureSampling(shape, precision: precision, seconds: seconds, threads: threads)
        var limits = ServeLimits()
        limits.lanes = threads
        limits.maxGenerations = max(limits.maxGenerations, clients)
        limits.precision = precision
        BLAS.threadCount = 1   // as `charrnn serve` sets it: the batcher and the lanes choose their threads
        let server = Server(models: [("bench", Workload.randomCheckpoint(shape))], limits: limits)
        let listener = try server.listen(host: "127.0.0.1", port: 0)
        defer { listener.stop() }
        let port = listener.port
        guard run(port: port, clients: 1, length: 50, seconds: 0).failures == 0 else {   // warm-up
            throw BenchError("serve: the warm-up request failed")
        }
        let idleRSS = residentMegabytes("VmRSS")
        func drive(_ n: Int) throws -> Outcome {
            guard let clientProcess else { return run(port: port, clients: n, length: length, seconds: seconds) }
            return try runClients(clientProcess, port: port, clients: n, length: length, seconds: seconds)
        }
        let alone = try drive(1)
        let before = serverFigures(port)
        let loaded = try drive(clients)
        let after = serverFigures(port)
        let peakRSS = residentMegabytes("VmHWM")
        guard alone.failures == 0, loaded.failures == 0, alone.characters > 0, loaded.characters > 0 else {
            throw BenchError("serve: \(alone.failures + loaded.failures) requests failed")
        }
        let total = Double(loaded.characters) / loaded.busy, oneAlone = Double(alone.characters) / alone.busy
        let perClient = loaded.perClient.map { Double($0) / loaded.busy }
        // The slowest ÷ the mean is at most 1; when every client got the same count, the mean's rounding
        // could put the quotient an ulp above it.
        let fairness = min(1, (perClient.min() ?? 0) / (perClient.reduce(0, +) / Double(max(1, perClient.count))))
        var m = BenchMeasurement(impl: "charrnn", charsPerSecond: total, iterations: loaded.requests, threads: threads,
                                 note: "\(clients) streaming clients of \(length) characters over loopback; "
                                     + "alone: one client; sample: charrnn sample's path in this process")
        m.clients = clients
        m.charsPerSecondAlone = oneAlone
        m.sampleCharsPerSecond = sample.charsPerSecond
        m.firstCharP50Ms = percentile(loaded.firstCharacter, 0.50) * 1e3
        m.firstCharP99Ms = percentile(loaded.firstCharacter, 0.99) * 1e3
        m.firstCharP99MsAlone = percentile(alone.firstCharacter, 0.99) * 1e3
        m.fairness = fairness
        m.firstCharMeanMs = loaded.firstCharacter.reduce(0, +) / Double(max(1, loaded.firstCharacter.count)) * 1e3
        m.firstCharServerMeanMs = (after.firstSum - before.firstSum) / max(1, after.firstCount - before.firstCount) * 1e3
        m.meanBatchRows = (after.rowSum - before.rowSum) / max(1, after.steps - before.steps)
        m.idleRssMb = idleRSS
        m.loadedPeakRssMb = peakRSS
        return m
    }

    /// What `charrnn bench --serve-clients PORT,CLIENTS,LENGTH,SECONDS` takes and prints (`clientsMain`).
    static func clientArguments(port: Int, clients: Int, length: Int, seconds: Double) -> [String] {
        ["bench", "--serve-clients", "\(port),\(clients),\(length),\(seconds)"]
    }

    /// `run` in a child process (`executable bench --serve-clients …`): its outcome, from the JSON line it prints.
    static func runClients(_ executable: String, port: Int, clients: Int, length: Int, seconds: Double) throws -> Outcome {
        let r = try Spawn.run(executable, clientArguments(port: port, clients: clients, length: length, seconds: seconds))
        guard r.status == 0, let o = BenchJSON.decodeLastLine(Outcome.self, from: r.stdout) else {
            throw BenchError("serve: the clients' process failed (status \(r.status)): \(r.stderrLastLine)")
        }
        return o
    }

    /// The clients' process: `spec` is PORT,CLIENTS,LENGTH,SECONDS; prints the outcome as one JSON line.
    public static func clientsMain(_ spec: String) throws {
        let f = spec.split(separator: ",").map(String.init)
        guard f.count == 4, let port = Int(f[0]), (1...65535).contains(port), let clients = Int(f[1]), (1...1024).contains(clients),
              let length = Int(f[2]), length >= 1, let seconds = Double(f[3]), seconds >= 0, seconds <= 3600 else {
            throw BenchError("--serve-clients takes PORT,CLIENTS,LENGTH,SECONDS (got '\(spec)')")
        }
        print(String(decoding: try BenchJSON.encode(run(port: port, clients: clients, length: length, seconds: seconds)), as: UTF8.self))
    }

    /// `clients` threads posting generations of `length` until `seconds` have passed (each ends the one it is in);
    /// with `seconds` 0, one request each.
    private static func run(port: Int, clients: Int, length: Int, seconds: Double) -> Outcome {
        final class Shared: @unchecked Sendable {   // each client writes its own slot before the group's leave
            var outcomes: [Outcome]
            init(_ n: Int) { outcomes = [Outcome](repeating: Outcome(), count: n) }
        }
        let shared = Shared(clients), group = DispatchGroup()
        let start = Workload.now(), deadline = start + seconds
        for c in 0..<clients {
            group.enter()
            let thread = Thread {
                var o = Outcome(), seed = UInt64(c) << 32
                repeat {
                    let body = #"{"length":\#(length),"seed":\#(seed),"stream":true}"#
                    seed += 1
                    if let (characters, first) = streamOnce(port: port, body: body) {
                        o.characters += characters
                        o.requests += 1
                        o.firstCharacter.append(first)
                    } else {
                        o.failures += 1
                    }
                } while Workload.now() < deadline && o.failures == 0
                o.busy = Workload.now() - start
                shared.outcomes[c] = o
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        var total = Outcome()
        for o in shared.outcomes {
            total.characters += o.characters
            total.requests += o.requests
            total.failures += o.failures
            total.firstCharacter += o.firstCharacter
            total.busy = max(total.busy, o.busy)
            total.perClient.append(o.characters)
        }
        return total
    }

    /// One streamed generation: its characters (from the `done` event) and the seconds to its first
    /// `text` event, or nil when it did not answer 200 with a `done` event.
    ///
    /// Cheap in CPU on purpose: the clients share the server's cores, and a client that burns a few
    /// milliseconds when its answer ends takes them from the batch (with `firstRange(of:)` over the
    /// whole answer and `JSONSerialization` here, the clients' process used 3× the CPU of a C client's
    /// and the rows' first-character mean was twice the C probe's).
    static func streamOnce(port: Int, body: String) -> (characters: Int, firstSeconds: Double)? {
        let sent = Workload.now()
        var first: Double?, scanned = 0
        let textEvent = Array("event: text".utf8)
        let request = "POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        guard let received = exchange(port: port, request, onReceive: { received in
            guard first == nil else { return }
            if find(textEvent, in: received, from: max(0, scanned - textEvent.count)) != nil { first = Workload.now() - sent }
            scanned = received.count
        }) else { return nil }
        let marker = Array("event: done\ndata: ".utf8), field = Array("\"characters\":".utf8)
        guard received.starts(with: Array("HTTP/1.1 200".utf8)), let first,
              let done = find(marker, in: received, from: 0), let at = find(field, in: received, from: done)
        else { return nil }
        var characters = 0, i = at + field.count, digits = 0
        while i < received.count, received[i] >= 0x30, received[i] <= 0x39 {
            characters = characters * 10 + Int(received[i] - 0x30)
            i += 1
            digits += 1
        }
        return digits > 0 ? (characters, first) : nil
    }

    /// Where `pattern` first starts in `bytes` at or after `start`, or nil.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        let m = pattern.count, n = bytes.count
        guard m > 0, n - start >= m else { return nil }
        return bytes.withUnsafeBufferPointer { b in
            pattern.withUnsafeBufferPointer { p in
                var i = start
                while i <= n - m {
                    if b[i] == p[0] {
                        var j = 1
                        while j < m && b[i + j] == p[j] { j += 1 }
                        if j == m { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// Sends `request` on a new loopback connection and reads to its end (`onReceive` after each read); nil when
    /// it cannot connect or send.
    static func exchange(port: Int, _ request: String, onReceive: ([UInt8]) -> Void = { _ in }) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array(request.utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var received: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
            onReceive(received)
        }
        return received
    }

    /// The batch steps so far and the rows they stepped (`charrnn_batch_rows`'s count and sum), and the
    /// requests' times to their first character (`charrnn_first_character_seconds`' count and sum).
    static func serverFigures(_ port: Int) -> (steps: Double, rowSum: Double, firstCount: Double, firstSum: Double) {
        let answer = exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n") ?? []
        let text = String(decoding: answer, as: UTF8.self)
        func value(_ name: String) -> Double {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) } ?? 0
        }
        return (value("charrnn_batch_rows_count"), value("charrnn_batch_rows_sum"),
                value("charrnn_first_character_seconds_count"), value("charrnn_first_character_seconds_sum"))
    }

    /// A field of /proc/self/status in megabytes ("VmRSS": now; "VmHWM": the peak so far).
    static func residentMegabytes(_ field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }

    /// The nearest-rank percentile of `values` (0 when empty).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }
}
