import Foundation

/// Escaping for the two places user data goes in the files we write: XML/HTML
/// text and attributes, and JSON inside a `<script>` element.
public enum Markup {
    /// `s` safe as XML or HTML text or a double-quoted attribute value. Characters
    /// XML 1.0 forbids (C0 controls but tab, newline and CR; U+FFFE, U+FFFF) become U+FFFD,
    /// so a hostile run name cannot make the SVG unparseable.
    public static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// JSON text made safe to sit inside `<script type="application/json">`:
    /// `<`, `>`, `&`, U+2028 and U+2029 become `\u003c` … escapes. In JSON these
    /// can only occur inside strings, where the escape means the same character,
    /// so `JSON.parse` of the element's text gives back exactly the same value,
    /// while the HTML parser never sees `</script>` or `<!--`.
    public static func scriptSafeJSON(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
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
