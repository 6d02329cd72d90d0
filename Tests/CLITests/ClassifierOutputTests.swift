import Foundation
import Testing
import Training

/// What `eval` prints for a classifier of many labels, and what `classify` does with blank lines and
/// lone-CR line ends, through the built binary.
@Suite struct ClassifierOutputTests {
    func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    func object(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)", sourceLocation: sourceLocation)
    }

    /// `count` labels L0…, each with `perLabel` texts "text number i j".
    static func manyLabels(_ count: Int, perLabel: Int) -> String {
        (0..<count).flatMap { i in (0..<perLabel).map { j in "L\(i)\ttext number \(i) \(j)\n" } }.joined()
    }

    /// A directory holding `data.tsv` of `labels` labels and a classifier trained on it in `run/` (a few steps: the
    /// figures do not matter, only their shape).
    static func trained(labels: Int, perLabel: Int) throws -> URL {
        let dir = try Binary.temporaryDirectory()
        try Data(manyLabels(labels, perLabel: perLabel).utf8).write(to: dir.appendingPathComponent("data.tsv"))
        let r = try Binary.run(["train", "data.tsv", "--task", "classify", "--max-iters", "3", "--hidden", "8", "--layers", "1",
                                "--batch-size", "4", "--epochs", "1", "--max-chars", "64", "--seed", "2", "--checkpoint-dir", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    // MARK: - eval of a classifier of many labels

    /// 60 labels (over the table's 30): no 60 × 60 matrix but a one-line note and the most frequent confusions; the
    /// per-label lines are still there (60 ≤ 100); the output is a few dozen lines, not K².
    @Test func evalLeavesOutTheMatrixOfManyLabels() throws {
        let dir = try Self.trained(labels: 60, perLabel: 12)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["eval", "data.tsv", "--checkpoint", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(!out.contains("confusion matrix (rows: true label, columns: predicted)"), "\(r.stdout)")
        #expect(out.contains("confusion matrix left out: 60 labels (a table is shown for at most 30; --json has the matrix)"), "\(r.stdout)")
        #expect(out.contains("label  precision  recall     f1  support"))
        #expect(out.filter { $0.wholeMatch(of: /L\d+ +\d\.\d{3} +\d\.\d{3} +\d\.\d{3} +\d+/) != nil }.count == 60, "\(r.stdout)")
        // A model of three steps confuses some of the test split's texts, listed most frequent first (at most ten).
        let header = try #require(out.firstIndex(of: "most frequent confusions (true label → predicted, texts):"), "\(r.stdout)")
        let listed = out[(header + 1)...].prefix { !$0.isEmpty }
        #expect((1...10).contains(listed.count), "\(r.stdout)")
        let counts = listed.compactMap { $0.wholeMatch(of: /L\d+ +→ L\d+ +(\d+)/).map { Int($0.1)! } }
        #expect(counts.count == listed.count && counts == counts.sorted(by: >), "\(listed)")
        #expect(out.count < 100 && (out.map(\.count).max() ?? 0) < 200, "\(out.count) lines")
        #expect(out.contains { $0.hasPrefix("accuracy ") })

        // --json keeps the whole matrix up to 100 labels.
        let json = try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--json"], in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let o = try object(json.stdout)
        let model = try #require(o["model"] as? [String: Any])
        let matrix = try #require(model["confusion"] as? [[Int]])
        #expect(matrix.count == 60 && matrix.allSatisfy { $0.count == 60 } && matrix.joined().reduce(0, +) == o["texts"] as? Int)
        #expect(model["confusion_cells"] == nil)
    }

    /// 120 labels (over 100): no per-label lines either, and --json lists the matrix's non-zero cells instead of
    /// 14,400 numbers: every test text in one cell, no cell twice, ids into labels; the baselines' the same way.
    @Test func evalJSONOfOverAHundredLabelsListsTheCells() throws {
        let dir = try Self.trained(labels: 120, perLabel: 10)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Binary.run(["eval", "data.tsv", "--checkpoint", "run"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(out.contains("confusion matrix left out: 120 labels (a table is shown for at most 30; --json has the matrix)"), "\(r.stdout)")
        #expect(out.contains("per-label precision, recall and F1 left out: 120 labels (listed for at most 100; --json has them all)"),
                "\(r.stdout)")
        #expect(!out.contains("label  precision  recall     f1  support"))
        #expect(out.count < 40, "\(r.stdout)")

        let json = try Binary.run(["eval", "data.tsv", "--checkpoint", "run", "--json"], in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let o = try object(json.stdout)
        let texts = try #require(o["texts"] as? Int)
        for name in ["model", "majority", "naive_bayes"] {
            let report = try #require(o[name] as? [String: Any], "\(name)")
            #expect(report["confusion"] == nil, "\(name)")
            let labels = try #require(report["labels"] as? [String])
            #expect(labels.count == 120 && (report["f1"] as? [Double])?.count == 120 && (report["support"] as? [Int])?.count == 120)
            let cells = try #require(report["confusion_cells"] as? [[String: Int]], "\(name)")
            #expect(cells.allSatisfy { Set($0.keys) == ["true", "predicted", "count"] && $0["count"]! > 0 })
            #expect(cells.allSatisfy { labels.indices.contains($0["true"]!) && labels.indices.contains($0["predicted"]!) })
            #expect(cells.reduce(0) { $0 + $1["count"]! } == texts, "\(name)")
            let keys = cells.map { [$0["true"]!, $0["predicted"]!] }
            #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) } && Set(keys).count == keys.count)
            let correct = cells.filter { $0["true"] == $0["predicted"] }.reduce(0) { $0 + $1["count"]! }
            #expect(abs(Double(correct) / Double(texts) - (report["accuracy"] as? Double ?? -1)) < 1e-12, "\(name)")
        }
    }

    /// The limits exactly: the matrix up to 30 labels, the per-label lines up to 100, the JSON matrix up to 100 and
    /// its cells beyond, which decode to the same report; the confusions most frequent first, ties in (true, predicted) order.
    @Test func theLimitsOfTheReport() throws {
        func report(_ k: Int) -> ClassificationReport {
            // Every class once right; class 1 taken for 0 three times, 2 for 0 once, 0 for 2 once.
            ClassificationReport(truth: Array(0..<k) + [1, 1, 1, 2, 0], predicted: Array(0..<k) + [0, 0, 0, 0, 2],
                                 labels: (0..<k).map { "c\($0)" })
        }
        #expect(report(30).table.hasPrefix("confusion matrix (rows: true label, columns: predicted)\n"))
        let over = report(31).table
        #expect(over.hasPrefix("""
            confusion matrix left out: 31 labels (a table is shown for at most 30; --json has the matrix)
            most frequent confusions (true label → predicted, texts):
            c1    → c0     3
            c0    → c2     1
            c2    → c0     1

            label  precision  recall     f1  support

            """), "\(over)")
        #expect(report(100).table.contains("\nc99  "))
        #expect(report(101).table.contains("\nper-label precision, recall and F1 left out: 101 labels (listed for at most 100; --json has them all)\n"))
        #expect(report(101).table.split(separator: "\n").count == 7)   // note, header, 3 confusions, note, accuracy

        for k in [100, 101] {
            let r = report(k)
            let data = try JSONEncoder().encode(r)
            let o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect((o["confusion"] != nil) == (k <= 100) && (o["confusion_cells"] != nil) == (k > 100), "\(k)")
            #expect(try JSONDecoder().decode(ClassificationReport.self, from: data) == r)
            #expect(r.confusion[1][0] == 3 && r.correct == k)
        }
        let cells = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report(101))) as? [String: Any])["confusion_cells"]
        #expect((cells as? [[String: Int]])?.prefix(3) == [["true": 0, "predicted": 0, "count": 1], ["true": 0, "predicted": 2, "count": 1],
                                                            ["true": 1, "predicted": 0, "count": 3]])
    }

    // MARK: - classify: line ends

    /// Lines ended by a lone CR (classic Mac OS), and CRs mixed with LF and CRLF, are lines as LF's are: the same
    /// answers, line for line, as the LF input.
    @Test func classifyReadsLoneCRLineEnds() throws {
        let dir = ToyLabels.classifier
        let texts = ["xxxxxxxx", "yyyyyyyy", "", "xxyxxx", "yyyxyy"]
        let lf = try Binary.run(["classify", "--checkpoint", "run"], in: dir, stdin: Data(texts.map { $0 + "\n" }.joined().utf8))
        #expect(lf.status == 0 && lines(lf.stdout).count == 5, "\(lf.stdout)\(lf.stderr)")
        for input in [texts.map { $0 + "\r" }.joined(),                   // classic Mac OS, with its last CR
                      texts.joined(separator: "\r"),                      // and without
                      "xxxxxxxx\ryyyyyyyy\r\n\nxxyxxx\r\nyyyxyy\r"] {     // CR, CRLF and LF mixed
            let r = try Binary.run(["classify", "--checkpoint", "run"], in: dir, stdin: Data(input.utf8))
            #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
            #expect(r.stdout == lf.stdout, "\(input.debugDescription): \(r.stdout) vs \(lf.stdout)")
        }
    }
}
