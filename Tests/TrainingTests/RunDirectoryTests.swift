import Testing
@testable import Training

@Suite struct RunDirectoryTests {
    /// A directory 1.45 MiB free refused checkpoints needing 1.36 MiB as "has 1.4 MiB free; checkpoints
    /// need about 1.4 MiB": free space is now rounded down and the need up.
    @Test func freeSpaceIsRoundedDownAndTheNeedUp() {
        let mib = 1 << 20
        #expect(RunDirectory.mebibytes(mib * 145 / 100, rounded: .down) == "1.4 MiB")
        #expect(RunDirectory.mebibytes(mib * 136 / 100, rounded: .up) == "1.4 MiB")
        #expect(RunDirectory.mebibytes(mib * 141 / 100, rounded: .up) == "1.5 MiB")
        #expect(RunDirectory.mebibytes(mib, rounded: .up) == "1.0 MiB")
        #expect(RunDirectory.mebibytes(0, rounded: .down) == "0.0 MiB")
    }
}
