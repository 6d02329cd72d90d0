import Foundation
import Testing
@testable import SafeTensors

@Suite struct AtomicWriteTests {
    func temporaryFiles(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.contains(".tmp-") }
    }

    @Test func writeThenReadBack() throws {
        let dir = makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/model.safetensors"
        try sampleFile.write(path: path)
        let back = try SafeTensorsFile.read(path: path)
        #expect(back.tensors == sampleFile.tensors)
        #expect(back.metadata == sampleFile.metadata)
        #expect(try SafeTensorsFile.readAll(path: path) == sampleFile.encode())
        #expect(temporaryFiles(in: dir).isEmpty)
    }

    /// The directory that is fsynced after the rename.
    @Test func directoryOfPath() {
        #expect(SafeTensorsFile.directory(of: "model.safetensors") == ".")
        #expect(SafeTensorsFile.directory(of: "/model.safetensors") == "/")
        #expect(SafeTensorsFile.directory(of: "a/b/model.safetensors") == "a/b")
    }

    @Test func overwriteReplacesContent() throws {
        let dir = makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/ckpt.safetensors"
        try SafeTensorsFile(metadata: ["v": "old"], tensors: [.init(name: "x", shape: [1000], data: .init(repeating: 1, count: 1000))]).write(path: path)
        try SafeTensorsFile(metadata: ["v": "new"]).write(path: path)
        let back = try SafeTensorsFile.read(path: path)
        #expect(back.metadata == ["v": "new"])
        #expect(back.tensors.isEmpty)
        #expect(temporaryFiles(in: dir).isEmpty)
    }

    /// A reader racing a writer only ever sees one of the complete versions.
    @Test func concurrentReaderSeesOldOrNewNeverAMixture() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/race.safetensors"
        let a = SafeTensorsFile(metadata: ["v": "a"], tensors: [.init(name: "x", shape: [1000], data: .init(repeating: 1, count: 1000))])
        let b = SafeTensorsFile(metadata: ["v": "b"], tensors: (0..<3).map { .init(name: "y\($0)", shape: [50_000], data: .init(repeating: Float($0), count: 50_000)) })
        let aBytes = try a.encode(), bBytes = try b.encode()
        try a.write(path: path)

        let reads = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                for i in 0..<40 { try? (i % 2 == 0 ? b : a).write(path: path) }
                return 0
            }
            group.addTask {
                var count = 0, sawA = 0, sawB = 0
                for _ in 0..<400 {
                    let bytes = try? SafeTensorsFile.readAll(path: path)
                    #expect(bytes == aBytes || bytes == bBytes)
                    if bytes == aBytes { sawA += 1 } else if bytes == bBytes { sawB += 1 }
                    count += 1
                }
                print("racing reader: \(sawA) reads of version a, \(sawB) of version b")
                return count
            }
            return await group.reduce(0, +)
        }
        #expect(reads == 400)
        #expect(try SafeTensorsFile.readAll(path: path) == aBytes)  // last write (i = 39) was `a`
        #expect(temporaryFiles(in: dir).isEmpty)
    }

    @Test(arguments: [WriteFaultInjection.Fault.write, .rename])
    func failedWriteLeavesOldFileAndNoTemporary(fault: WriteFaultInjection.Fault) throws {
        let dir = makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/ckpt.safetensors"
        try sampleFile.write(path: path)
        let old = try SafeTensorsFile.readAll(path: path)
        let big = SafeTensorsFile(tensors: [.init(name: "z", shape: [100_000], data: .init(repeating: 3, count: 100_000))])
        #expect(throws: SafeTensorsError.self) {
            try WriteFaultInjection.$fault.withValue(fault) { try big.write(path: path) }
        }
        #expect(try SafeTensorsFile.readAll(path: path) == old)
        #expect(temporaryFiles(in: dir).isEmpty)
    }

    @Test func encodingErrorTouchesNothing() throws {
        let dir = makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/ckpt.safetensors"
        try sampleFile.write(path: path)
        let old = try SafeTensorsFile.readAll(path: path)
        let bad = SafeTensorsFile(tensors: [.init(name: "a", shape: [2], data: [1])])
        #expect(throws: SafeTensorsError.shapeMismatch(tensor: "a", shape: [2], count: 1)) { try bad.write(path: path) }
        #expect(try SafeTensorsFile.readAll(path: path) == old)
        #expect(temporaryFiles(in: dir).isEmpty)
    }

    @Test func pathThatIsADirectoryFailsCleanly() throws {
        let dir = makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let target = dir + "/ckpt.safetensors"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        let error = #expect(throws: SafeTensorsError.self) { try sampleFile.write(path: target) }
        #expect(error?.description.hasPrefix("cannot replace \(target): ") == true)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(temporaryFiles(in: dir).isEmpty)
        #expect(throws: SafeTensorsError.io(path: target, operation: "read", message: "it is a directory")) {
            try SafeTensorsFile.read(path: target)
        }
    }

    @Test func missingDirectoryFailsCleanly() throws {
        let dir = makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let error = #expect(throws: SafeTensorsError.self) { try sampleFile.write(path: dir + "/no/such/dir/ckpt.safetensors") }
        #expect(error?.description.contains("No such file or directory") == true)
        #expect(throws: SafeTensorsError.io(path: dir + "/absent", operation: "open", message: "No such file or directory")) {
            try SafeTensorsFile.read(path: dir + "/absent")
        }
    }

    /// A read-only directory stops the write before anything changes (not testable as root,
    /// who may write anywhere: then the case is reported as skipped).
    @Test(.enabled(if: geteuid() != 0,
                   "running as root, for whom a read-only directory is still writable (fault injection covers this path)"))
    func unwritableDirectoryFailsCleanly() throws {
        let dir = makeTemporaryDirectory()
        defer { chmod(dir, 0o700); removeDirectory(dir) }
        let path = dir + "/ckpt.safetensors"
        try sampleFile.write(path: path)
        let old = try SafeTensorsFile.readAll(path: path)
        chmod(dir, 0o500)
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile().write(path: path) }
        chmod(dir, 0o700)
        #expect(try SafeTensorsFile.readAll(path: path) == old)
        #expect(temporaryFiles(in: dir).isEmpty)
    }
}
