import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT / SIGTERM into a flag the training loop polls, so that Ctrl-C
/// finishes the current iteration, saves a checkpoint and exits cleanly. A
/// second signal exits at once (checkpoints are written atomically, so even
/// that cannot damage one).
final class Interruption: Sendable {
    private let received = Atomic<Int32>(0)
    private let sources: Mutex<[any DispatchSourceSignal]> = Mutex([])

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        for sig in signals {
            signal(sig, SIG_IGN)  // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                let (exchanged, _) = received.compareExchange(expected: 0, desired: sig, ordering: .sequentiallyConsistent)
                if exchanged {
                    FileHandle.standardError.write(Data("\ncharrnn: stopping after this iteration and saving a checkpoint (press Ctrl-C again to quit at once)\n".utf8))
                } else {
                    _exit(128 + sig)
                }
            }
            source.resume()
            sources.withLock { $0.append(source) }
        }
    }

    /// The signal received, or 0.
    var signal: Int32 { received.load(ordering: .sequentiallyConsistent) }
    var requested: Bool { signal != 0 }
}
