import Foundation
import Tensor

/// What one server accepts and how much work it takes on at once; the limits a user tunes
/// have a `charrnn serve` flag, and every default is here only.
public struct ServeLimits: Sendable {
    public var maxLength = 10_000           // characters per sample; model steps per search; characters of a text to score
    public var maxPrimeBytes = 16_384       // UTF-8 bytes of a prime (413 past it)
    public var maxBodyBytes = 1 << 20       // bytes of a request body (413 past it); bounds /v1/score's text too
    public var maxCount = 16                // samples per request
    public var maxTexts = 64                // texts per /v1/classify request (one batch of `charrnn classify`)
    public var maxBeam = 64                 // beam width
    public var maxBestOf = 64               // best-of draws
    public var lanes = ProcessInfo.processInfo.activeProcessorCount   // generations computing at once: one per core
    public var maxGenerations = 64          // requests being generated, taking turns on the lanes
    public var queue = 16                   // requests waiting for one of those; past it, 503
    public var retryAfterSeconds = 1        // the 503's Retry-After
    public var precision = WeightPrecision.fp32  // the weights a text model's steps multiply (--precision)
    // A stream's text waits in a buffer of at most `streamBufferBytes` (beyond what the kernel's socket
    // holds) for its client to read it; while the buffer is full the stream's generation pauses (it sits
    // out the batch's steps), and after `stallSeconds` paused the server ends it by closing the connection.
    public var streamBufferBytes = 64 << 10
    public var socketSendBufferBytes: Int? = nil   // each connection's SO_SNDBUF; nil: the kernel's, autotuned (to 4 MB on Debian)
    public var stallSeconds = 30            // --stall-timeout
    public var sliceNanoseconds: UInt64 = 5_000_000   // how long a request computes before it hands its lane to a waiter (and flushes its text)
    // A batched stream's text goes out at most this often after its first character (which goes at once):
    // each flush is a task on the event loop and a TCP send, which under 64 streams took a fifth of two cores.
    public var streamFlushNanoseconds: UInt64 = 20_000_000
    // A lingering close (as nginx's): after an answer that ends the connection, what the client still
    // sends is read and dropped, up to these bounds, so that it is not reset before it reads the answer.
    public var lingerBytes = 32 << 20       // bytes discarded at most (a body refused with 413 is at most this much more)
    public var lingerSeconds = 5.0          // seconds at most from the answer to the close
    // Reading requests (as nginx's client_header_timeout, client_body_timeout and keepalive_timeout):
    // a connection that has not sent a whole request head this long after it opened or after its last
    // answer ended is closed (an idle keep-alive, or a slowloris sending its head a byte at a time), as
    // is one whose body has not ended this long after its head. Each holds a file descriptor meanwhile.
    public var requestHeadSeconds = 30.0
    public var requestBodySeconds = 30.0

    public init() {}

    /// A one-line reason these limits cannot be used, or nil.
    public var problem: String? {
        let named: [(String, Int, ClosedRange<Int>)] = [
            ("--max-length", maxLength, 1...100_000_000), ("--max-prime-bytes", maxPrimeBytes, 1...100_000_000),
            ("--max-body-bytes", maxBodyBytes, 64...1_000_000_000), ("--workers", lanes, 1...256),
            ("--max-generations", maxGenerations, 1...4096), ("--queue", queue, 0...100_000),
            ("--stall-timeout", stallSeconds, 1...86_400),
        ]
        for (flag, value, range) in named where !range.contains(value) {
            return "\(flag) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))"
        }
        return nil
    }
}
