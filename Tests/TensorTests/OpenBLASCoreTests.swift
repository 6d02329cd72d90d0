import Testing
import Tensor

@Suite struct OpenBLASCoreTests {
    @Test func aGenericFallbackIsReplacedByTheWidthTheCPUHas() {
        #expect(OpenBLASCore.replacement(detected: "Prescott", vectorBits: 512, userChoice: nil) == "SkylakeX")
        #expect(OpenBLASCore.replacement(detected: "Prescott", vectorBits: 256, userChoice: nil) == "Haswell")
        #expect(OpenBLASCore.replacement(detected: "Haswell", vectorBits: 512, userChoice: nil) == "SkylakeX")
        #expect(OpenBLASCore.replacement(detected: "Prescott", vectorBits: 128, userChoice: nil) == nil)
    }

    @Test func aFittingCoreOrTheUsersChoiceIsKept() {
        #expect(OpenBLASCore.replacement(detected: "SkylakeX", vectorBits: 512, userChoice: nil) == nil)
        #expect(OpenBLASCore.replacement(detected: "Cooperlake", vectorBits: 512, userChoice: nil) == nil)
        #expect(OpenBLASCore.replacement(detected: "Zen", vectorBits: 256, userChoice: nil) == nil)
        #expect(OpenBLASCore.replacement(detected: "Prescott", vectorBits: 512, userChoice: "Prescott") == nil)
        #expect(OpenBLASCore.replacement(detected: "Prescott", vectorBits: 256, userChoice: "") == nil)
    }

    /// In this process nobody re-executed: the core is what OpenBLAS detected, or what the environment forced.
    @Test func thisProcessReportsACore() {
        #expect(!BLAS.coreName.isEmpty)
    }
}
