import Foundation
import Testing

/// The documentation checked against the repository and the built binary: for
/// README.md and every docs/*.md, each relative link names a file that exists
/// (and each #anchor a heading of that file), each ```json block parses, and
/// each `charrnn <subcommand> …` command in a fenced block names a real
/// subcommand and only options its `--help` lists. README.md stays the front
/// door: at most 300 lines. Every problem is reported as `file:line: what`.
@Suite struct DocsTests {
    static let readmeLineLimit = 300

    @Test func readmeIsShort() throws {
        let lines = try DocsCheck.lines(of: DocsCheck.root.appendingPathComponent("README.md"))
        #expect(lines.count <= Self.readmeLineLimit,
                "README.md has \(lines.count) lines; the front door holds at most \(Self.readmeLineLimit): move detail into docs/")
    }

    @Test func thePagesExist() {
        let names = DocsCheck.pages.map(\.lastPathComponent)
        for page in ["README.md", "DESIGN.md", "checkpoint-format.md", "serve.md", "benchmarks.md"] {
            #expect(names.contains(page), "\(page) is missing (pages found: \(names.joined(separator: ", ")))")
        }
    }

    @Test(arguments: DocsCheck.pages.map(\.lastPathComponent))
    func linksResolve(page: String) throws {
        for problem in try DocsCheck.linkProblems(in: DocsCheck.url(ofPage: page)) { Issue.record(Comment(rawValue: problem)) }
    }

    @Test(arguments: DocsCheck.pages.map(\.lastPathComponent))
    func jsonBlocksParse(page: String) throws {
        for problem in try DocsCheck.jsonProblems(in: DocsCheck.url(ofPage: page)) { Issue.record(Comment(rawValue: problem)) }
    }

    @Test(arguments: DocsCheck.pages.map(\.lastPathComponent))
    func commandsUseRealOptions(page: String) throws {
        let help = try HelpIndex.shared()
        for problem in try DocsCheck.commandProblems(in: DocsCheck.url(ofPage: page), help: help) {
            Issue.record(Comment(rawValue: problem))
        }
    }

    /// Each check finds what it is there to find: a page with one broken thing of each kind.
    @Test func theChecksFailOnBrokenPages() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "# Title\n\n## Real heading\n".write(to: dir.appendingPathComponent("other.md"), atomically: true, encoding: .utf8)
        let page = dir.appendingPathComponent("page.md")
        try """
        # Page

        [fine](other.md#real-heading) and [fine too](#page), `[not a link](nowhere.md)`
        [missing file](nowhere.md)
        [missing anchor](other.md#no-such-heading)

        ```json
        {"a": 1,}
        ```

        ```
        charrnn train corpus.txt --hidden 64 --no-such-flag 3   # a comment --not-checked
        charrnn frobnicate --x
        python3 load.py --baseline .build/release/charrnn --checkpoint run
        CHARRNN_KERNELS=avx2 .build/release/charrnn sample --temp 0.5 --seed 7 | head -c 100
        ```
        """.write(to: page, atomically: true, encoding: .utf8)
        let help = try HelpIndex.shared()
        let links = try DocsCheck.linkProblems(in: page)
        #expect(links.count == 2, "\(links)")
        #expect(links.contains { $0.hasPrefix("page.md:4:") && $0.contains("nowhere.md") }, "\(links)")
        #expect(links.contains { $0.hasPrefix("page.md:5:") && $0.contains("#no-such-heading") }, "\(links)")
        let json = try DocsCheck.jsonProblems(in: page)
        #expect(json.count == 1 && json[0].hasPrefix("page.md:8:"), "\(json)")
        let commands = try DocsCheck.commandProblems(in: page, help: help)
        #expect(commands.count == 2, "\(commands)")
        #expect(commands.contains { $0.hasPrefix("page.md:12:") && $0.contains("--no-such-flag") }, "\(commands)")
        #expect(commands.contains { $0.hasPrefix("page.md:13:") && $0.contains("frobnicate") }, "\(commands)")
    }

    @Test func strictJSON() {
        for good in [#"{"a":[1,-2.5e3,true,null,"\u00e9\n"]}"#, "0", #"  {"x": {}}  "#] {
            #expect(StrictJSON.problem(in: good) == nil, "\(good)")
        }
        for bad in [#"{"a": 1,}"#, "[1,]", "{'a':1}", #"{"a" 1}"#, "01", "\"tab\there\"", "{} {}", ""] {
            #expect(StrictJSON.problem(in: bad) != nil, "\(bad)")
        }
    }

    @Test func headingAnchorsFollowGitHub() {
        #expect(DocsCheck.anchor(of: "`charrnn serve`") == "charrnn-serve")
        #expect(DocsCheck.anchor(of: "What `--auto` does") == "what---auto-does")
        #expect(DocsCheck.anchor(of: "Promises: what is never lost, exit codes, limits")
                == "promises-what-is-never-lost-exit-codes-limits")
    }

    @Test func helpIsParsed() throws {
        let help = try HelpIndex.shared()
        #expect(help.subcommands.isSuperset(of: ["train", "sample", "serve"]), "\(help.subcommands)")
        let train = help.options["train"] ?? []
        for option in ["--model", "--layer-norm", "--no-layer-norm", "--lr", "--learning-rate", "--mode", "-h"] {
            #expect(train.contains(option), "train --help lists \(option)")
        }
        #expect(help.options["plot"]?.contains("-o") == true)
    }
}

