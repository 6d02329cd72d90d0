import Foundation

/// What one implementation did on one workload (the reference script prints the same keys).
struct BenchMeasurement: Codable, Sendable {
    var impl: String                     // charrnn | pytorch | pytorch-bf16 | numpy
    var version: String? = nil
    var charsPerSecond: Double? = nil    // training: B·T per second of whole steps; sampling: characters per second
    var msPerIteration: Double? = nil    // median step (training), mean per character (sampling)
    var iterations: Int? = nil
    var gflops: Double? = nil            // sgemm, training (GEMM FLOPs, see the command's help)
    var megabytesPerSecond: Double? = nil       // tokenize: the tokenizer (grapheme, NFC, ids)
    var icuMegabytesPerSecond: Double? = nil    // tokenize: a bare ICU break-iterator loop over the same file
    var megabytesPerSecondOneThread: Double? = nil  // tokenize: the tokenizer on one thread (the main figure uses every core)
    var weightGigabytesPerSecond: Double? = nil // sampling: weight bytes read per step × steps per second
    var charsPerSecondOneThread: Double? = nil  // sampling: on one thread (the main figure uses --threads, as charrnn sample does)
    var firstCharMs: Double? = nil       // first-char: median, process start to first byte on stdout
    var threads: Int? = nil
    var mkldnn: Bool? = nil
    var peakRssMb: Double? = nil         // ru_maxrss of the process (set by the parent from wait4)
    var note: String? = nil
    var rounds: Int? = nil               // rounds measured; the figures are the best round's
    // serve (ServeLoad): charsPerSecond is all the clients' together
    var clients: Int? = nil
    var charsPerSecondAlone: Double? = nil      // one client alone (sample --count: one sample alone)
    var sampleCharsPerSecond: Double? = nil     // charrnn sample's path, in the same process
    var firstCharP50Ms: Double? = nil, firstCharP99Ms: Double? = nil   // request sent → first text event, under load
    var firstCharP99MsAlone: Double? = nil      // the same for one client alone
    var firstCharMeanMs: Double? = nil          // mean of request sent → first text event, under load (the client's clock)
    var firstCharServerMeanMs: Double? = nil    // mean of request parsed → first character chosen, under load (the server's)
    var fairness: Double? = nil                 // the slowest client's chars/s ÷ the mean
    var meanBatchRows: Double? = nil            // rows per batch step under load
    var idleRssMb: Double? = nil, loadedPeakRssMb: Double? = nil      // the server's process idle, and its peak after the load

    /// The faster of two measurements of the same thing (nil-tolerant), counting the rounds.
    static func better(_ a: BenchMeasurement?, _ b: BenchMeasurement?) -> BenchMeasurement? {
        guard let a else { return b }
        guard let b else { return a }
        func score(_ m: BenchMeasurement) -> Double {
            m.charsPerSecond ?? m.gflops ?? m.megabytesPerSecond ?? m.firstCharMs.map { -$0 } ?? 0
        }
        var best = score(b) > score(a) ? b : a
        best.rounds = (a.rounds ?? 1) + (b.rounds ?? 1)
        return best
    }

    enum CodingKeys: String, CodingKey {
        case impl, version, iterations, gflops, threads, mkldnn, note, rounds
        case charsPerSecond = "chars_per_s", msPerIteration = "ms_per_iter"
        case megabytesPerSecond = "mb_per_s", icuMegabytesPerSecond = "icu_mb_per_s", megabytesPerSecondOneThread = "mb_per_s_one_thread"
        case weightGigabytesPerSecond = "weight_gb_per_s", firstCharMs = "first_char_ms", peakRssMb = "peak_rss_mb"
        case charsPerSecondOneThread = "chars_per_s_one_thread"
        case clients, fairness, meanBatchRows = "mean_batch_rows"
        case charsPerSecondAlone = "chars_per_s_alone", sampleCharsPerSecond = "sample_chars_per_s"
        case firstCharP50Ms = "first_char_p50_ms", firstCharP99Ms = "first_char_p99_ms", firstCharP99MsAlone = "first_char_p99_ms_alone"
        case firstCharMeanMs = "first_char_mean_ms", firstCharServerMeanMs = "first_char_server_mean_ms"
        case idleRssMb = "idle_rss_mb", loadedPeakRssMb = "loaded_peak_rss_mb"
    }
}

