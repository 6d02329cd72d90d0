import Files
import Foundation
import Testing

@Suite struct RegularFileTests {
    let dir: String = {
        let d = NSTemporaryDirectory() + "charrnn-files-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    @Test func readsARegularFileWhole() throws {
        let path = dir + "/a.txt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        let file = try RegularFile(path: path)
        #expect(file.size == 5)
        #expect(try file.readAll(limit: 5) == Array("hello".utf8))
    }

    @Test func refusesAFileOverTheLimitBeforeReadingIt() throws {
        let path = dir + "/b.txt"
        try Data(repeating: 65, count: 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: FileError.tooLarge(path: path, size: 100, limit: 99)) { _ = try RegularFile(path: path).readAll(limit: 99) }
    }

    @Test func kernelFilesOfUnknownSizeAreReadAndBounded() throws {
        let file = try RegularFile(path: "/proc/self/status")
        #expect(file.size == 0)
        let text = String(decoding: try file.readAll(limit: 1 << 20), as: UTF8.self)
        #expect(text.contains("VmRSS"))
        #expect(throws: FileError.self) { _ = try RegularFile(path: "/proc/self/status").readAll(limit: 10) }
    }

    /// A FIFO nobody writes to used to block `open` forever.
    @Test(.timeLimit(.minutes(1))) func aFIFOIsRefusedWithoutBlocking() throws {
        let path = dir + "/fifo"
        #expect(mkfifo(path, 0o644) == 0)
        #expect(throws: FileError.notRegular(path: path, kind: .fifo)) { _ = try RegularFile(path: path) }
    }

    @Test func devicesDirectoriesAndMissingFilesAreNamed() throws {
        #expect(throws: FileError.notRegular(path: "/dev/zero", kind: .characterDevice)) { _ = try RegularFile(path: "/dev/zero") }
        #expect(throws: FileError.isDirectory(path: dir)) { _ = try RegularFile(path: dir) }
        #expect(throws: FileError.notFound(path: dir + "/nothing")) { _ = try RegularFile(path: dir + "/nothing") }
        let message = FileError.notRegular(path: "/dev/zero", kind: .characterDevice).description
        #expect(message == "/dev/zero is a character device; charrnn reads regular files only (save the stream to a file first)")
    }

    @Test func aSymlinkLoopIsAnErrorInWords() throws {
        let a = dir + "/loop-a", b = dir + "/loop-b"
        try FileManager.default.createSymbolicLink(atPath: a, withDestinationPath: b)
        try FileManager.default.createSymbolicLink(atPath: b, withDestinationPath: a)
        #expect(throws: FileError.unreadable(path: a, reason: "too many levels of symbolic links")) { _ = try RegularFile(path: a) }
    }
}
