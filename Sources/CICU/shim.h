#ifndef CHARRNN_CICU_SHIM_H
#define CHARRNN_CICU_SHIM_H
// Debian's ICU renames every C symbol by version (ubrk_open -> ubrk_open_72)
// through macros, which Swift cannot import. Each function charrnn needs is
// wrapped here in a `static inline` function with a stable `charrnn_` name;
// the macro is expanded by clang when this header is compiled.
#include <unicode/utypes.h>
#include <unicode/uchar.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

// MARK: errors and versions
static inline const char *charrnn_u_errorName(UErrorCode code) { return u_errorName(code); }
static inline int charrnn_u_failure(UErrorCode code) { return U_FAILURE(code); }
static inline UErrorCode charrnn_u_zeroError(void) { return U_ZERO_ERROR; }
static inline UErrorCode charrnn_u_bufferOverflowError(void) { return U_BUFFER_OVERFLOW_ERROR; }
/// Unicode version implemented by this ICU, as "15.0".
static inline void charrnn_u_unicodeVersion(char *out /* U_MAX_VERSION_STRING_LENGTH */) {
    UVersionInfo v; u_getUnicodeVersion(v); u_versionToString(v, out);
}
static inline void charrnn_u_icuVersion(char *out) {
    UVersionInfo v; u_getVersion(v); u_versionToString(v, out);
}

// MARK: character properties (for finding a safe place to cut a stream of text)
/// Grapheme_Cluster_Break property value of `c` (a `U_GCB_...` constant).
static inline int32_t charrnn_u_graphemeClusterBreak(UChar32 c) {
    return u_getIntPropertyValue(c, UCHAR_GRAPHEME_CLUSTER_BREAK);
}
static inline UBool charrnn_u_isExtendedPictographic(UChar32 c) {
    return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC);
}
static inline int32_t charrnn_gcb_other(void) { return U_GCB_OTHER; }
static inline int32_t charrnn_gcb_control(void) { return U_GCB_CONTROL; }
static inline int32_t charrnn_gcb_cr(void) { return U_GCB_CR; }
static inline int32_t charrnn_gcb_lf(void) { return U_GCB_LF; }
static inline int32_t charrnn_gcb_l(void) { return U_GCB_L; }
static inline int32_t charrnn_gcb_lv(void) { return U_GCB_LV; }
static inline int32_t charrnn_gcb_lvt(void) { return U_GCB_LVT; }
static inline int32_t charrnn_gcb_prepend(void) { return U_GCB_PREPEND; }
static inline int32_t charrnn_gcb_zwj(void) { return U_GCB_ZWJ; }

// MARK: break iteration (UAX #29 extended grapheme clusters)
static inline UBreakIterator *charrnn_ubrk_openCharacter(UErrorCode *status) {
    return ubrk_open(UBRK_CHARACTER, "", NULL, 0, status);
}
static inline void charrnn_ubrk_setUText(UBreakIterator *bi, UText *text, UErrorCode *status) {
    ubrk_setUText(bi, text, status);
}
static inline void charrnn_ubrk_setText(UBreakIterator *bi, const UChar *text, int32_t length, UErrorCode *status) {
    ubrk_setText(bi, text, length, status);
}
static inline int32_t charrnn_ubrk_first(UBreakIterator *bi) { return ubrk_first(bi); }
static inline int32_t charrnn_ubrk_next(UBreakIterator *bi) { return ubrk_next(bi); }
static inline void charrnn_ubrk_close(UBreakIterator *bi) { ubrk_close(bi); }
static inline int32_t charrnn_ubrk_done(void) { return UBRK_DONE; }

// MARK: UText over UTF-8 (indices reported by the break iterator are byte offsets)
static inline UText *charrnn_utext_openUTF8(UText *ut, const char *s, int64_t length, UErrorCode *status) {
    return utext_openUTF8(ut, s, length, status);
}
static inline UText *charrnn_utext_close(UText *ut) { return utext_close(ut); }

// MARK: normalization
static inline const UNormalizer2 *charrnn_unorm2_getNFCInstance(UErrorCode *status) {
    return unorm2_getNFCInstance(status);
}
static inline int32_t charrnn_unorm2_normalize(const UNormalizer2 *n, const UChar *src, int32_t length,
                                               UChar *dest, int32_t capacity, UErrorCode *status) {
    return unorm2_normalize(n, src, length, dest, capacity, status);
}
static inline int32_t charrnn_unorm2_spanQuickCheckYes(const UNormalizer2 *n, const UChar *s, int32_t length,
                                                       UErrorCode *status) {
    return unorm2_spanQuickCheckYes(n, s, length, status);
}
static inline UBool charrnn_unorm2_hasBoundaryBefore(const UNormalizer2 *n, UChar32 c) {
    return unorm2_hasBoundaryBefore(n, c);
}

// MARK: UTF-8 <-> UTF-16
static inline UChar *charrnn_u_strFromUTF8(UChar *dest, int32_t capacity, int32_t *destLength,
                                           const char *src, int32_t srcLength, UErrorCode *status) {
    return u_strFromUTF8(dest, capacity, destLength, src, srcLength, status);
}
static inline char *charrnn_u_strToUTF8(char *dest, int32_t capacity, int32_t *destLength,
                                        const UChar *src, int32_t srcLength, UErrorCode *status) {
    return u_strToUTF8(dest, capacity, destLength, src, srcLength, status);
}
#endif
