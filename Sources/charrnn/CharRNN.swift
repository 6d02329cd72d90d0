import ArgumentParser
import Foundation
import Sampler
import Tensor

@main
struct CharRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn",
        abstract: "Character-level RNN / LSTM / GRU text generation.",
        discussion: """
            Train a model on any UTF-8 text file, then sample text that reads like it:

              charrnn train corpus.txt
              charrnn sample --temp \(SampleDefaults.temperature)
            """,
        version: "\(version) (kernels: \(Kernels.summary))",  // e.g. 0.1.0 (kernels: avx2; available: portable, avx2)
        subcommands: [
            TrainCommand.self,
            SampleCommand.self,
            ClassifyCommand.self,
            TranslateCommand.self,
            EvalCommand.self,
            InfoCommand.self,
            VocabCommand.self,
            PlotCommand.self,
            VizCommand.self,
            BenchCommand.self,
            ServeCommand.self,
        ])

    /// charrnn's version number alone (`--version` adds the kernel set in use).
    static let version = "0.1.0"

    /// Refuses a bad `CHARRNN_KERNELS` (unknown, or a set this CPU lacks) with one
    /// line and status 1 before any subcommand, `--version` or `--help` runs: the
    /// kernel set is chosen once, and a run must not silently use another one.
    static func main() {
        reserveClosedStandardDescriptors()
        if let problem = Kernels.environmentError { exit(withError: failure(problem)) }
        if let problem = invalidArgument() { exit(withError: failure(problem)) }
        useOpenBLASKernelsForThisCPU()
        do {
            var command = try parseAsRoot()
            try command.run()
            try finishStandardOutput()
        } catch {
            // --help, --version, `help`: their text goes out as any output does, so that a full or
            // closed stdout is an error (the parser's own exit printed it and said 0 whatever happened).
            if exitCode(for: error) == .success {
                let text = fullMessage(for: error)
                do { if !text.isEmpty { try writeStandardOutput(Data((text + "\n").utf8)) } } catch { exit(withError: error) }
                exit(withError: ExitCode.success)
            }
            exit(withError: error)
        }
    }

    /// The first argument that is not valid UTF-8, in words, or nil. Swift reads arguments as UTF-8 with
    /// each bad byte replaced by U+FFFD, so `--prime $'a\xffb'` would prime with a character the user
    /// never typed (and report it as one the model never saw), and a file name would name another file.
    static func invalidArgument() -> String? {
        for i in 1..<Int(CommandLine.argc) {
            guard let bytes = CommandLine.unsafeArgv[i] else { continue }
            let count = strlen(bytes)
            let buffer = UnsafeBufferPointer(start: UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt8.self), count: count)
            if String(validating: buffer, as: UTF8.self) == nil {
                return "argument \(i) (\(String(decoding: buffer, as: UTF8.self))) is not valid UTF-8; charrnn reads its arguments as UTF-8"
            }
        }
        return nil
    }

    /// Runs this process again with `OPENBLAS_CORETYPE` set when OpenBLAS fell
    /// back to generic kernels on a CPU it does not know (see `OpenBLASCore`).
    /// After the exec the variable is set, so this happens at most once; if the
    /// exec fails, the run goes on with the slower kernels.
    static func useOpenBLASKernelsForThisCPU() {
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        guard let core = OpenBLASCore.replacement(detected: BLAS.coreName, vectorBits: Kernels.available.map(\.vectorBits).max() ?? 128,
                                                   userChoice: user) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
