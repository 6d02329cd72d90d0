/// Why a training run could not start or had to stop. Each is one line for the user.
public enum TrainingError: Error, CustomStringConvertible, Sendable {
    case invalidOptions(String)
    case corpus(String)
    case checkpointDirectory(String, String)
    case locked(String, pid: String)
    case checkpoint(String)
    case resumeMismatch(String)
    case diverged(iteration: Int, detail: String, lastGood: String?)

    public var description: String {
        switch self {
        case .invalidOptions(let m): return m
        case .corpus(let m): return m
        case .checkpointDirectory(let dir, let m): return "checkpoint directory \(dir) \(m)"
        case .locked(let dir, let pid):
            let who = pid == "?" ? "another process holds \(dir)/.lock" : "another training (pid \(pid)) is writing to \(dir)"
            return who + "; wait for it to finish or use another --checkpoint-dir"
        case .checkpoint(let m): return m
        case .resumeMismatch(let m): return "cannot resume: \(m)"
        case .diverged(let it, let detail, let lastGood):
            let kept = lastGood.map { "; the last good checkpoint is \($0)" } ?? ""
            return "training diverged at iteration \(it) (\(detail)); try a lower --learning-rate or --grad-clip\(kept)"
        }
    }
}
