/// Splits text into the units a model sees, as `TokenizerSettings` say: grapheme
/// clusters (ICU), Unicode scalars, or bytes; NFC first unless turned off.
///
/// For short texts (primes, evaluation text, tests). A whole corpus goes
/// through `Corpus.load`, which streams the file and never makes a string per
/// character.
public struct Tokenizer: Sendable {
    public let settings: TokenizerSettings

    public init(settings: TokenizerSettings) {
        self.settings = settings
    }

    /// The units of `text`. A leading U+FEFF is kept (it is a character of a
    /// decoded string); in byte mode each unit is one UTF-8 byte as a scalar U+0000...U+00FF.
    public func units(of text: String) throws(TokenizerError) -> [String] {
        var text = text
        return try rethrowingTokenizerError { try text.withUTF8 { bytes in try units(bytes, fromString: true) } }
    }

    /// The units of UTF-8 bytes, as read from a file: a leading byte order mark
    /// is dropped, and invalid UTF-8 throws `.invalidUTF8` (offset from the first
    /// byte) unless `settings.lossy`. Byte mode takes any bytes.
    public func units(ofUTF8 bytes: some Collection<UInt8>) throws(TokenizerError) -> [String] {
        if let result = bytes.withContiguousStorageIfAvailable({ (b) -> Result<[String], TokenizerError> in
            do throws(TokenizerError) { return .success(try units(b, fromString: false)) } catch { return .failure(error) }
        }) {
            return try result.get()
        }
        return try Array(bytes).withUnsafeBufferPointer { (b) throws(TokenizerError) in try units(b, fromString: false) }
    }

    private func units(_ bytes: UnsafeBufferPointer<UInt8>, fromString: Bool) throws(TokenizerError) -> [String] {
        var stream = try TextStream.memory(bytes, settings: settings, fromString: fromString)
        let strings = stream.segmenter.tokenStrings()
        return stream.takeIDs().map { strings[Int($0)] }
    }
}

extension Tokenizer {
    /// The Unicode version of the grapheme rules and NFC data in use (ICU's), as "15.0".
    public static var unicodeVersion: String { ICUText.unicodeVersion }
    /// The ICU library version, as "72.1".
    public static var icuVersion: String { ICUText.icuVersion }
}
