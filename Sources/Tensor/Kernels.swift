import CKernels

/// A set of inner loops (the per-step packed products and the cells' gate
/// math), all of one instruction set. Each fast set has tests against the
/// portable one: the gate kernels give its results bit for bit (no FMA); the
/// packed GEMM uses FMA and agrees within rounding (`ck_gemm.h`).
public enum KernelSet: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Swift SIMD code (and OpenBLAS): runs everywhere, vectorises on ARM64 too.
    case portable
    /// AVX2 + FMA C kernels (`Sources/CKernels/*_avx2.c`): most x86-64 CPUs since 2013–2015.
    case avx2
    /// AVX-512 F/DQ/BW/VL + FMA C kernels (`gates.c`, `gemm.c`).
    case avx512

    public var description: String { rawValue }

    /// What a CPU without this set lacks, for messages.
    var instructionsName: String {
        switch self {
        case .portable: "nothing"
        case .avx2: "AVX2 and FMA"
        case .avx512: "AVX-512"
        }
    }
}

/// Which kernel set runs: chosen once, here, from the CPU, and read by the
/// cells and `PackedMatrix` as the default of their `kernels:` argument (tests
/// pass a set explicitly instead of changing a global that other suites
/// running meanwhile would see).
///
/// The default is the best set the CPU and OS support. `CHARRNN_KERNELS=portable|avx2|avx512`
/// in the environment picks another (to compare, or to rule the C kernels out);
/// an unknown name or a set this CPU lacks is refused by the command line at
/// start (`environmentError`) rather than silently replaced.
public enum Kernels {
    /// The sets this CPU (and OS) can run, slowest first; always starts with `.portable`.
    public static let available: [KernelSet] = KernelSet.allCases.filter { set in
        switch set {
        case .portable: true
        case .avx2: ck_cpu_has_avx2_fma() != 0
        case .avx512: ck_cpu_has_avx512() != 0
        }
    }

    /// The set in use: `CHARRNN_KERNELS` when it names an available set, else the
    /// best available (a bad value is `environmentError`'s to report).
    public static let current: KernelSet =
        (try? choose(requested: environmentValue, available: available).get()) ?? available.last!

    /// nil when `CHARRNN_KERNELS` is unset, empty or names an available set;
    /// else the one-line reason, e.g. "CHARRNN_KERNELS=avx512: this CPU lacks
    /// AVX-512 (available: portable, avx2)". The command line checks it at start.
    public static var environmentError: String? {
        if case .failure(let error) = choose(requested: environmentValue, available: available) { return error.message }
        return nil
    }

    /// "avx512; available: portable, avx2, avx512", for `--version` and benchmark headers.
    public static var summary: String {
        "\(current); available: \(available.map(\.rawValue).joined(separator: ", "))"
    }

    /// Why a requested set cannot be used.
    public struct ChoiceError: Error, Equatable {
        public let message: String
    }

    /// The set `requested` names (nil or empty: the best of `available`).
    /// A pure function of its arguments, so that tests can try CPUs they are not running on.
    public static func choose(requested: String?, available: [KernelSet]) -> Result<KernelSet, ChoiceError> {
        let best = available.last ?? .portable
        guard let requested, !requested.isEmpty else { return .success(best) }
        let names = available.map(\.rawValue).joined(separator: ", ")
        guard let set = KernelSet(rawValue: requested) else {
            let known = KernelSet.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(ChoiceError(message: "CHARRNN_KERNELS=\(requested): unknown kernel set (expected one of \(known))"))
        }
        guard available.contains(set) else {
            return .failure(ChoiceError(
                message: "CHARRNN_KERNELS=\(requested): this CPU lacks \(set.instructionsName) (available: \(names))"))
        }
        return .success(set)
    }

    private static var environmentValue: String? { getenvString("CHARRNN_KERNELS") }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}
