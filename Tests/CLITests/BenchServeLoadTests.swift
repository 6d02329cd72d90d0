import Foundation
import Testing
@testable import Bench

/// `charrnn bench`'s serve rows (issue 27): a server in the process, streaming clients over loopback.
@Suite struct BenchServeLoadTests {
    @Test func rowsAreListed() {
        #expect(Workload.selected(by: "serve").map(\.name) == ["serve-lstm-2x512-32", "serve-lstm-2x512-int8-32", "serve-lstm-2x128-64"])
    }

    /// A small model, 6 clients for a moment, in a process of their own (the built `charrnn bench
    /// --serve-clients`, as the bench runs them) and as threads of this one: every figure the row prints is
    /// there and sane.
    @Test(arguments: [true, false])
    func measuresClientsAgainstOneAloneAndSample(clientsApart: Bool) throws {
        let m = try ServeLoad.measure(Workload.ModelShape(cell: .lstm, layers: 1, hidden: 32), precision: .fp32,
                                      clients: 6, length: 200, seconds: 0.3, threads: 2,
                                      clientProcess: clientsApart ? Binary.executable.path : nil)
        #expect(m.clients == 6)
        #expect((m.charsPerSecond ?? 0) > 0 && (m.charsPerSecondAlone ?? 0) > 0 && (m.sampleCharsPerSecond ?? 0) > 0)
        #expect((m.iterations ?? 0) >= 6, "every client finished a request")
        let p50 = try #require(m.firstCharP50Ms), p99 = try #require(m.firstCharP99Ms)
        #expect(p50 > 0 && p99 >= p50)
        // The server's part (parsed → first character chosen, from /metrics) is part of the client's (sent → received).
        let mean = try #require(m.firstCharMeanMs), server = try #require(m.firstCharServerMeanMs)
        #expect(server > 0 && server < mean, "server \(server) ms, client \(mean) ms")
        let fairness = try #require(m.fairness)
        #expect(fairness > 0 && fairness <= 1)
        let idle = try #require(m.idleRssMb), peak = try #require(m.loadedPeakRssMb)
        #expect(idle > 0 && peak >= idle)
    }

    /// `sample --count`'s row: N whole generations at once (every character counted), beside one sample alone.
    @Test func sampleCountMeasuresWholeBatchesBesideOneSample() {
        #expect(Workload.named("sample-lstm-2x512-count64") != nil)
        let m = Workload.measureSamplingMany(Workload.ModelShape(cell: .lstm, layers: 1, hidden: 16), precision: .fp32,
                                             count: 5, length: 30, seconds: 0.2, threads: 2)
        #expect((m.charsPerSecond ?? 0) > 0 && (m.charsPerSecondAlone ?? 0) > 0)
        let characters = m.iterations ?? 0
        #expect(characters > 0 && characters % (5 * 30) == 0, "\(characters) characters: whole batches of 5 × 30")
    }

    @Test func aRequestThatFailsIsNotCounted() throws {
        // Nothing listens on port 1: no answer, no characters.
        #expect(ServeLoad.streamOnce(port: 1, body: "{}") == nil)
    }

    /// The clients' process refuses a malformed spec with a usage error, and a port nobody listens on is a failure it reports.
    @Test func theClientsProcessSaysWhatIsWrong() throws {
        for spec in ["", "8080", "0,1,10,1", "8080,0,10,1", "8080,1,0,1", "8080,1,10,-1", "8080,1,10,nan", "x,y,z,w"] {
            let r = try Binary.run(["bench", "--serve-clients", spec])
            // A usage error, as the bench's others: the error's line first, then the usage.
            #expect(r.status == 64 && r.stderr.hasPrefix("Error: --serve-clients takes PORT,CLIENTS,LENGTH,SECONDS"), "\(spec): \(r.stderr)")
        }
        let refused = try ServeLoad.runClients(Binary.executable.path, port: 1, clients: 2, length: 10, seconds: 0)
        #expect(refused.failures == 2 && refused.requests == 0 && refused.characters == 0)
    }
}