// MARK: - The checks

enum DocsCheck {
    /// The repository (this file is Tests/CLITests/DocsTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// README.md and docs/*.md, in name order.
    static var pages: [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []
        return [root.appendingPathComponent("README.md")]
            + names.filter { $0.hasSuffix(".md") }.sorted().map { docs.appendingPathComponent($0) }
    }

    static func url(ofPage name: String) -> URL {
        name == "README.md" ? root.appendingPathComponent(name) : root.appendingPathComponent("docs").appendingPathComponent(name)
    }

    /// A page's lines, as `wc -l` counts them.
    static func lines(of url: URL) throws -> [String] {
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A page's lines, each marked with the fence it is in: nil outside a fenced block, else its info string.
    static func fencedLines(_ url: URL) throws -> [(number: Int, text: String, fence: String?)] {
        var result: [(Int, String, String?)] = []
        var fence: String? = nil
        for (i, line) in try lines(of: url).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                if fence == nil { fence = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces) } else { fence = nil }
                result.append((i + 1, line, nil))   // the fence line itself belongs to no block
                continue
            }
            result.append((i + 1, line, fence))
        }
        return result
    }

    /// Where `url` is shown in messages: README.md or docs/NAME.md (or a test's page name).
    static func display(_ url: URL) -> String {
        url.path.hasPrefix(root.path + "/") ? String(url.path.dropFirst(root.path.count + 1)) : url.lastPathComponent
    }

    // MARK: Links

    /// GitHub's heading anchor: lowercased, punctuation other than `-` and `_` dropped, spaces as `-`.
    static func anchor(of heading: String) -> String {
        var out = ""
        for ch in heading.lowercased() {
            if ch == " " { out.append("-") } else if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" { out.append(ch) }
        }
        return out
    }

    /// The anchors of a page's headings (outside fenced blocks), with GitHub's -1, -2 for repeats.
    static func anchors(of url: URL) throws -> Set<String> {
        var seen: [String: Int] = [:]
        var result: Set<String> = []
        for line in try fencedLines(url) where line.fence == nil && line.text.hasPrefix("#") {
            let title = line.text.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            let base = anchor(of: title)
            let n = seen[base, default: 0]
            seen[base] = n + 1
            result.insert(n == 0 ? base : "\(base)-\(n)")
        }
        return result
    }

    private static let linkPattern = try! NSRegularExpression(pattern: #"!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)"#)
    private static let codeSpanPattern = try! NSRegularExpression(pattern: "`[^`]*`")

    /// Every relative link (and image) outside code: its file must exist, its #anchor be a heading there.
    static func linkProblems(in url: URL) throws -> [String] {
        var problems: [String] = []
        let base = url.deletingLastPathComponent()
        for line in try fencedLines(url) where line.fence == nil {
            let text = codeSpanPattern.stringByReplacingMatches(
                in: line.text, range: NSRange(line.text.startIndex..., in: line.text), withTemplate: "``")
            for match in linkPattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(match.range(at: 1), in: text)!])
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let file = parts[0].isEmpty ? url : base.appendingPathComponent(parts[0]).standardizedFileURL
                let where_ = "\(display(url)):\(line.number)"
                guard FileManager.default.fileExists(atPath: file.path) else {
                    problems.append("\(where_): link \(target): no file \(display(file))")
                    continue
                }
                if parts.count == 2, file.pathExtension == "md" {
                    let anchors = try anchors(of: file)
                    if !anchors.contains(parts[1]) {
                        problems.append("\(where_): link \(target): \(display(file)) has no heading #\(parts[1])"
                                        + " (its anchors: \(anchors.sorted().joined(separator: ", ")))")
                    }
                }
            }
        }
        return problems
    }

    // MARK: JSON

    /// Every ```json block is one JSON document; ```jsonl blocks hold one per non-empty line.
    static func jsonProblems(in url: URL) throws -> [String] {
        var problems: [String] = []
        var block: [String] = [], start = 0, kind: String? = nil
        func check(_ text: String, at line: Int) {
            if let error = StrictJSON.problem(in: text) {
                problems.append("\(display(url)):\(line): this json block does not parse: \(error)")
            }
        }
        for line in try fencedLines(url) {
            if let fence = line.fence {
                if kind == nil { kind = fence; start = line.number; block = [] }
                block.append(line.text)
                continue
            }
            if let k = kind {  // the block just ended
                if k == "json" { check(block.joined(separator: "\n"), at: start) }
                if k == "jsonl" {
                    for (i, l) in block.enumerated() where !l.trimmingCharacters(in: .whitespaces).isEmpty { check(l, at: start + i) }
                }
                kind = nil
            }
        }
        return problems
    }

    // MARK: Commands

    /// Every `charrnn …` command in a fenced block (a `\` continues it on the next line; a `#`
    /// comment, `|`, `&&`, `;` or `&` ends it): a real subcommand, only options its help lists.
    static func commandProblems(in url: URL, help: HelpIndex) throws -> [String] {
        var problems: [String] = []
        var pending = "", pendingLine = 0
        for line in try fencedLines(url) {
            guard let fence = line.fence, !["json", "jsonl", "python", "text"].contains(fence) else { continue }
            if pending.isEmpty { pendingLine = line.number }
            if line.text.hasSuffix("\\") { pending += line.text.dropLast() + " "; continue }
            let command = pending + line.text
            pending = ""
            problems += check(command, at: "\(display(url)):\(pendingLine)", help: help)
        }
        return problems
    }

    static func check(_ line: String, at where_: String, help: HelpIndex) -> [String] {
        var problems: [String] = []
        let tokens = shellWords(line)
        var i = 0, commandStarts = true
        while i < tokens.count {
            defer { i += 1 }
            let word = tokens[i]
            // `charrnn` (or a path ending in /charrnn) where a command starts: at the start, after a
            // separator or after VAR=value assignments; elsewhere (`--baseline .build/release/charrnn`) it is an argument.
            if ["|", "&&", ";", "&", "||"].contains(word) { commandStarts = true; continue }
            if commandStarts, word.contains("="), word.first?.isLetter == true, !word.hasPrefix("-") { continue }
            guard commandStarts, word == "charrnn" || word.hasSuffix("/charrnn") else { commandStarts = false; continue }
            commandStarts = false
            // This command's words, up to the end of the command.
            var words: [String] = []
            var j = i + 1
            while j < tokens.count, !["|", "&&", ";", "&", "||", "#"].contains(tokens[j]) { words.append(tokens[j]); j += 1 }
            i = j
            guard let first = words.first else { continue }
            let subcommand: String
            var arguments = words
            if first.hasPrefix("-") {
                subcommand = ""           // options of charrnn itself, e.g. --version
            } else {
                guard help.subcommands.contains(first) else {
                    problems.append("\(where_): `charrnn \(first)`: no such subcommand (charrnn has \(help.subcommands.sorted().joined(separator: ", ")))")
                    continue
                }
                subcommand = first
                arguments.removeFirst()
            }
            let known = help.options[subcommand] ?? []
            for argument in arguments where argument.hasPrefix("-") && argument != "-" && !argument.hasPrefix("--=") {
                let name = String(argument.prefix { $0 != "=" })
                if name.first?.isNumber == false, Double(name) == nil, !known.contains(name) {
                    problems.append("\(where_): `charrnn \(subcommand.isEmpty ? "" : subcommand + " ")\(name)`: "
                                    + "`charrnn \(subcommand) --help` lists no such option")
                }
            }
        }
        return problems
    }

    /// Words as a shell splits them (quotes grouped, not expanded), with `#` comments, `|`, `;`,
    /// `&` and `&&` as words of their own.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = [], word = "", quote: Character? = nil, inWord = false
        func end() { if inWord { words.append(word) }; word = ""; inWord = false }
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
                continue
            }
            switch c {
            case "'", "\"": quote = c; inWord = true
            case " ", "\t": end()
            case "#" where !inWord: end(); words.append("#"); return words
            case "|", ";", "&":
                end()
                if c == "&" || c == "|", chars.first == c { chars.removeFirst(); words.append(String([c, c])) } else { words.append(String(c)) }
            default: word.append(c); inWord = true
            }
        }
        end()
        return words
    }
}

