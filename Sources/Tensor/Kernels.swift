import CKernels

/// A set of inner loops (the per-step packed products and the cells' gate
/// math), all of one instruction set: a row of the kernel-set table
/// (`Sources/CKernels/include/ck_kernels.h`), or the portable set, which is
/// the Swift code itself and the reference the rows are tested against. Each
/// fast set gives the portable gate kernels' results bit for bit (no FMA); the
/// packed GEMM uses FMA and agrees within rounding (`ck_gemm.h`).
///
/// This file and the C table are the only places that name a set: the engine
/// asks a set for its `table` (nil: run the Swift code) and never tests which one it is.
public struct KernelSet: Hashable, Sendable, CustomStringConvertible {
    /// What `CHARRNN_KERNELS` names it: "portable", or a row's name ("avx2", "avx512", …).
    public let name: String
    /// The row of C kernels, or nil for the portable Swift code.
    public let table: UnsafePointer<ck_kernel_set>?

    /// Swift SIMD code (and OpenBLAS): runs everywhere, vectorises on ARM64 too.
    public static let portable = KernelSet(name: "portable", table: nil)

    private init(name: String, table: UnsafePointer<ck_kernel_set>?) {
        self.name = name
        self.table = table
    }

    /// A row made outside the table, e.g. a test's copy of a row that counts its calls.
    /// `CHARRNN_KERNELS` never names it; it is used where it is passed.
    public init(name: String, row: UnsafePointer<ck_kernel_set>) {
        self.init(name: name, table: row)
    }

    public var description: String { name }

    /// The width of the set's vector registers in bits (128 for the portable code's SSE or NEON).
    public var vectorBits: Int { table.map { $0.pointee.vector_bits } ?? 128 }

    /// What a CPU without this set lacks, for messages.
    var instructionsName: String { table.map { String(cString: $0.pointee.instructions) } ?? "nothing" }

    /// Whether this CPU and OS can run the set.
    public var isSupported: Bool { table.map { $0.pointee.cpu_supports() != 0 } ?? true }

    /// Every set this build holds, slowest first: the portable code, then the table's rows.
    public static let all: [KernelSet] = [.portable] + (0..<ck_kernel_set_count()).map { i in
        let row = ck_kernel_set_at(i)
        return KernelSet(name: String(cString: row.pointee.name), table: row)
    }

    /// The set `all` holds under `name`, or nil.
    public static func named(_ name: String) -> KernelSet? { all.first { $0.name == name } }

    public static func == (a: KernelSet, b: KernelSet) -> Bool { a.table == b.table && a.name == b.name }  // pointers first: `step` asks every character
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

// The rows are immutable C constants.
extension UnsafePointer: @retroactive @unchecked Sendable where Pointee == ck_kernel_set {}

/// Which kernel set runs: chosen once, here, from the CPU, and read by the
/// cells and `PackedMatrix` as the default of their `kernels:` argument (tests
/// pass a set explicitly instead of changing a global that other suites
/// running meanwhile would see).
///
/// The default is the best set the CPU and OS support. `CHARRNN_KERNELS=NAME` (a name of `KernelSet.all`)
/// in the environment picks another (to compare, or to rule the C kernels out);
/// an unknown name or a set this CPU lacks is refused by the command line at
/// start (`environmentError`) rather than silently replaced.
public enum Kernels {
    /// The sets this CPU (and OS) can run, slowest first; always starts with `.portable`.
    public static let available: [KernelSet] = KernelSet.all.filter(\.isSupported)

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
        "\(current); available: \(available.map(\.name).joined(separator: ", "))"
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
        let names = available.map(\.name).joined(separator: ", ")
        guard let set = KernelSet.named(requested) else {
            let known = KernelSet.all.map(\.name).joined(separator: ", ")
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
