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

        /// `openFiles`: the process's limit of open files (RLIMIT_NOFILE), set by the shell that execs it.
        init(_ arguments: [String], openFiles: Int? = nil) throws {
            if let openFiles {
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "ulimit -n \(openFiles) && exec \"$0\" serve \"$@\"", Binary.executable.path] + arguments
            } else {
                process.executableURL = Binary.executable
                process.arguments = ["serve"] + arguments
            }
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

    /// At the open-files limit accept fails (EMFILE) while connections wait in the backlog: the server waits
    /// between tries (NIO's AcceptBackoffHandler) instead of trying again at once, which took a whole core
    /// for as long as the connections stayed; and it answers again once they close.
    @Test(.timeLimit(.minutes(1))) func atTheOpenFilesLimitTheServerWaitsInsteadOfSpinning() throws {
        let serve = try ServeProcess(["--checkpoint", "checkpoints/run", "--port", "0"], openFiles: 64)
        defer { serve.stop() }
        let port = try serve.port(), pid = serve.process.processIdentifier
        /// The server's CPU time so far, in clock ticks (utime + stime of /proc/pid/stat).
        func cpuTicks() throws -> Int {
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")   // after "(comm)": state is field 3
            return Int(fields[11])! + Int(fields[12])!                                     // fields 14 and 15
        }
        var held: [HTTPConnection] = []
        for _ in 0..<120 { held.append(try HTTPConnection(port: port, timeoutSeconds: 5)) }   // ~50 past the limit wait in the backlog
        usleep(300_000)
        let before = try cpuTicks(), ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        sleep(2)
        let used = Double(try cpuTicks() - before) / Double(ticksPerSecond)
        #expect(used < 1.0, "the server used \(used) s of CPU in 2 s with connections waiting past its open-files limit")
        held.removeAll()                                  // closed: the server takes connections again
        var answered = false
        for _ in 0..<3 where !answered {
            answered = (try? HTTP.request(port: port, "GET", "/v1/models"))?.status == 200
        }
        #expect(answered, "\(serve.errorOutput)")
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
