import Foundation
import Serve
import RNN
import Testing

/// `charrnn serve` as a process: it listens, answers, agrees with `charrnn sample`
/// to the bit, exits 0 on SIGINT; and refuses bad setups with one line.
@Suite struct ServeCommandTests {
    /// A running `charrnn serve` whose stderr is collected; signals go through kill(2), and every wait is bounded.
    final class ServeProcess {
        let process = Process()
        private final class Collected: @unchecked Sendable {   // stderr so far, appended by the reader thread
            let lock = NSLock()
            var text = ""
        }
        private let stderr = Collected()
        private let done = DispatchSemaphore(value: 0)

        init(_ arguments: [String]) throws {
            process.executableURL = Binary.executable
            process.arguments = ["serve"] + arguments
            process.currentDirectoryURL = Fixtures.trained
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let handle = err.fileHandleForReading, stderr = self.stderr, done = self.done
            Thread.detachNewThread {
                while case let data = handle.availableData, !data.isEmpty {
                    stderr.lock.withLock { stderr.text += String(decoding: data, as: UTF8.self) }
                }
                done.signal()
            }
        }

        var errorOutput: String { stderr.lock.withLock { stderr.text } }

        /// The port from the startup line, waiting up to `seconds`.
        func port(within seconds: Double = 30) throws -> Int {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let text = errorOutput
                if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                    return Int(text[range].split(separator: ":").last!.dropLast())!
                }
                if !process.isRunning { break }
                usleep(20_000)
            }
            throw HTTPClientError(description: "charrnn serve did not start: \(errorOutput)")
        }

        /// Ctrl-C (SIGINT), then `exitStatus()`: how a test ends a server it no longer needs.
        func stop() {
            kill(process.processIdentifier, SIGINT)
            _ = exitStatus()
        }

        /// Waits up to `seconds` for the exit; kills it (SIGKILL) and returns nil if it does not come.
        func exitStatus(within seconds: Double = 15) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                return nil
            }
            _ = done.wait(timeout: .now() + 5)
            return process.terminationStatus
        }
    }

    @Test func serveAnswersLikeSampleAndExitsZeroOnSIGINT() throws {
        let serve = try ServeProcess(["--checkpoint", "checkpoints/run", "--port", "0"])
        let port = try serve.port()
        let r = try HTTP.request(port: port, "POST", "/v1/generate", json: #"{"prime":"a dog","length":60,"seed":11,"top_p":0.9}"#)
        #expect(r.status == 200, "\(r.text)")
        let sample = (try r.json()["samples"] as? [[String: Any]])?.first ?? [:]
        let cli = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--prime", "a dog", "--length", "60", "--seed", "11",
                                  "--top-p", "0.9", "--no-echo", "--json"], in: Fixtures.trained)
        let printed = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(sample["text"] as? String == printed["text"] as? String)
        #expect(sample["mean_log_prob"] as? Double == printed["mean_log_prob"] as? Double)   // same process setup: to the bit

        kill(serve.process.processIdentifier, SIGINT)
        #expect(serve.exitStatus() == 0, "\(serve.errorOutput)")
        #expect(!serve.errorOutput.contains("Fatal error"))
    }

    @Test func helpListsServe() throws {
        let r = try Binary.run(["--help"])
        #expect(r.stdout.contains("serve") && r.stdout.contains("Serve models over HTTP"))
    }

    @Test func portInUseIsOneLineAndNonZero() throws {
        let occupied = try ServeAPITests.listen()
        defer { occupied.stop() }
        let r = try Binary.run(["serve", "--checkpoint", "checkpoints/run", "--port", "\(occupied.port)"], in: Fixtures.trained)
        #expect(r.status == 1)
        #expect(r.stderr == "charrnn: error: cannot listen on 127.0.0.1:\(occupied.port): Address already in use\n")
    }

    @Test(arguments: [
        (["--host", "no-such-host.invalid", "--port", "0"], "cannot listen on no-such-host.invalid:0"),
        (["--checkpoint", "does/not/exist"], "no checkpoint at does/not/exist"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--workers", "0"], "--workers must be between 1 and 256"),
        (["--stall-timeout", "0"], "--stall-timeout must be between 1 and 86400"),
        (["--stall-timeout", "soon"], "--stall-timeout"),
    ])
    func badSetupIsOneLineAndNonZero(arguments: [String], message: String) throws {
        var all = arguments
        if !all.contains("--checkpoint") { all += ["--checkpoint", "checkpoints/run"] }
        let r = try Binary.run(["serve"] + all, in: Fixtures.trained)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
        #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("charrnn: error") || $0.hasPrefix("Error") }.count == 1, "\(r.stderr)")
    }

    /// Stopping cuts a stream still running after the grace period: the client sees its end, the generation stops.
    @Test func stopCutsAStreamInFlight() throws {
        let listener = try ServeAPITests.listen { $0.maxLength = 100_000_000 }
        let c = try HTTPConnection(port: listener.port)
        try c.send("POST", "/v1/generate", body: Array(#"{"prime":"the","length":100000000,"stream":true,"seed":2}"#.utf8))
        _ = try c.receive(until: "event: text")
        let started = Date()
        listener.stop(grace: 0.2)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(listener.server.cancelledGenerations == 1)
        #expect(listener.server.inFlight == 0)
        while try c.receiveMore() {}   // the connection ends (no timeout)
    }
}
