import Foundation

/// One line of bench-results/bench.jsonl: a workload, every implementation, the ratios.
struct BenchRecord: Codable, Sendable {
    var date: String, machine: String, cores: Int, threads: Int, seconds: Double
    var commit: String?, blasCore: String
    var workload: String, label: String
    var charrnn: BenchMeasurement?
    var pytorch: BenchMeasurement?
    var pytorchBF16: BenchMeasurement?   // PyTorch's bf16 autocast (the reduced-precision rows)
    var numpy: BenchMeasurement?
    var speedupVsPytorch: Double?        // charrnn ÷ PyTorch (chars/s; for first-char, time ratio PyTorch ÷ charrnn)
    var speedupVsPytorchBF16: Double?    // charrnn ÷ PyTorch's bf16 autocast (chars/s)
    var rssRatioVsPytorch: Double?       // charrnn peak RSS ÷ PyTorch's
    var fractionOfSgemm: Double?         // training GFLOP/s ÷ large sgemm GFLOP/s

    enum CodingKeys: String, CodingKey {
        case date, machine, cores, threads, seconds, commit, workload, label, charrnn, pytorch, numpy
        case blasCore = "blas_core", speedupVsPytorch = "speedup_vs_pytorch", rssRatioVsPytorch = "rss_ratio_vs_pytorch"
        case pytorchBF16 = "pytorch_bf16", speedupVsPytorchBF16 = "speedup_vs_pytorch_bf16"
        case fractionOfSgemm = "fraction_of_sgemm"
    }
}

enum BenchJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(value)
    }
    static func decodeLastLine<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let last = lines.last(where: { $0.hasPrefix("{") }) else { return nil }
        return try? JSONDecoder().decode(type, from: Data(last.utf8))
    }
}
