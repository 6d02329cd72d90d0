import Foundation
@testable import Serve
import Testing

/// Long jobs on a lane (a beam search, best-of, a score) take turns with the lane's other requests, and
/// stop when their client leaves, queued or under way: with one lane, a search that would run for
/// minutes lets a short completion through, and the search, a best-of and a score whose clients closed
/// all leave the generation slots.
@Suite struct ServeLaneTurnsTests {
    @Test(.timeLimit(.minutes(2))) func longJobsTakeTurnsAndStopWhenTheirClientLeaves() throws {
        let listener = try ServeAPITests.listen {
            $0.lanes = 1
            $0.maxLength = 10_000_000
            $0.maxBodyBytes = 1 << 20
        }
        defer { listener.stop() }
        let port = listener.port
        func active() throws -> Double { try ServeBackPressureTests.metric(port, "charrnn_generations_active") }

        // A search of 64 beams over 150,000 positions: minutes of work on the only lane.
        let beam = try HTTPConnection(port: port, timeoutSeconds: 30)
        try beam.send("POST", "/v1/generate", body: Array(#"{"prime":"the ","length":150000,"beam":64}"#.utf8))
        #expect(try ServeBackPressureTests.eventually(within: 20) { try active() == 1 })
        Thread.sleep(forTimeInterval: 0.2)

        // A short completion gets a turn on that lane and is answered while the search goes on.
        let short = try HTTP.request(port: port, "POST", "/v1/completions", json: #"{"max_tokens":5,"seed":1}"#)
        #expect(short.status == 200, "\(short.text)")
        // (The completion's slot is freed just after its answer is out: wait for that, not for the search.)
        #expect(try ServeBackPressureTests.eventually(within: 10) { try active() == 1 }, "the search ended early")

        // A best-of and a score whose clients leave at once, then the search's client: all stop.
        let bestOf = try HTTPConnection(port: port)
        try bestOf.send("POST", "/v1/generate", body: Array(#"{"length":1000000,"best_of":8}"#.utf8))
        let score = try HTTPConnection(port: port)
        try score.send("POST", "/v1/score", body: Array(#"{"text":"\#(String(repeating: "the king ", count: 100_000))"}"#.utf8))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try active() == 3)
        for client in [bestOf, score, beam] { shutdown(client.fd, Int32(SHUT_RDWR)) }   // the clients leave
        #expect(try ServeBackPressureTests.eventually(within: 20) { try active() == 0 },
                "abandoned searches and scores still hold their slots")
    }
}
