internal import CICU

/// Numbers spelled out in words by ICU's rule-based number format
/// (`unum_open(UNUM_SPELLOUT, …)`): 42 → "forty-two" in English, 21 →
/// "einundzwanzig" in German (which says the units before the tens), 71 →
/// "soixante-et-onze" in French. The generator of number-to-words pairs
/// (Examples/MakePairs) writes them.
///
/// ICU 72's German rules put a soft hyphen (U+00AD) between the parts of a
/// compound ("ein\u{AD}und\u{AD}zwanzig"), a hyphenation hint invisible in
/// print; they are removed, since a model would otherwise spend a third of
/// the target's characters on them.
///
/// For a locale without spell-out rules ICU quietly uses the default
/// locale's (which depends on the environment) or the root's (digits); that
/// is refused, so the same arguments give the same words everywhere.
/// One formatter per thread: ICU's formatters are not shared.
public final class SpelledNumbers {
    /// The locale asked for, and the one whose rules ICU uses ("de" for "de_CH" without rules of its own).
    public let locale: String, rulesLocale: String
    private let formatter: OpaquePointer
    private var buffer = [UInt16](repeating: 0, count: 256)

    /// - Throws: `.noRules` when ICU has no spell-out rules for the locale's language, or ICU's error.
    public init(locale: String) throws(SpelledNumbersError) {
        var status = charrnn_u_zeroError()
        guard !locale.isEmpty, let formatter = charrnn_unum_openSpellout(locale, &status), charrnn_u_failure(status) == 0 else {
            if locale.isEmpty { throw .noRules(locale: locale, rulesLocale: "root") }
            throw .icuFailure(String(cString: charrnn_u_errorName(status)), locale: locale)
        }
        let actual = charrnn_unum_actualLocale(formatter, &status).map { String(cString: $0) } ?? "root"
        func language(_ l: String) -> String { String(l.prefix { $0 != "_" && $0 != "-" && $0 != "@" }).lowercased() }
        guard actual != "root", language(actual) == language(locale) else {
            charrnn_unum_close(formatter)
            throw .noRules(locale: locale, rulesLocale: actual)
        }
        self.formatter = formatter
        self.locale = locale
        self.rulesLocale = actual
    }

    deinit { charrnn_unum_close(formatter) }

    /// `number` in words, without soft hyphens.
    public func spell(_ number: Int) throws(SpelledNumbersError) -> String {
        while true {
            var status = charrnn_u_zeroError()
            let capacity = Int32(buffer.count)
            let length = buffer.withUnsafeMutableBufferPointer {
                charrnn_unum_formatInt64(formatter, Int64(number), $0.baseAddress, capacity, &status)
            }
            if status == charrnn_u_bufferOverflowError() || length > capacity {
                buffer = [UInt16](repeating: 0, count: Int(length) + 1)
                continue
            }
            guard charrnn_u_failure(status) == 0 else {
                throw .icuFailure(String(cString: charrnn_u_errorName(status)), locale: locale)
            }
            let words = String(decoding: buffer[..<Int(length)], as: UTF16.self)
            return String(words.unicodeScalars.filter { $0 != "\u{AD}" })
        }
    }
}

/// Why numbers cannot be spelled out, in one line.
public enum SpelledNumbersError: Error, Equatable, CustomStringConvertible, Sendable {
    /// ICU has no spell-out rules for the locale's language; it would have used `rulesLocale`'s.
    case noRules(locale: String, rulesLocale: String)
    /// An ICU error (its name, e.g. "U_ILLEGAL_ARGUMENT_ERROR").
    case icuFailure(String, locale: String)

    public var description: String {
        switch self {
        case .noRules(let locale, let rulesLocale):
            return "ICU has no spell-out rules for locale \"\(locale)\" (it would use \(rulesLocale)'s); "
                + "give a language ICU spells, e.g. de, en, fr, es, it"
        case .icuFailure(let name, let locale):
            return "ICU could not spell numbers in locale \"\(locale)\": \(name)"
        }
    }
}
