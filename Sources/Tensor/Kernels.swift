import CKernels

/// Which inner loops run: charrnn's AVX-512 C kernels (`Sources/CKernels`)
/// or the portable Swift ones. Both compute the same thing; each fast kernel
/// has a test against its portable twin.
///
/// The default is the fastest the CPU supports. `CHARRNN_KERNELS=portable` in
/// the environment forces the Swift kernels (to compare, or to rule the C ones
/// out); tests switch with `Kernels.useAVX512`.
public enum Kernels {
    /// True when this CPU (and OS) can run the AVX-512 kernels.
    public static let avx512Available: Bool = ck_cpu_has_avx512() != 0

    /// True when the AVX-512 kernels are in use. Setting it to true on a CPU
    /// without them leaves it false.
    public static var useAVX512: Bool {
        get { storage.useAVX512 }
        set { storage.useAVX512 = newValue && avx512Available }
    }

    /// "avx512" or "portable": what `useAVX512` says, for logs and benchmarks.
    public static var name: String { useAVX512 ? "avx512" : "portable" }

    @usableFromInline
    final class Storage: @unchecked Sendable {
        // One word, set before work starts (command line, test set-up).
        @usableFromInline var useAVX512: Bool
        init() {
            let forced = getenvString("CHARRNN_KERNELS")
            useAVX512 = Kernels.avx512Available && forced != "portable"
        }
    }
    @usableFromInline static let storage = Storage()
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
