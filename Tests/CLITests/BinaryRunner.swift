import Foundation

/// Runs the built `charrnn` executable and captures what it prints.
struct BinaryRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutBytes: Data
}

enum Binary {
    /// The folder holding the built products (`charrnn` beside the test bundle).
    static var productsDirectory: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        fatalError("couldn't find the products directory")
        #else
        return Bundle.main.bundleURL
        #endif
    }

    static var executable: URL { productsDirectory.appendingPathComponent("charrnn") }

    /// Starts `charrnn train arguments…` in `directory`, waits until `log` (relative to it) holds
    /// three records (training is under way; at most 60 s), sends SIGINT, and waits for the exit:
    /// the status and what went to stderr.
    static func interruptedTraining(_ arguments: [String], in directory: URL, log: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["train"] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        try process.run()
        let path = directory.appendingPathComponent(log).path
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: path, encoding: .utf8), s.split(separator: "\n").count >= 3 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// Runs `charrnn arguments…` (or another built product, `program`) in `directory`,
    /// feeding `stdin`, and waits for it.
    @discardableResult
    /// `tool`: another program to run instead (mpirun).
    static func run(_ arguments: [String], program: String = "charrnn", tool: URL? = nil, in directory: URL? = nil, stdin: Data? = nil,
                    environment: [String: String] = [:]) throws -> BinaryRun {
        let process = Process()
        process.executableURL = tool ?? productsDirectory.appendingPathComponent(program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child can't block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return BinaryRun(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self),
                         stdoutBytes: outData)
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("charrnn-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