struct HelpError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The subcommands `charrnn --help` lists and the options each `charrnn <subcommand> --help` lists.
struct HelpIndex: Sendable {
    var subcommands: Set<String>
    /// By subcommand; "" holds charrnn's own options.
    var options: [String: Set<String>]

    nonisolated(unsafe) private static var cached: HelpIndex?
    private static let lock = NSLock()

    static func shared() throws -> HelpIndex {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let root = try Binary.run(["--help"])
        guard root.status == 0 else { throw HelpError(message: "charrnn --help failed: \(root.stderr)") }
        let subcommands = section("SUBCOMMANDS", of: root.stdout).compactMap { entryNames($0).first }
            .filter { name in name.allSatisfy { $0.isLowercase || $0 == "-" } }   // not "See 'charrnn help …'"
        var index = HelpIndex(subcommands: Set(subcommands), options: ["": optionNames(root.stdout)])
        for subcommand in index.subcommands {
            let r = try Binary.run([subcommand, "--help"])
            guard r.status == 0 else { throw HelpError(message: "charrnn \(subcommand) --help failed: \(r.stderr)") }
            index.options[subcommand] = optionNames(r.stdout)
        }
        cached = index
        return index
    }

    /// The lines of a help section (`OPTIONS:`, `SUBCOMMANDS:`) up to the next one.
    static func section(_ name: String, of help: String) -> [String] {
        var inside = false, lines: [String] = []
        for line in help.components(separatedBy: "\n") {
            if !line.hasPrefix(" "), line.hasSuffix(":") { inside = line == name + ":"; continue }
            if inside { lines.append(line) }
        }
        return lines
    }

