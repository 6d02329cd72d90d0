import Foundation
import Testing
import Training

/// Accuracy, per-class precision / recall / F1 and macro-F1 against values worked out by hand
/// (the same scikit-learn gives with zero_division=0).
@Suite struct ClassificationReportTests {
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

    @Test func aSmallCaseByHand() {
        // truth a a a b b c, predicted a a b b c c
        let r = ClassificationReport(truth: [0, 0, 0, 1, 1, 2], predicted: [0, 0, 1, 1, 2, 2], labels: ["a", "b", "c"])
        #expect(r.confusion == [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
        #expect(r.examples == 6 && r.correct == 4 && close(r.accuracy, 4.0 / 6))
        #expect(r.support == [3, 2, 1])
        #expect(zip(r.precision, [1, 0.5, 0.5]).allSatisfy(close))
        #expect(zip(r.recall, [2.0 / 3, 0.5, 1]).allSatisfy(close))
        // F1: 2·1·⅔/(1+⅔) = 0.8; 0.5; 2·½·1/1.5 = ⅔. Mean 0.65556 (sklearn f1_score(average="macro")).
        #expect(zip(r.f1, [0.8, 0.5, 2.0 / 3]).allSatisfy(close))
        #expect(close(r.macroF1, (0.8 + 0.5 + 2.0 / 3) / 3))
    }

    @Test func undefinedRatiosAreZeroAndAbsentClassesAreLeftOutOfTheMean() {
        // Class 2 is predicted once but never true (recall 0/0 → 0); class 3 occurs nowhere.
        let r = ClassificationReport(truth: [0, 0, 1, 1], predicted: [0, 2, 1, 1], labels: ["a", "b", "c", "d"])
        #expect(zip(r.precision, [1, 1, 0, 0]).allSatisfy(close))
        #expect(zip(r.recall, [0.5, 1, 0, 0]).allSatisfy(close))
        #expect(zip(r.f1, [2.0 / 3, 1, 0, 0]).allSatisfy(close))
        #expect(close(r.macroF1, (2.0 / 3 + 1 + 0) / 3))   // over a, b, c: d is neither true nor predicted
        #expect(close(r.accuracy, 0.75))
    }

    @Test func noExamplesScoreZero() {
        let r = ClassificationReport(truth: [], predicted: [], labels: ["a", "b"])
        #expect(r.accuracy == 0 && r.macroF1 == 0 && r.confusion == [[0, 0], [0, 0]])
    }

    @Test func theTableNamesRowsAndColumns() {
        let r = ClassificationReport(truth: [0, 0, 0, 1, 1, 2], predicted: [0, 0, 1, 1, 2, 2],
                                     labels: ["de", "en", "a-very-long-label"])
        #expect(r.table == """
            confusion matrix (rows: true label, columns: predicted)
                                    de            en  a-very-long…
            de                       2             1             0
            en                       0             1             1
            a-very-long…             0             0             1

            label         precision  recall     f1  support
            de                1.000   0.667  0.800        3
            en                0.500   0.500  0.500        2
            a-very-long…      0.500   1.000  0.667        1
            accuracy 0.667 (4 of 6), macro-F1 0.656

            """)
    }

    @Test func jsonRoundTripsWithSnakeCaseKeys() throws {
        let r = ClassificationReport(truth: [0, 1, 1], predicted: [0, 1, 0], labels: ["x", "y"])
        let data = try JSONEncoder().encode(r)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["labels", "confusion", "examples", "accuracy", "precision", "recall", "f1", "support", "macro_f1"])
        #expect(object["confusion"] as? [[Int]] == [[1, 0], [1, 1]])
        #expect(try JSONDecoder().decode(ClassificationReport.self, from: data) == r)
    }
}
