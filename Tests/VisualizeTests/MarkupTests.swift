import Testing
import Foundation
@testable import Visualize

@Suite struct MarkupTests {
    @Test func escapedForXML() {
        #expect(Markup.escaped(#"<b a="1">&'x'</b>"#) == "&lt;b a=&quot;1&quot;&gt;&amp;&#39;x&#39;&lt;/b&gt;")
        #expect(Markup.escaped("a\u{0}b\u{1B}c\td") == "a\u{FFFD}b\u{FFFD}c\td")
        #expect(Markup.escaped("日本 🙂 עברית") == "日本 🙂 עברית")
    }

    @Test func scriptSafeJSONParsesToTheSameValue() throws {
        let hostile = "</script><img src=x onerror=alert(1)> <!-- & \u{2028}\u{2029} \"q\" \\ 日本"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes  // as the page's encoder: "/" alone is harmless
        let json = String(decoding: try encoder.encode([hostile]), as: UTF8.self)
        let safe = Markup.scriptSafeJSON(json)
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] { #expect(!safe.contains(bad), "\(bad)") }
        #expect(safe.contains(#"\u003c/script\u003e\u003cimg"#))
        #expect(try JSONDecoder().decode([String].self, from: Data(safe.utf8)) == [hostile])
    }

    @Test func coordinates() {
        #expect(Markup.coordinate(12) == "12")
        #expect(Markup.coordinate(12.345) == "12.3")
        #expect(Markup.coordinate(-0.01) == "0")
        #expect(Markup.coordinate(.infinity) == "0")
        #expect(Markup.coordinate(1e300) == "1000000")
    }
}
