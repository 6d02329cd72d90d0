import ArgumentParser
import Tokenizer

/// How a corpus is split into characters: `--tokenizer` (also `--mode`), `--no-normalize`,
/// `--lossy`; declared and documented once for `train` and `vocab`.
struct TokenizerOptions: ParsableArguments {
    @Option(name: [.customLong("tokenizer"), .customLong("mode")],
            help: "What one character is: grapheme (default; user-perceived, Unicode UAX #29), scalar (code point) or byte.")
    var mode: TokenizerMode?

    @Flag(help: "Don't apply Unicode NFC normalization first (ignored in byte mode).")
    var noNormalize = false

    @Flag(help: "Replace invalid UTF-8 with U+FFFD instead of stopping (ignored in byte mode).")
    var lossy = false

    /// The flags given, applied on top of `base` (a flag not given keeps base's value).
    func apply(to base: TokenizerSettings) -> TokenizerSettings {
        var s = base
        if let mode { s.mode = mode }
        if noNormalize { s.normalize = false }
        if lossy { s.lossy = true }
        return s
    }

    /// The settings these flags name, from the defaults.
    var settings: TokenizerSettings { apply(to: TokenizerSettings()) }
}
