import Foundation
import Testing
@testable import Tokenizer

/// A fresh directory holding `files` (relative path → bytes), removed after `body`.
private func withDirectory(_ files: [String: [UInt8]], _ body: (String) throws -> Void) throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-inputs-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    for (name, bytes) in files {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
    try body(root)
}

private func text(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct CorpusInputsTests {
    @Test func directoriesAreWalkedSortedDepthFirstSkippingHiddenAndBinaryFiles() throws {
        try withDirectory([
            "b.txt": text("B\n"), "a.txt": text("A\n"), "a/z.txt": text("Z\n"), "C.txt": text("C\n"),
            ".hidden.txt": text("H\n"), ".git/config": text("G\n"), "a/.cache/x.txt": text("X\n"),
            "image.png": [0x89, 0x50, 0x4E, 0x47, 0x00, 0x0D], "latin1.txt": [0x63, 0x61, 0x66, 0xE9, 0x0A],
            "empty.txt": [],
        ]) { root in
            let found = try CorpusFiles.find([root])
            // Byte order of names: "C.txt" < "a" < "a.txt" < "b.txt" < "empty.txt"; a directory's files where its name sorts.
            #expect(found.files == ["C.txt", "a/z.txt", "a.txt", "b.txt", "empty.txt"].map { root + "/" + $0 })
            #expect(found.hidden == 3)       // .hidden.txt, .git (once, with what it holds), a/.cache
            #expect(found.notText == 2)      // a NUL byte; invalid UTF-8
            #expect(found.notRegular == 0)
            #expect(found.notice == "skipped 5 entries: 3 hidden (name starts with \".\"), 2 not text (a NUL byte or invalid UTF-8 in the first 8 KB)")
        }
    }

    @Test func aFileNamedDirectlyIsReadWhateverItsNameOrContent() throws {
        try withDirectory([".hidden": text("x"), "bin.dat": [0x61, 0x00, 0x62]]) { root in
            let found = try CorpusFiles.find([root + "/.hidden", root + "/bin.dat"])
            #expect(found.files == [root + "/.hidden", root + "/bin.dat"])
            #expect(found.notice == nil)
        }
    }

    @Test func filesAreJoinedWithALineBreakOnlyWhereOneIsMissing() throws {
        try withDirectory(["1.txt": text("ab\n"), "2.txt": text("cd"), "3.txt": [0xEF, 0xBB, 0xBF] + text("e\u{301}f"),
                           "4.txt": [], "5.txt": text("\u{301}g\n")]) { root in
            let files = try CorpusFiles.find([root])
            let corpus = try Corpus.load(files: files, settings: TokenizerSettings(), chunkSize: 4)
            // 1 ends with a line break: nothing added; 2 does not: "\n"; 3's byte order mark is dropped, and no
            // line break follows it until text does (4 is empty); 5's leading mark does not join 3's last letter.
            #expect(tokens(of: corpus) == ["a", "b", "\n", "c", "d", "\n", "é", "f", "\n", "\u{301}", "g", "\n"])
            #expect(corpus.fileCount == 5)
            #expect(corpus.byteCount == 3 + 2 + 4 + 0 + 4)
            #expect(corpus.inputs == CorpusInputs(paths: [root], files: 5, bytes: 13, characters: 12))
            // Reading against a vocabulary joins them the same way.
            let encoded = try Corpus.encode(files: files, settings: TokenizerSettings(), vocabulary: corpus.vocabulary)
            #expect(encoded.ids == corpus.ids)
            #expect(encoded.inputs == corpus.inputs)
            // One file reads as it always did: no line break added at its end.
            let one = try Corpus.load(path: root + "/2.txt", settings: TokenizerSettings())
            #expect(tokens(of: one) == ["c", "d"])
        }
    }

    @Test func invalidUTF8PastTheHeadIsTheReadersErrorNamingTheFile() throws {
        let late = text(String(repeating: "a", count: CorpusFiles.sniffLength + 10)) + [0xFF]
        try withDirectory(["late.txt": late]) { root in
            let files = try CorpusFiles.find([root])
            #expect(files.files.count == 1)
            #expect(throws: TokenizerError.invalidUTF8(path: root + "/late.txt", offset: CorpusFiles.sniffLength + 10)) {
                try Corpus.load(files: files, settings: TokenizerSettings())
            }
        }
    }

    @Test func nothingToReadIsOneClearError() throws {
        try withDirectory(["bin/a.bin": [0, 1, 2], "bin/b.bin": [0xFF, 0xFE]]) { root in
            try FileManager.default.createDirectory(atPath: root + "/none", withIntermediateDirectories: true)
            #expect(throws: TokenizerError.noTextFiles("\(root)/none holds no files")) { try CorpusFiles.find([root + "/none"]) }
            #expect(throws: TokenizerError.noTextFiles(
                "\(root)/bin holds no text files to read: skipped 2 entries: 2 not text (a NUL byte or invalid UTF-8 in the first 8 KB)")) {
                try CorpusFiles.find([root + "/bin"])
            }
        }
        try withDirectory(["e/a.txt": [], "e/b.txt": [0xEF, 0xBB, 0xBF]]) { root in
            let files = try CorpusFiles.find([root + "/e"])
            #expect(throws: TokenizerError.noText(paths: [root + "/e"])) { try Corpus.load(files: files, settings: TokenizerSettings()) }
        }
    }

    @Test func symbolicLinkLoopsAndBrokenLinksAreErrorsNamingTheEntry() throws {
        try withDirectory(["d/sub/a.txt": text("a\n")]) { root in
            let fm = FileManager.default
            try fm.createSymbolicLink(atPath: root + "/d/sub/up", withDestinationPath: "..")
            #expect(throws: TokenizerError.notAFile("\(root)/d/sub/up is a symbolic link loop: it leads back to a directory that contains it")) {
                try CorpusFiles.find([root + "/d"])
            }
            try fm.removeItem(atPath: root + "/d/sub/up")
            try fm.createSymbolicLink(atPath: root + "/d/self", withDestinationPath: "self")
            #expect(throws: TokenizerError.unreadable(path: root + "/d/self", reason: "too many levels of symbolic links")) {
                try CorpusFiles.find([root + "/d"])
            }
            try fm.removeItem(atPath: root + "/d/self")
            try fm.createSymbolicLink(atPath: root + "/d/gone", withDestinationPath: "nowhere")
            #expect(throws: TokenizerError.unreadable(path: root + "/d/gone", reason: "it is a symbolic link to nothing (a broken link)")) {
                try CorpusFiles.find([root + "/d"])
            }
            try fm.removeItem(atPath: root + "/d/gone")
            // A link to a directory elsewhere is followed.
            try fm.createDirectory(atPath: root + "/other", withIntermediateDirectories: true)
            try Data("o\n".utf8).write(to: URL(fileURLWithPath: root + "/other/o.txt"))
            try fm.createSymbolicLink(atPath: root + "/d/link", withDestinationPath: root + "/other")
            #expect(try CorpusFiles.find([root + "/d"]).files == [root + "/d/link/o.txt", root + "/d/sub/a.txt"])
        }
    }

    @Test(arguments: [
        (["poems.txt"], "poems"), (["data/poems.txt", "more"], "poems+1"), (["corpus/"], "corpus"),
        (["a.txt", "b.txt", "c"], "a+2"), (["."], "corpus"), (["/"], "corpus"), ([".bashrc"], ".bashrc"),
    ])
    func runNames(paths: [String], name: String) {
        #expect(CorpusFiles.runName(for: paths) == name)
    }
}
