import Foundation
import Tensor


/// The human-readable table (or JSON lines with --json).
final class BenchTable {
    let json: Bool
    let interactive = isatty(STDERR_FILENO) == 1
    private let flushOutput: () -> Void

    init(json: Bool, flushOutput: @escaping () -> Void = { fflush(nil) }) {
        self.json = json
        self.flushOutput = flushOutput
    }

    static let columns = "workload                charrnn           per step      GFLOP/s  of GEMM     RSS MB │ PyTorch          RSS MB │ speed    RSS  │ numpy"

    func header(_ lines: [String]) {
        guard !json else { return }
        print(lines.joined(separator: "\n") + "\n")
        print(Self.columns)
        flush()
    }

    func progress(_ s: String) {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K\(s)".utf8)) }
    }

    func row(_ r: BenchRecord) {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if json {
            if let data = try? BenchJSON.encode(r) { print(String(decoding: data, as: UTF8.self)) }
            flush()
            return
        }
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            let count = s.count
            guard count < n else { return s + " " }   // a long cell still leaves a space before the next
            let fill = String(repeating: " ", count: n - count)
            return right ? fill + s : s + fill
        }
        func mb(_ m: BenchMeasurement?) -> String { m?.peakRssMb.map { String(format: "%.0f", $0) } ?? "—" }
        func rate(_ m: BenchMeasurement?) -> String {
            guard let m else { return "—" }
            if let c = m.charsPerSecond { return formatRate(c) + " chars/s" }
            if let f = m.firstCharMs { return String(format: "%.0f ms", f) }
            return "—"
        }
        let c = r.charrnn
        var perStep = "", gflops = "", ofGEMM = "", charrnn = rate(c)
        switch Workload.named(r.workload)?.kind {
        case .sgemm?:
            charrnn = c?.gflops.map { String(format: "%.1f GFLOP/s", $0) } ?? "failed"
            perStep = c?.msPerIteration.map { String(format: "%.1f ms", $0) } ?? ""
        case .train?:
            perStep = c?.msPerIteration.map { String(format: "%.2f ms", $0) } ?? ""
            gflops = c?.gflops.map { String(format: "%.1f", $0) } ?? ""
            ofGEMM = r.fractionOfSgemm.map { String(format: "%.0f%%", $0 * 100) } ?? ""
        case .sample?:
            perStep = c?.msPerIteration.map { String(format: "%.1f µs", $0 * 1e3) } ?? ""
            gflops = c?.weightGigabytesPerSecond.map { String(format: "%.0f GB/s", $0) } ?? ""
            if let t = c?.charsPerSecondOneThread { ofGEMM = "(1t \(formatRate(t)))" }
        case .tokenize?:
            charrnn = c?.megabytesPerSecond.map { String(format: "%.0f MB/s", $0) } ?? "failed"
            perStep = c?.icuMegabytesPerSecond.map { String(format: "ICU %.0f MB/s", $0) } ?? ""
            gflops = c?.megabytesPerSecondOneThread.map { String(format: "1t %.0f", $0) } ?? ""
        case .sampleMany?:
            if let a = c?.charsPerSecond, let one = c?.charsPerSecondAlone { perStep = String(format: "%.2f× one", a / one) }
        case .serve?:
            if let a = c?.charsPerSecond, let one = c?.charsPerSecondAlone { perStep = String(format: "%.2f× one", a / one) }
            if let one = c?.charsPerSecondAlone, let s = c?.sampleCharsPerSecond { gflops = String(format: "1:%.0f%%", 100 * one / s) }
            ofGEMM = c?.firstCharP99Ms.map { String(format: "p99 %.0f ms", $0) } ?? ""
        default:
            break
        }
        var line = pad(r.label, 24) + pad(charrnn, 18) + pad(perStep, 14) + pad(gflops, 9) + pad(ofGEMM, 12) + pad(mb(c), 7)
        if r.pytorch != nil || r.numpy != nil || r.speedupVsPytorch != nil {
            line += "│ " + pad(rate(r.pytorch), 17) + pad(mb(r.pytorch), 7) + "│ "
            line += pad(r.speedupVsPytorch.map { String(format: "%.2f×", $0) } ?? "", 9)
            line += pad(r.rssRatioVsPytorch.map { String(format: "%.2f", $0) } ?? "", 5) + "│ " + rate(r.numpy)
            if let bf16 = r.pytorchBF16 {
                line += "  │ PyTorch bf16 autocast " + rate(bf16) + (r.speedupVsPytorchBF16.map { String(format: ": %.2f×", $0) } ?? "")
            }
        } else if case .serve? = Workload.named(r.workload)?.kind, let c {
            line += "│ " + [c.meanBatchRows.map { String(format: "%.1f rows per batch step", $0) },
                            c.firstCharP99MsAlone.map { String(format: "first character p99 alone %.0f ms", $0) },
                            c.firstCharMeanMs.flatMap { client in c.firstCharServerMeanMs.map { server in
                                String(format: "mean %.0f ms, %.1f of them in the server", client, server) } },
                            c.fairness.map { String(format: "slowest client %.0f%% of the mean", 100 * $0) }].compactMap { $0 }.joined(separator: ", ")
        } else if case .tokenize? = Workload.named(r.workload)?.kind, let a = c?.megabytesPerSecond, let b = c?.icuMegabytesPerSecond {
            line += "│ tokenizer ÷ a bare ICU break-iterator loop: \(String(format: "%.2f×", a / b))"
            if let one = c?.megabytesPerSecondOneThread, let n = c?.threads {
                line += "; \(n) threads ÷ 1: \(String(format: "%.2f×", a / one))"
            }
        }
        print(line)
        flush()
    }

    func footer() {
        guard !json else { return }
        print("""

            chars/s: characters predicted (training: B·T per step, whole steps timed) or generated (sampling) per second.
            GFLOP/s: GEMM FLOPs per second (StackedRNN.trainingFLOPs = 6·N·H·(G·H·(2L − 1) + V) per step, N = B·T);
            of GEMM: that ÷ the sgemm row. Sampling: µs per character, weight bytes read per second, and in
            parentheses the rate on one thread (charrnn sample uses all cores, as the main figure).
            RSS: peak resident set (ru_maxrss) of the process that ran the workload. speed: charrnn ÷ PyTorch
            (first character: PyTorch's time ÷ charrnn's); RSS: charrnn ÷ PyTorch. PyTorch sampling is the
            fastest of threads {N, 1} × mkldnn {on, off}; the bf16 and int8 rows (sample --precision, train --precision)
            are also set beside PyTorch's bf16 autocast, measured the same way. min-char-rnn: Karpathy's model and training (tanh RNN
            1×100, T = 25, batch 1, Adagrad 0.1, clip ±5), numpy: his min-char-rnn.py. Other rows: T = 50, B = 50,
            V = 65, Adam 2e-3, gradient-norm clip 5.
            serve ×N: N streaming clients over loopback on the same cores (chars/s: all of them), that ÷ one client
            alone, one client ÷ charrnn sample's chars/s (1:%), and the p99 time from a request to its first character.
            sample ×N: charrnn sample --count N (all N generated at once, as the command does), and that ÷ one sample.
            """)
        flush()
    }

    /// The standing speed goals (issue 11's for speed, issue 6's for memory and tokenizing), each
    /// with what this run measured. Kept here, beside the table, so the goals live in one place.
    func targets(_ records: [BenchRecord]) {
        guard !json else { return }
        func record(_ name: String) -> BenchRecord? { records.first { $0.workload == name } }
        func mark(_ ok: Bool) -> String { ok ? "✓" : "✗" }
        var lines: [String] = []
        func speed(_ name: String, _ goal: Double, also: (BenchRecord) -> (ok: Bool, text: String)? = { _ in nil }) {
            guard let r = record(name), let x = r.speedupVsPytorch else { return }
            let extra = also(r)
            let ok = x >= goal && (extra?.ok ?? true)
            lines.append("\(mark(ok)) \(r.label) ≥ \(String(format: "%g", goal))× PyTorch: \(String(format: "%.2f", x))×"
                         + (extra.map { "; " + $0.text } ?? ""))
        }
        speed("train-lstm-2x128", 1.5)
        speed("train-lstm-2x512", 1.3) { r in
            r.fractionOfSgemm.map { f in (f >= 0.7, "≥ 70% of sgemm: \(String(format: "%.0f", f * 100))%") }
        }
        speed("train-gru-2x256", 2)
        speed("train-rnn-tanh-2x256", 2)
        speed("sample-lstm-2x128", 10) { r in
            r.charrnn?.charsPerSecond.map { c in (c >= 40_000, "≥ 40k chars/s: \(formatRate(c))") }
        }
        speed("sample-lstm-2x512", 8)
        // Issue 26: sampling from bf16 or int8 weights (either may meet it).
        for name in ["sample-lstm-2x512-bf16", "sample-lstm-2x512-int8"] { speed(name, 10) }
        for name in ["sample-lstm-2x128-bf16", "sample-lstm-2x128-int8"] { speed(name, 20) }
        // Issue 26: training in bf16 products, on a CPU with AVX512_BF16 (elsewhere emulated: slower than fp32).
        speed("train-lstm-2x512-bf16", 2) { r in
            r.speedupVsPytorchBF16.map { x in (x >= 1.3, "≥ 1.3× PyTorch bf16 autocast: \(String(format: "%.2f", x))×") }
        }
        speed("train-lstm-2x128-bf16", 1.8)
        speed("train-gru-2x256-bf16", 2.5)
        // Issue 27: serving many at once.
        func f(_ x: Double, _ format: String = "%.2f") -> String { String(format: format, x) }
        if let c = record("serve-lstm-2x512-32")?.charrnn, let total = c.charsPerSecond, let one = c.charsPerSecondAlone {
            if let s = c.sampleCharsPerSecond { lines.append("\(mark(one >= 0.9 * s)) serve LSTM 2×512, one client ≥ 90% of charrnn sample: \(f(100 * one / s, "%.0f"))%") }
            lines.append("\(mark(total >= 3 * one)) serve LSTM 2×512, 32 clients ≥ 3× one alone: \(f(total / one))×")
            if let fair = c.fairness { lines.append("\(mark(fair >= 0.8)) serve LSTM 2×512, slowest client ≥ 80% of the mean: \(f(100 * fair, "%.0f"))%") }
            if let p99 = c.firstCharP99Ms {
                lines.append("\(mark(p99 <= 25)) serve LSTM 2×512, first character p99 ≤ 25 ms beside 31 streams: \(f(p99, "%.0f")) ms"
                             + (c.firstCharP99MsAlone.map { " (alone: \(f($0, "%.0f")) ms)" } ?? ""))
            }
            if let q = record("serve-lstm-2x512-int8-32")?.charrnn?.charsPerSecond {
                lines.append("\(mark(q >= 6 * one)) serve LSTM 2×512 int8, 32 clients ≥ 6× one fp32 client alone: \(f(q / one))×")
            }
        }
        if let c = record("serve-lstm-2x128-64")?.charrnn, let total = c.charsPerSecond, let one = c.charsPerSecondAlone {
            lines.append("\(mark(total >= 4 * one)) serve LSTM 2×128, 64 clients ≥ 4× one alone: \(f(total / one))×")
            if let idle = c.idleRssMb, let peak = c.loadedPeakRssMb, idle > 0 {
                lines.append("\(mark(peak <= 2 * idle)) serve LSTM 2×128, RSS under 64 clients ≤ 2× idle: \(f(peak, "%.0f")) MB ÷ \(f(idle, "%.0f")) MB = \(f(peak / idle))×")
            }
        }
        if let c = record("sample-lstm-2x512-count64")?.charrnn, let total = c.charsPerSecond, let one = c.charsPerSecondAlone {
            lines.append("\(mark(total >= 3 * one)) sample --count 64 --length 500, LSTM 2×512 ≥ 3× one sample: \(f(total / one))×")
        }
        if let f = record("first-char")?.charrnn?.firstCharMs {
            lines.append("\(mark(f < 50)) charrnn sample, first character < 50 ms: \(String(format: "%.0f", f)) ms")
        }
        let rss = records.compactMap { r in r.rssRatioVsPytorch.map { (r.label, $0) } }
        if let worst = rss.max(by: { $0.1 < $1.1 }) {
            lines.append("\(mark(worst.1 <= 0.25)) peak RSS ≤ ¼ of PyTorch's: largest ratio \(String(format: "%.2f", worst.1)) (\(worst.0))"
                         + (worst.1 > 0.25 ? "; " + rss.filter { $0.1 > 0.25 }.map(\.0).joined(separator: ", ") + " above" : ""))
        }
        if let c = record("tokenize")?.charrnn, let a = c.megabytesPerSecond, let b = c.icuMegabytesPerSecond {
            lines.append("\(mark(a / b >= 0.5)) tokenizing within 2× of a bare ICU loop: \(String(format: "%.2f", b / a))× its time")
            if let one = c.megabytesPerSecondOneThread, let n = c.threads, n >= 2 {
                lines.append("\(mark(a / one >= 1.7)) tokenizing on \(n) cores ≥ 1.7× one core (issue 13): \(String(format: "%.2f", a / one))×")
            }
        }
        guard !lines.isEmpty else { return }
        print("\ntargets (speed: issue 11, reduced weights: issue 26, kernels \(Kernels.current); memory and tokenizing: issues 6 and 13):\n  " + lines.joined(separator: "\n  "))
        flush()
    }

    /// Sends the rows printed so far: every C stream (print() goes through stdout's buffer), through
    /// `flushOutput`, which the command line sets to remember a failed flush (glibc drops what it could
    /// not write, so the flush at the end would find nothing and pass).
    func flush() { flushOutput() }
}
