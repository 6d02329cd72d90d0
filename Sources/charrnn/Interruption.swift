import Dispatch
import Foundation
import Synchronization

/// Turns SIGINT / SIGTERM into a flag the training loop polls, so that Ctrl-C
/// finishes the current iteration, saves a checkpoint and exits cleanly. A
/// second signal exits at once (checkpoints are written atomically, so even
/// that cannot damage one).
final class Interruption {
    private final class Flag: Sendable { let signal = Atomic<Int32>(0) }
    private let flag = Flag()
    private var sources: [any DispatchSourceSignal] = []

    /// `atOnce`: a signal that ends the process at once, after its one line (data-parallel training's
    /// SIGTERM: mpirun sends it when another rank has ended, and no collective save can complete then).
    init(signals: [Int32] = [SIGINT, SIGTERM], atOnce: (signal: Int32, message: String)? = nil) {
        for sig in signals {
            signal(sig, SIG_IGN)  // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            let flag = self.flag
            source.setEventHandler {
                if let atOnce, atOnce.signal == sig {
                    FileHandle.standardError.write(Data(("\n" + atOnce.message + "\n").utf8))
                    _exit(128 + sig)
                }
                let (first, _) = flag.signal.compareExchange(expected: 0, desired: sig, ordering: .sequentiallyConsistent)
                if first {
                    FileHandle.standardError.write(Data("\ncharrnn: stopping after this iteration and saving a checkpoint (press Ctrl-C again to quit at once)\n".utf8))
                } else {
                    _exit(128 + sig)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The signal received, or 0.
    var receivedSignal: Int32 { flag.signal.load(ordering: .sequentiallyConsistent) }
    var requested: Bool { receivedSignal != 0 }
}