    /// The names an entry line defines: `  -o, --output <file>   …`, `  --layer-norm/--no-layer-norm`,
    /// `  train   …`; description lines (indented further) define none.
    static func entryNames(_ line: String) -> [String] {
        guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return [] }
        // The names, then `<value>`s, then (after one space or more) the description: stop at its first word.
        let words = line.dropFirst(2).split(whereSeparator: { $0 == "," || $0 == "/" || $0 == " " }).map(String.init)
        guard let first = words.first else { return [] }
        if !first.hasPrefix("-") { return [first] }   // a subcommand
        return Array(words.prefix { $0.hasPrefix("-") || $0.hasPrefix("<") }).filter { $0.hasPrefix("-") }
    }

    static func optionNames(_ help: String) -> Set<String> {
        Set(section("OPTIONS", of: help).flatMap(entryNames).filter { $0.hasPrefix("-") })
    }
}

/// RFC 8259 JSON, strictly: Foundation's parser on Linux takes trailing commas, which
/// `jq`, Python's `json` and browsers refuse, so a page's JSON is checked here instead.
enum StrictJSON {
    /// nil when `text` is one JSON value (with whitespace around it), else where and why not.
    static func problem(in text: String) -> String? {
        var p = Parser(bytes: Array(text.utf8))
        do throws(Failure) {
            p.skipSpace()
            try p.value()
            p.skipSpace()
            if p.i != p.bytes.count { throw p.fail("text after the value") }
            return nil
        } catch {
            return error.description
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    struct Parser {
        let bytes: [UInt8]
        var i = 0

        func fail(_ what: String) -> Failure { Failure(description: "\(what) at byte \(i)") }
        var next: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() { while let c = next, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 } }

        mutating func expect(_ c: UInt8) throws(Failure) {
            guard next == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
            i += 1
        }

        mutating func value() throws(Failure) {
            switch next {
            case UInt8(ascii: "{"):
                i += 1; skipSpace()
                if next == UInt8(ascii: "}") { i += 1; return }
                while true {
                    skipSpace(); try string(); skipSpace(); try expect(UInt8(ascii: ":")); skipSpace(); try value(); skipSpace()
                    if next == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "}")); return
                }
            case UInt8(ascii: "["):
                i += 1; skipSpace()
                if next == UInt8(ascii: "]") { i += 1; return }
                while true {
                    skipSpace(); try value(); skipSpace()
                    if next == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "]")); return
                }
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try word("true")
            case UInt8(ascii: "f"): try word("false")
            case UInt8(ascii: "n"): try word("null")
            default: try number()
            }
        }

        mutating func word(_ w: String) throws(Failure) {
            for c in w.utf8 { try expect(c) }
        }

        mutating func string() throws(Failure) {
            try expect(UInt8(ascii: "\""))
            while let c = next {
                i += 1
                switch c {
                case UInt8(ascii: "\""): return
                case UInt8(ascii: "\\"):
                    guard let e = next else { throw fail("unfinished escape") }
                    i += 1
                    if e == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            guard let h = next, (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else {
                                throw fail("bad \\u escape")
                            }
                            i += 1
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(e) {
                        throw fail("bad escape")
                    }
                case 0..<0x20: throw fail("control character in a string")
                default: continue
                }
            }
            throw fail("unfinished string")
        }

        mutating func number() throws(Failure) {
            let start = i
            func digits() -> Int { var n = 0; while let c = next, c >= 0x30 && c <= 0x39 { i += 1; n += 1 }; return n }
            if next == UInt8(ascii: "-") { i += 1 }
            if next == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { i = start; throw fail("expected a value") }
            if next == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { throw fail("bad number") } }
            if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                i += 1
                if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw fail("bad number") }
            }
        }
    }
}

