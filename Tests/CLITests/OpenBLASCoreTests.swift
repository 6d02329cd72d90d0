import Foundation
import TestSupport
import Testing
import Tensor

/// The binary runs OpenBLAS's kernels for the vector width the CPU has, even
/// when the library does not know the CPU model (it would fall back to SSE3).
@Suite struct OpenBLASCoreCLITests {
    func core(environment: [String: String] = [:]) throws -> String {
        let r = try Binary.run(["bench", "--only", "sgemm", "--seconds", "0.1", "--no-reference", "--results", "-"],
                               environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.contains("OpenBLAS core") })
        return String(line.split(separator: "·").first { $0.contains("OpenBLAS core") }!
            .trimmingCharacters(in: .whitespaces).dropFirst("OpenBLAS core ".count))
    }

    @Test(.enabled(if: Kernels.runs("avx2"), "this CPU has no AVX2: OpenBLAS's generic kernels are its best"))
    func openBLASUsesTheCPUsVectorWidth() throws {
        let name = try core().lowercased()
        let wide: Set<String> = Kernels.runs("avx512")
            ? ["skylakex", "cooperlake", "sapphirerapids"]
            : ["haswell", "zen", "excavator", "skylakex", "cooperlake", "sapphirerapids"]
        #expect(wide.contains(name), "OpenBLAS core \(name)")
    }

    @Test func anExplicitCoreTypeIsKept() throws {
        #expect(try core(environment: ["OPENBLAS_CORETYPE": "Prescott"]) == "Prescott")
    }
}
