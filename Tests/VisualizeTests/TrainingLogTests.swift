import Testing
import Foundation
@testable import Visualize

@Suite struct TrainingLogTests {
    @Test func readsTrainEvalAndTestRecords() {
        let text = """
            {"chars_per_sec":100.0,"elapsed":0.5,"epoch":0.1,"grad_norm":0.3,"iter":1,"loss":4.1,"lr":0.002,"type":"train"}
            {"elapsed":1.0,"epoch":0.2,"grad_norm":0.3,"iter":10,"loss":3.2,"lr":0.002,"type":"train"}
            {"elapsed":1.1,"epoch":0.2,"iter":10,"type":"eval","val_bpc":4.6,"val_loss":3.3}
            {"iter":10,"test_bpc":4.7,"test_loss":3.35,"type":"test"}

            """
        let log = TrainingLog(name: "run", jsonLines: text)
        #expect(log.train == [.init(iteration: 1, elapsed: 0.5, loss: 4.1), .init(iteration: 10, elapsed: 1.0, loss: 3.2)])
        #expect(log.validation == [.init(iteration: 10, elapsed: 1.1, loss: 3.3)])
        #expect(log.test == .init(iteration: 10, elapsed: nil, loss: 3.35))
        #expect(log.malformedLines == [])
        #expect(log.lastIteration == 10)
        #expect(log.lastElapsed == 1.1)
    }

    @Test func malformedLinesAreListedAndSkipped() {
        let text = """
            {"iter":1,"loss":4.0,"type":"train"}
            not json at all
            {"iter":2,"loss":"3.9","type":"train"}
            {"iter":true,"loss":3.9,"type":"train"}
            {"iter":3,"type":"train"}
            [1,2,3]
            {"iter":4,"loss":3.7,"type":"train","elapsed":2}
            {"iter":5,"type":"lr_change","lr":0.001}
            {"iter":6,"loss":3.6,"typ
            """
        let log = TrainingLog(name: "r", jsonLines: text)
        #expect(log.train.map(\.iteration) == [1, 4])
        #expect(log.malformedLines == [2, 3, 4, 5, 6, 9])  // an unknown record type is not an error
    }

    /// A log copied through Windows (CRLF) was one malformed line: Swift reads "\r\n" as one Character,
    /// which splitting on "\n" never met. A line of megabytes is malformed unread; bytes that are not
    /// UTF-8 in a field nobody reads leave the record whole.
    @Test func crlfLinesOverlongLinesAndBadBytes() {
        let lines = [#"{"iter":1,"loss":4.0,"type":"train"}"#, #"{"iter":2,"loss":3.9,"type":"train"}"#,
                     #"{"iter":2,"type":"eval","val_loss":3.95}"#]
        let crlf = TrainingLog(name: "r", jsonLines: lines.joined(separator: "\r\n") + "\r\n")
        #expect(crlf.train.map(\.iteration) == [1, 2] && crlf.validation.count == 1 && crlf.malformedLines.isEmpty)

        var bytes = Array((lines[0] + "\n").utf8)
        bytes += Array(#"{"iter":2,"loss":3.9,"type":"train","pad":""#.utf8) + [UInt8](repeating: 0x61, count: TrainingLog.maximumRecordBytes) + Array("\"}\n".utf8)
        bytes += Array(#"{"iter":3,"loss":3.8,"type":"train","note":""#.utf8) + [0xFF, 0xC0] + Array("\"}\n".utf8)
        let log = TrainingLog(name: "r", jsonLineBytes: bytes)
        #expect(log.train.map(\.iteration) == [1, 3])
        #expect(log.malformedLines == [2])
    }

    @Test func aResumedRunReplacesWhatFollowedItsCheckpoint() {
        // Interrupted at 30 after checkpointing at 20: the resumed run logs 30 again.
        let text = (1...3).map { #"{"iter":\#($0 * 10),"loss":\#(4.0 - Double($0) * 0.1),"type":"train"}"# }
            + [#"{"iter":30,"loss":3.65,"type":"train"}"#, #"{"iter":40,"loss":3.5,"type":"train"}"#]
        let log = TrainingLog(name: "r", jsonLines: text.joined(separator: "\n"))
        #expect(log.train.map(\.iteration) == [10, 20, 30, 40])
        #expect(log.train[2].loss == 3.65)
    }

    @Test func readErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("viz-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TrainingLogError.missing(dir.path + "/nope")) { try TrainingLog.read(path: dir.path + "/nope", name: "x") }
        #expect(throws: TrainingLogError.noLog(dir.path)) { try TrainingLog.read(path: dir.path, name: "x") }
        try #"{"iter":1,"loss":4.0,"type":"train"}"#.write(toFile: dir.path + "/train.jsonl", atomically: true, encoding: .utf8)
        #expect(try TrainingLog.read(path: dir.path, name: "x").train.count == 1)
        #expect(try TrainingLog.read(path: dir.path + "/train.jsonl", name: "x").train.count == 1)
        // A loop of links was "has no train.jsonl".
        let loop = dir.appendingPathComponent("loop")
        try FileManager.default.createDirectory(at: loop, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: loop.path + "/train.jsonl", withDestinationPath: "train.jsonl")
        #expect(throws: TrainingLogError.unreadable(loop.path + "/train.jsonl", "too many levels of symbolic links")) {
            try TrainingLog.read(path: loop.path, name: "x")
        }
    }
}
