import Testing
import Tokenizer
@testable import Training

/// The by-document split of `--documents`: whole documents, seeded, in the documented proportions.
@Suite struct DocumentSplitTests {
    /// "w0\nw1\n…" and its documents vocabulary.
    func words(_ n: Int) throws -> (corpus: Corpus, vocabulary: Vocabulary) {
        let corpus = try Corpus(text: (0..<n).map { "w\($0)\n" }.joined(), settings: TokenizerSettings())
        return (corpus, corpus.vocabulary.addingDocumentMarkers())
    }

    func split(_ n: Int, seed: UInt64 = 1, validation: Double = 0.05, test: Double = 0.05) throws -> (DocumentSplit, Vocabulary) {
        let (corpus, vocabulary) = try words(n)
        return (try DocumentSplit(ids: corpus.ids, sourceStarts: corpus.sourceStarts, vocabulary: vocabulary, mode: .lines,
                                  validationFraction: validation, testFraction: test, seed: seed, name: "words.txt"), vocabulary)
    }

    /// The documents of a split's range, as text, checking that it is whole framed documents.
    func documents(_ ids: ArraySlice<Int32>, _ vocabulary: Vocabulary) -> [String] {
        let m = vocabulary.documentMarkers!
        var out: [String] = [], current: [Int32]? = nil
        for id in ids {
            if id == m.start { #expect(current == nil); current = [] } else if id == m.end {
                out.append(vocabulary.decode(current ?? [-1])); current = nil
            } else { current?.append(id) }
        }
        #expect(current == nil && ids.first == m.start && ids.last == m.end)
        return out
    }

    @Test func wholeDocumentsInTheDocumentedProportions() throws {
        let (s, vocabulary) = try split(200)
        #expect((s.counts.documents, s.counts.training, s.counts.validation, s.counts.test) == (200, 180, 10, 10))
        let train = documents(s.ids[s.splits.train], vocabulary)
        let validation = documents(s.ids[s.splits.validation], vocabulary)
        let test = documents(s.ids[s.splits.test], vocabulary)
        #expect((train.count, validation.count, test.count) == (180, 10, 10))
        #expect(Set(train + validation + test) == Set((0..<200).map { "w\($0)" }))   // each document once, whole
        #expect(s.splits.test.upperBound == s.ids.count)
        // The hashes are those of the training documents' text.
        #expect(s.trainingHashes == DocumentHashes(train.map { DocumentHashes.fnv1a(Array($0.utf8)) }))
        #expect(s.counts.distinctTraining == 180)
        // Shuffled: the training documents are not in text order.
        #expect(train != train.sorted { Int($0.dropFirst())! < Int($1.dropFirst())! })
    }

    @Test func theAssignmentIsAFunctionOfTheSeed() throws {
        let (a, _) = try split(50, seed: 7), (b, _) = try split(50, seed: 7), (c, _) = try split(50, seed: 8)
        #expect(a.ids == b.ids && a.splits == b.splits)
        #expect(a.ids != c.ids)
    }

    @Test func fractionsRoundToWholeDocumentsWithAtLeastOneEach() throws {
        #expect(try split(3).0.counts.training == 1)
        let tiny = try split(3).0.counts
        #expect((tiny.validation, tiny.test) == (1, 1))
        let noTest = try split(10, validation: 0.25, test: 0).0.counts
        #expect((noTest.training, noTest.validation, noTest.test) == (7, 3, 0))
        #expect(try split(1, validation: 0, test: 0).0.counts.training == 1)
    }

    @Test func tooFewDocumentsIsAOneLineError() throws {
        for (n, needle) in [(2, "finds 2 documents (one per non-empty line); training, validation and test need at least one each (3)"),
                            (0, "finds 0 documents")] {
            do {
                _ = try split(n)
                Issue.record("\(n) documents were split")
            } catch {
                #expect("\(error)".hasPrefix("words.txt: --documents lines ") && "\(error)".contains(needle), "\(error)")
                #expect(!"\(error)".contains("\n"))
            }
        }
    }
}
