/// OpenBLAS (Debian's 0.3.21, built for every x86 core) picks its kernels at
/// load time from the CPU model. A CPU newer than the library is unknown to it
/// and gets the generic fallback: on an Intel Xeon of model 207 (2024) it says
/// "Prescott" and runs SSE3 kernels, 14.8 GFLOP/s on a 2048³ sgemm against 114.6
/// with its AVX-512 kernels (measured 2026-11-27 on that machine), which made
/// training 2.3× slower than PyTorch. The core can only be chosen before the
/// library loads (`OPENBLAS_CORETYPE`), so the command line asks this function at
/// start and, when it names a core, runs itself again with that variable set.
public enum OpenBLASCore {
    /// OpenBLAS cores whose kernels use 512-bit vectors (AVX-512), and those that use at least 256 (AVX2 + FMA).
    static let cores512: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
    static let cores256: Set<String> = cores512.union(["haswell", "zen", "excavator"])

    /// The core to force so that OpenBLAS uses the vector width this CPU has
    /// (`vectorBits`: the widest of `Kernels.available`), or nil when the
    /// detected one already does (or the user chose one: an explicit
    /// `OPENBLAS_CORETYPE` is never overridden).
    public static func replacement(detected: String, vectorBits: Int, userChoice: String?) -> String? {
        if userChoice != nil { return nil }
        let core = detected.lowercased()
        if vectorBits >= 512 { return cores512.contains(core) ? nil : "SkylakeX" }
        if vectorBits >= 256 { return cores256.contains(core) ? nil : "Haswell" }
        return nil
    }
}
