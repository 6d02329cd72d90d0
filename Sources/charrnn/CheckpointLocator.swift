import ArgumentParser
import Checkpoints
import Files
import Foundation
import RNN

/// Which checkpoint a command means: a file; a run directory (its `best`, else
/// its `latest`); or, with nothing given, the most recently written checkpoint
/// anywhere under ./checkpoints.
enum CheckpointLocator {
    static func resolve(_ given: String?) throws(ExitCode) -> String {
        let fm = FileManager.default
        if let given {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: given, isDirectory: &isDirectory) else {
                if let link = BrokenLink(given) { throw failure("cannot read \(given): it is \(link)") }
                throw failure("no checkpoint at \(given)")
            }
            if !isDirectory.boolValue { return given }
            for name in ["best.safetensors", "latest.safetensors"] where fm.fileExists(atPath: given + "/" + name) {
                return given + "/" + name
            }
            if let newest = newest(under: given) { return newest }
            throw failure("\(given) holds no checkpoint (*.safetensors)")
        }
        guard let newest = newest(under: "checkpoints") else {
            throw failure("no checkpoint under ./checkpoints; train one first: charrnn train corpus.txt")
        }
        note("using \(newest)")
        return newest
    }

    /// The most recently modified `*.safetensors` below `root`.
    static func newest(under root: String) -> String? {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return nil }
        var best: (Date, String)? = nil
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".safetensors") else { continue }
            let path = root + "/" + relative
            guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { continue }
            if best == nil || date > best!.0 { best = (date, path) }
        }
        return best?.1
    }

    /// Reads a checkpoint, turning any failure into a one-line error.
    static func load(_ given: String?) throws(ExitCode) -> (path: String, checkpoint: Checkpoint) {
        let path = try resolve(given)
        do { return (path, try Checkpoint.read(from: path)) } catch { throw failure("\(error)") }
    }
}
