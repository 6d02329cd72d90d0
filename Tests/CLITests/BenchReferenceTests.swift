import Testing
@testable import Bench

/// Which reference each bench row runs, and with which arguments (the PyTorch script itself runs in `make bench`).
@Suite struct BenchReferenceTests {
    /// The bf16 and int8 sampling rows (issue 26) run PyTorch twice: fp32 and its bf16 autocast (`--bf16`).
    @Test(arguments: ["sample-lstm-2x128-bf16", "sample-lstm-2x128-int8", "sample-lstm-2x512-bf16", "sample-lstm-2x512-int8",
                      "train-lstm-2x128-bf16", "train-lstm-2x512-bf16", "train-gru-2x256-bf16"])
    func reducedRowsAlsoRunPyTorchsBF16Autocast(_ name: String) throws {
        let row = try #require(Workload.named(name))
        let bf16 = try #require(row.referenceArguments(impl: "pytorch-bf16", seconds: 1, threads: 2, checkpoint: nil))
        let fp32 = try #require(row.referenceArguments(impl: "pytorch", seconds: 1, threads: 2, checkpoint: nil))
        #expect(bf16 == fp32 + ["--bf16"] || Set(bf16) == Set(fp32 + ["--bf16"]), "\(bf16) vs \(fp32)")
        #expect(bf16[bf16.firstIndex(of: "--impl")! + 1] == "torch" && bf16[bf16.firstIndex(of: "--kind")! + 1] == (name.hasPrefix("train") ? "train" : "sample"))
    }

    @Test func fp32RowsRunPyTorchInFP32Only() throws {
        for name in ["sample-lstm-2x128", "sample-lstm-2x512", "train-lstm-2x512"] {
            let row = try #require(Workload.named(name))
            #expect(row.referenceArguments(impl: "pytorch-bf16", seconds: 1, threads: 2, checkpoint: nil) == nil, "\(name)")
            #expect(row.referenceArguments(impl: "pytorch", seconds: 1, threads: 2, checkpoint: nil)?.contains("--bf16") == false)
        }
    }

    /// A failed reference is named by the last line its process wrote: Python's exception after the traceback.
    @Test func aFailedChildIsNamedByItsLastLine() {
        let traceback = """
            Traceback (most recent call last):
              File "torch_charrnn.py", line 1164, in forward
                result = _VF.lstm(
            RuntimeError: could not create a primitive descriptor for the LSTM forward propagation primitive.

            """
        #expect(Spawn.lastLine(of: traceback) == "RuntimeError: could not create a primitive descriptor for the LSTM forward propagation primitive.")
        #expect(Spawn.lastLine(of: "") == "")
        #expect(Spawn.lastLine(of: String(repeating: "x", count: 1000)) == String(repeating: "x", count: 400) + "…")
    }
}
