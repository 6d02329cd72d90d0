import Foundation
import Testing
import Training

/// The count models of `Baselines`, on a corpus small enough to work out by hand.
@Suite struct BaselinesTests {
    // Vocabulary a = 0, b = 1, c = 2; training text "ababa".
    let counts = Baselines.Counts(ids: [0, 1, 0, 1, 0], vocabularySize: 3)

    @Test func handComputedLossesWithThePreviousCharacter() throws {
        // Scoring "bc" after the training text's last "a":
        //   unigram p(b) = (2 + 1)/(5 + 3), p(c) = (0 + 1)/(5 + 3)
        //   bigram  p(b | a) = (2 + 1)/(2 + 3), p(c | b) = (0 + 1)/(2 + 3)
        let b = try #require(counts.score([1, 2], previous: 0))
        #expect(b.characters == 2)
        #expect(abs(b.unigram - -(log(3.0 / 8) + log(1.0 / 8)) / 2) < 1e-12)
        #expect(abs(b.bigram - -(log(3.0 / 5) + log(1.0 / 5)) / 2) < 1e-12)
    }

    @Test func withoutAPreviousCharacterTheFirstIsNotScored() throws {
        let b = try #require(counts.score([1, 2]))
        #expect(b.characters == 1)
        #expect(abs(b.unigram - -log(1.0 / 8)) < 1e-12)
        #expect(abs(b.bigram - -log(1.0 / 5)) < 1e-12)
        #expect(counts.score([1]) == nil)
    }

    /// A text that repeats a fixed cycle: the bigram knows the next character, the unigram does not.
    @Test func theBigramBeatsTheUnigramOnStructuredText() throws {
        let cycle: [Int32] = (0..<2000).map { Int32($0 % 4) }
        let b = try #require(Baselines.Counts(ids: cycle[...], vocabularySize: 4).score(cycle[...]))
        #expect(b.bigram < 0.01)
        #expect(abs(b.unigram - log(4.0)) < 1e-3)
    }
}
