import Testing
import Tensor

@Suite struct OpenBLASCoreTests {
    @Test func aGenericFallbackIsReplacedByTheWidthTheCPUHas() {
        #expect(OpenBLASCore.replacement(detected: "Prescott", available: [.portable, .avx2, .avx512], userChoice: nil) == "SkylakeX")
        #expect(OpenBLASCore.replacement(detected: "Prescott", available: [.portable, .avx2], userChoice: nil) == "Haswell")
        #expect(OpenBLASCore.replacement(detected: "Haswell", available: [.portable, .avx2, .avx512], userChoice: nil) == "SkylakeX")
        #expect(OpenBLASCore.replacement(detected: "Prescott", available: [.portable], userChoice: nil) == nil)
    }

    @Test func aFittingCoreOrTheUsersChoiceIsKept() {
        #expect(OpenBLASCore.replacement(detected: "SkylakeX", available: [.portable, .avx2, .avx512], userChoice: nil) == nil)
        #expect(OpenBLASCore.replacement(detected: "Cooperlake", available: [.portable, .avx2, .avx512], userChoice: nil) == nil)
        #expect(OpenBLASCore.replacement(detected: "Zen", available: [.portable, .avx2], userChoice: nil) == nil)
        #expect(OpenBLASCore.replacement(detected: "Prescott", available: [.portable, .avx2, .avx512], userChoice: "Prescott") == nil)
        #expect(OpenBLASCore.replacement(detected: "Prescott", available: [.portable, .avx2], userChoice: "") == nil)
    }

    /// In this process nobody re-executed: the core is what OpenBLAS detected, or what the environment forced.
    @Test func thisProcessReportsACore() {
        #expect(!BLAS.coreName.isEmpty)
    }
}
