import Foundation

/// Escaping for the two places user data goes in the files we write: XML/HTML
/// text and attributes, and JSON inside a `<script>` element.
public enum Markup {
    /// `s` safe as XML or HTML text or a double-quoted attribute value. Characters
    /// XML 1.0 forbids (C0 controls but tab, newline and CR; U+FFFE, U+FFFF) become U+FFFD,
    /// so a hostile run name cannot make the SVG unparseable.
    public static func escaped(_ s: String) -> String {
        replacingScalars(of: s) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            case "\t", "\n", "\r": nil
            default: scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF ? "\u{FFFD}" : nil
            }
        }
    }

    /// JSON text made safe to sit inside `<script type="application/json">`:
    /// `<`, `>`, `&`, U+2028 and U+2029 become `\u003c` … escapes. In JSON these
    /// can only occur inside strings, where the escape means the same character,
    /// so `JSON.parse` of the element's text gives back exactly the same value,
    /// while the HTML parser never sees `</script>` or `<!--`.
    public static func scriptSafeJSON(_ json: String) -> String {
        replacingScalars(of: json) { scalar in
            switch scalar {
            case "<": "\\u003c"
            case ">": "\\u003e"
            case "&": "\\u0026"
            case "\u{2028}": "\\u2028"
            case "\u{2029}": "\\u2029"
            default: nil
            }
        }
    }

    /// `s` with each scalar for which `replacement` gives a string replaced by it, the others kept.
    private static func replacingScalars(of s: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            if let r = replacement(scalar) { out += r } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// A coordinate for SVG: at most one decimal, no exponent, no "-0".
    static func coordinate(_ x: Double) -> String {
        let clamped = x.isFinite ? min(max(x, -1e6), 1e6) : 0  // far off-canvas is as good as infinitely far
        let r = (clamped * 10).rounded() / 10
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.1f", r)
    }
}
