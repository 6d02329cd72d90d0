#ifndef CHARRNN_CLIBCRYPTO_SHIM_H
#define CHARRNN_CLIBCRYPTO_SHIM_H
// OpenSSL's libcrypto (Debian: libssl-dev, pkg-config `libcrypto`): SHA-256 only, for the
// Content-Security-Policy hash of a page's one script.
#include <stddef.h>
#include <openssl/evp.h>

/// SHA-256 of `count` bytes at `bytes` into `digest` (32 bytes); 1 on success, 0 on failure.
static inline int charrnn_sha256(const void *bytes, size_t count, unsigned char digest[32]) {
    unsigned int length = 0;
    return EVP_Digest(bytes, count, digest, &length, EVP_sha256(), NULL) == 1 && length == 32;
}
#endif
