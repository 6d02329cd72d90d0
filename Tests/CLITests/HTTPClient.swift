import Foundation

/// A small blocking HTTP/1.1 client over a loopback socket, for the serve tests:
/// raw requests (bad JSON, wrong methods, oversized bodies), answers read to
/// the end, and streams read event by event or dropped half way. Every read
/// has a timeout, so no test can hang on a server that does not answer.
struct HTTPResponse {
    var status: Int
    var headers: [String: String]       // names lowercased
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
    }
}

struct HTTPClientError: Error, CustomStringConvertible { var description: String }

final class HTTPConnection {
    let fd: Int32
    let port: Int
    private var received: [UInt8] = []

    /// `receiveBufferBytes`: SO_RCVBUF, set before connecting (a small one makes a slow reader).
    init(port: Int, timeoutSeconds: Int = 20, receiveBufferBytes: Int32? = nil) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError(description: "socket: \(String(cString: strerror(errno)))") }
        if var bytes = receiveBufferBytes { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, socklen_t(MemoryLayout<Int32>.size)) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HTTPClientError(description: "connect to port \(port): \(reason)")
        }
    }

    deinit { close(fd) }

    /// Sends a request; a body gets Content-Length (or `contentLength`, to claim another).
    func send(_ method: String, _ path: String, body: [UInt8]? = nil, contentLength: Int? = nil, keepAlive: Bool = false,
              origin: String? = nil, host: String? = nil) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\n"
        if let origin { head += "Origin: \(origin)\r\n" }
        if !keepAlive { head += "Connection: close\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(contentLength ?? body.count)\r\n" }
        write(Array((head + "\r\n").utf8) + (body ?? []))
    }

    /// Sends bytes as they are; false, with the reason in `writeError`, when the server refused some
    /// (a reset connection: EPIPE or ECONNRESET). The server may close early (413): what it answered is still read.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        Self.send(bytes, to: fd, error: &writeError)
    }

    private(set) var writeError = ""

    private static func send(_ bytes: [UInt8], to fd: Int32, error: inout String) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                error = "send after \(sent) of \(bytes.count) bytes: \(String(cString: strerror(errno)))"
                return false
            }
            sent += n
        }
        return true
    }

    /// Sends all of `bytes` with blocking writes on another thread, as a client that reads only
    /// once its request is sent does; false if a write failed or they took over `seconds`.
    func writeFromAnotherThread(_ bytes: [UInt8], within seconds: Double) -> Bool {
        final class Outcome: @unchecked Sendable {   // written by the thread before it signals
            var sent = false
            var error = ""
        }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0), fd = self.fd
        Thread.detachNewThread {
            outcome.sent = Self.send(bytes, to: fd, error: &outcome.error)
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            shutdown(fd, Int32(SHUT_RDWR))   // ends the blocked write; the descriptor stays ours until deinit
            done.wait()
            writeError = "the server took no more of the body for \(seconds) s"
            return false
        }
        writeError = outcome.error
        return outcome.sent
    }

    /// Reads more bytes; false at the end of the stream. Throws on timeout.
    @discardableResult
    func receiveMore() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw HTTPClientError(description: "timed out waiting for the server") }
            if errno == ECONNRESET { return false }
            throw HTTPClientError(description: "recv: \(String(cString: strerror(errno)))")
        }
        received += buffer[0..<n]
        return n > 0
    }

    /// Reads until `text` has arrived (in the raw bytes); throws at the end of the stream without it.
    func receive(until text: String) throws -> String {
        while !String(decoding: received, as: UTF8.self).contains(text) {
            guard try receiveMore() else { throw HTTPClientError(description: "the stream ended before \(text.debugDescription)") }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Reads to the end of the stream and parses the response (chunked or not).
    func response() throws -> HTTPResponse {
        while try receiveMore() {}
        return try Self.parse(received)
    }

    static func parse(_ received: [UInt8]) throws -> HTTPResponse {
        guard let split = received.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw HTTPClientError(description: "no complete response head in \(received.count) bytes")
        }
        let lines = String(decoding: received[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HTTPClientError(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(received[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { body = Self.dechunk(body) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// Reads to the end of the stream and splits it into the responses that came one after another
    /// (pipelined answers; each with Content-Length, or chunked).
    func responses() throws -> [HTTPResponse] {
        while try receiveMore() {}
        var all: [HTTPResponse] = [], rest = received[...]
        while !rest.isEmpty {
            guard let split = rest.firstRange(of: Array("\r\n\r\n".utf8)) else {
                throw HTTPClientError(description: "no complete response head in \(rest.count) bytes")
            }
            let head = String(decoding: rest[..<split.lowerBound], as: UTF8.self)
            let length = head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) }
            var end = rest.endIndex
            if let length { end = min(rest.endIndex, split.upperBound + length) }
            else if let last = rest[split.upperBound...].firstRange(of: Array("\r\n0\r\n\r\n".utf8)) { end = last.upperBound }
            all.append(try Self.parse(Array(rest[..<end])))
            rest = rest[end...]
        }
        return all
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while let lineEnd = bytes[i...].firstRange(of: [0x0D, 0x0A]) {
            let size = Int(String(decoding: bytes[i..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            out += bytes[lineEnd.upperBound..<min(bytes.count, lineEnd.upperBound + size)]
            i = lineEnd.upperBound + size + 2
            if i >= bytes.count { break }
        }
        return out
    }
}

enum HTTP {
    /// One request on its own connection, answered whole.
    static func request(port: Int, _ method: String, _ path: String, json: String? = nil) throws -> HTTPResponse {
        let c = try HTTPConnection(port: port)
        try c.send(method, path, body: json.map { Array($0.utf8) })
        return try c.response()
    }

    /// A `text/event-stream` body as (event, data object) pairs.
    static func events(_ body: String) throws -> [(name: String, data: [String: Any])] {
        try body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
            var name = "message", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            return (name, try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] ?? [:])
        }
    }
}
