import CLibCrypto
import Foundation

extension Markup {
    /// The Content-Security-Policy source that allows exactly this inline script:
    /// `'sha256-<base64 of the SHA-256 of its UTF-8>'` (CSP Level 2, "hash-source").
    /// The digest is OpenSSL's libcrypto, a system library, rather than swift-crypto,
    /// whose BoringSSL copy was a fifth of a clean debug build for this one hash.
    public static func scriptHashSource(_ script: String) -> String {
        "'sha256-\(Data(sha256(Array(script.utf8))).base64EncodedString())'"
    }

    /// SHA-256 of `bytes` (32 bytes).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeBytes { b in
            digest.withUnsafeMutableBufferPointer { charrnn_sha256(b.baseAddress, b.count, $0.baseAddress) }
        }
        // EVP_Digest fails only without memory or with a broken libcrypto install.
        precondition(ok == 1, "libcrypto's SHA-256 failed")
        return digest
    }
}
