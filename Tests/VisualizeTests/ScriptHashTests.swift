import Foundation
import TestSupport
import Testing
@testable import Visualize

/// The pages' Content-Security-Policy hash: libcrypto's SHA-256, checked against the
/// standard's own examples and against a second implementation.
struct ScriptHashTests {
    /// FIPS 180-2, appendix B: the one-block, empty and two-block messages.
    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownAnswers(message: String, hex: String) {
        #expect(Markup.sha256(Array(message.utf8)).map { String(format: "%02x", $0) }.joined() == hex)
    }

    @Test(.enabled(if: CoreutilsSHA256.tool != nil, "coreutils' sha256sum is not installed"))
    func sourceIsTheBase64OfTheScriptsDigest() throws {
        for script in ["", "x", "document.body.textContent = 'é 🙂'\n", String(repeating: "a;", count: 10_000)] {
            #expect(Markup.scriptHashSource(script) == "'sha256-\(try CoreutilsSHA256.base64(of: script))'")
        }
    }
}
