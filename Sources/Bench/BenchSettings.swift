/// What one `charrnn bench` invocation was asked to do (its command-line options, checked).
public struct BenchSettings: Sendable {
    public var json: Bool                   // JSON lines instead of the table
    public var only: String?                // a workload filter (`Workload.selected(by:)`)
    public var seconds: Double              // of timing per workload and implementation
    public var threads: Int                 // charrnn's and PyTorch's
    public var rounds: Int                  // per repeatable workload; the best counts
    public var torch: String?               // Python with torch (else $CHARRNN_PYTHON)
    public var noReference: Bool            // skip PyTorch and numpy
    public var results: String              // bench.jsonl to append to; "-" for none
    public var referenceScript: String?     // else bench/torch_reference.py, found

    public init(json: Bool, only: String?, seconds: Double, threads: Int, rounds: Int, torch: String?,
                noReference: Bool, results: String, referenceScript: String?) {
        self.json = json; self.only = only; self.seconds = seconds; self.threads = threads; self.rounds = rounds
        self.torch = torch; self.noReference = noReference; self.results = results; self.referenceScript = referenceScript
    }
}
