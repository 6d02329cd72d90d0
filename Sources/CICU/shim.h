#ifndef CHARRNN_CICU_SHIM_H
#define CHARRNN_CICU_SHIM_H
// Debian's ICU renames every C symbol by version (ubrk_open -> ubrk_open_72)
// through macros, which Swift cannot import. Each function charrnn needs is
// wrapped here in a `static inline` function with a stable `charrnn_` name.
//
// Why ICU's own headers are NOT included: Foundation on Linux carries its own
// ICU (module _FoundationICU, ICU 76) whose headers define the same C types
// (`enum UErrorCode`, ...) differently. A Swift module that sees both (any
// module importing Foundation together with this one, e.g. a test target with
// `@testable import Tokenizer`) fails to build: "'U_MF_...' from module
// '_FoundationICU' is not present in definition of 'enum UErrorCode' in module
// 'CICU'". So this header takes only the renaming macro from <unicode/uvernum.h>
// (macros, no types) and declares the few ICU functions it calls itself, with
// plain C types of the same size and ABI as ICU's:
//   UErrorCode, UBreakIteratorType, UProperty (C enums)  -> int32_t
//   UBool -> int8_t, UChar -> uint16_t, UChar32 -> int32_t
//   UBreakIterator *, UText *, const UNormalizer2 *,
//   UNumberFormat *                                        -> opaque struct pointers
// The constants below are ICU's stable, never-renumbered values.
#include <stdint.h>
#include <unicode/uvernum.h>

#define CHARRNN_ICU(name) U_ICU_ENTRY_POINT_RENAME(name)

typedef struct charrnn_UBreakIterator charrnn_UBreakIterator;
typedef struct charrnn_UText charrnn_UText;
typedef struct charrnn_UNormalizer2 charrnn_UNormalizer2;
typedef struct charrnn_UNumberFormat charrnn_UNumberFormat;

// MARK: ICU prototypes (unicode/utypes.h, uchar.h, uversion.h, ubrk.h, utext.h, unorm2.h, ustring.h, unum.h)
const char *CHARRNN_ICU(u_errorName)(int32_t code);
void CHARRNN_ICU(u_getUnicodeVersion)(uint8_t versionArray[4]);
void CHARRNN_ICU(u_getVersion)(uint8_t versionArray[4]);
void CHARRNN_ICU(u_versionToString)(const uint8_t versionArray[4], char *versionString);
int32_t CHARRNN_ICU(u_getIntPropertyValue)(int32_t c, int32_t which);
int8_t CHARRNN_ICU(u_hasBinaryProperty)(int32_t c, int32_t which);
charrnn_UBreakIterator *CHARRNN_ICU(ubrk_open)(int32_t type, const char *locale, const uint16_t *text,
                                                int32_t textLength, int32_t *status);
void CHARRNN_ICU(ubrk_setUText)(charrnn_UBreakIterator *bi, charrnn_UText *text, int32_t *status);
void CHARRNN_ICU(ubrk_setText)(charrnn_UBreakIterator *bi, const uint16_t *text, int32_t textLength, int32_t *status);
int32_t CHARRNN_ICU(ubrk_first)(charrnn_UBreakIterator *bi);
int32_t CHARRNN_ICU(ubrk_next)(charrnn_UBreakIterator *bi);
void CHARRNN_ICU(ubrk_close)(charrnn_UBreakIterator *bi);
charrnn_UText *CHARRNN_ICU(utext_openUTF8)(charrnn_UText *ut, const char *s, int64_t length, int32_t *status);
charrnn_UText *CHARRNN_ICU(utext_close)(charrnn_UText *ut);
const charrnn_UNormalizer2 *CHARRNN_ICU(unorm2_getNFCInstance)(int32_t *status);
int32_t CHARRNN_ICU(unorm2_normalize)(const charrnn_UNormalizer2 *norm2, const uint16_t *src, int32_t length,
                                      uint16_t *dest, int32_t capacity, int32_t *status);
int32_t CHARRNN_ICU(unorm2_spanQuickCheckYes)(const charrnn_UNormalizer2 *norm2, const uint16_t *s, int32_t length,
                                              int32_t *status);
int8_t CHARRNN_ICU(unorm2_hasBoundaryBefore)(const charrnn_UNormalizer2 *norm2, int32_t c);
uint16_t *CHARRNN_ICU(u_strFromUTF8)(uint16_t *dest, int32_t destCapacity, int32_t *pDestLength,
                                     const char *src, int32_t srcLength, int32_t *status);
char *CHARRNN_ICU(u_strToUTF8)(char *dest, int32_t destCapacity, int32_t *pDestLength,
                               const uint16_t *src, int32_t srcLength, int32_t *status);

// unicode/unum.h (UNumberFormatStyle, ULocDataLocaleType -> int32_t; UParseError *, UFieldPosition * passed as NULL)
charrnn_UNumberFormat *CHARRNN_ICU(unum_open)(int32_t style, const uint16_t *pattern, int32_t patternLength,
                                              const char *locale, void *parseError, int32_t *status);
void CHARRNN_ICU(unum_close)(charrnn_UNumberFormat *fmt);
int32_t CHARRNN_ICU(unum_formatInt64)(const charrnn_UNumberFormat *fmt, int64_t number, uint16_t *result,
                                      int32_t resultLength, void *position, int32_t *status);
const char *CHARRNN_ICU(unum_getLocaleByType)(const charrnn_UNumberFormat *fmt, int32_t type, int32_t *status);

// MARK: errors and versions
static inline int32_t charrnn_u_zeroError(void) { return 0; }               // U_ZERO_ERROR
static inline int32_t charrnn_u_bufferOverflowError(void) { return 15; }    // U_BUFFER_OVERFLOW_ERROR
static inline int charrnn_u_failure(int32_t code) { return code > 0; }      // U_FAILURE
static inline const char *charrnn_u_errorName(int32_t code) { return CHARRNN_ICU(u_errorName)(code); }
/// Unicode version implemented by this ICU, as "15.0" (out: 20 bytes, U_MAX_VERSION_STRING_LENGTH).
static inline void charrnn_u_unicodeVersion(char *out) {
    uint8_t v[4]; CHARRNN_ICU(u_getUnicodeVersion)(v); CHARRNN_ICU(u_versionToString)(v, out);
}
static inline void charrnn_u_icuVersion(char *out) {
    uint8_t v[4]; CHARRNN_ICU(u_getVersion)(v); CHARRNN_ICU(u_versionToString)(v, out);
}

// MARK: character properties (for finding a safe place to cut a stream of text)
/// Grapheme_Cluster_Break property value of `c` (UCHAR_GRAPHEME_CLUSTER_BREAK = 0x1012).
static inline int32_t charrnn_u_graphemeClusterBreak(int32_t c) {
    return CHARRNN_ICU(u_getIntPropertyValue)(c, 0x1012);
}
/// Extended_Pictographic (UCHAR_EXTENDED_PICTOGRAPHIC = 64).
static inline int8_t charrnn_u_isExtendedPictographic(int32_t c) {
    return CHARRNN_ICU(u_hasBinaryProperty)(c, 64);
}
// UGraphemeClusterBreak values.
static inline int32_t charrnn_gcb_other(void) { return 0; }
static inline int32_t charrnn_gcb_control(void) { return 1; }
static inline int32_t charrnn_gcb_cr(void) { return 2; }
static inline int32_t charrnn_gcb_extend(void) { return 3; }
static inline int32_t charrnn_gcb_l(void) { return 4; }
static inline int32_t charrnn_gcb_lf(void) { return 5; }
static inline int32_t charrnn_gcb_lv(void) { return 6; }
static inline int32_t charrnn_gcb_lvt(void) { return 7; }
static inline int32_t charrnn_gcb_prepend(void) { return 11; }
static inline int32_t charrnn_gcb_zwj(void) { return 17; }

// MARK: break iteration (UAX #29 extended grapheme clusters)
static inline charrnn_UBreakIterator *charrnn_ubrk_openCharacter(int32_t *status) {
    return CHARRNN_ICU(ubrk_open)(0 /* UBRK_CHARACTER */, "", 0, 0, status);
}
static inline void charrnn_ubrk_setUText(charrnn_UBreakIterator *bi, charrnn_UText *text, int32_t *status) {
    CHARRNN_ICU(ubrk_setUText)(bi, text, status);
}
static inline void charrnn_ubrk_setText(charrnn_UBreakIterator *bi, const uint16_t *text, int32_t length, int32_t *status) {
    CHARRNN_ICU(ubrk_setText)(bi, text, length, status);
}
static inline int32_t charrnn_ubrk_first(charrnn_UBreakIterator *bi) { return CHARRNN_ICU(ubrk_first)(bi); }
static inline int32_t charrnn_ubrk_next(charrnn_UBreakIterator *bi) { return CHARRNN_ICU(ubrk_next)(bi); }
static inline void charrnn_ubrk_close(charrnn_UBreakIterator *bi) { CHARRNN_ICU(ubrk_close)(bi); }
static inline int32_t charrnn_ubrk_done(void) { return -1; }  // UBRK_DONE

// MARK: UText over UTF-8 (indices reported by the break iterator are byte offsets)
static inline charrnn_UText *charrnn_utext_openUTF8(charrnn_UText *ut, const char *s, int64_t length, int32_t *status) {
    return CHARRNN_ICU(utext_openUTF8)(ut, s, length, status);
}
static inline charrnn_UText *charrnn_utext_close(charrnn_UText *ut) { return CHARRNN_ICU(utext_close)(ut); }

// MARK: normalization
static inline const charrnn_UNormalizer2 *charrnn_unorm2_getNFCInstance(int32_t *status) {
    return CHARRNN_ICU(unorm2_getNFCInstance)(status);
}
static inline int32_t charrnn_unorm2_normalize(const charrnn_UNormalizer2 *n, const uint16_t *src, int32_t length,
                                               uint16_t *dest, int32_t capacity, int32_t *status) {
    return CHARRNN_ICU(unorm2_normalize)(n, src, length, dest, capacity, status);
}
static inline int32_t charrnn_unorm2_spanQuickCheckYes(const charrnn_UNormalizer2 *n, const uint16_t *s, int32_t length,
                                                       int32_t *status) {
    return CHARRNN_ICU(unorm2_spanQuickCheckYes)(n, s, length, status);
}
static inline int8_t charrnn_unorm2_hasBoundaryBefore(const charrnn_UNormalizer2 *n, int32_t c) {
    return CHARRNN_ICU(unorm2_hasBoundaryBefore)(n, c);
}

// MARK: rule-based number format (spelled-out numbers)
/// A formatter spelling numbers out in `locale`'s words (UNUM_SPELLOUT = 5), or NULL with `status` set.
static inline charrnn_UNumberFormat *charrnn_unum_openSpellout(const char *locale, int32_t *status) {
    return CHARRNN_ICU(unum_open)(5 /* UNUM_SPELLOUT */, 0, 0, locale, 0, status);
}
static inline void charrnn_unum_close(charrnn_UNumberFormat *fmt) { CHARRNN_ICU(unum_close)(fmt); }
/// `number` formatted into `result` (UTF-16); returns the length it needs (more than `capacity`: U_BUFFER_OVERFLOW_ERROR).
static inline int32_t charrnn_unum_formatInt64(const charrnn_UNumberFormat *fmt, int64_t number, uint16_t *result,
                                               int32_t capacity, int32_t *status) {
    return CHARRNN_ICU(unum_formatInt64)(fmt, number, result, capacity, 0, status);
}
/// The locale whose rules the formatter uses (ULOC_ACTUAL_LOCALE = 0): "root" or another language when ICU fell back.
static inline const char *charrnn_unum_actualLocale(const charrnn_UNumberFormat *fmt, int32_t *status) {
    return CHARRNN_ICU(unum_getLocaleByType)(fmt, 0 /* ULOC_ACTUAL_LOCALE */, status);
}

// MARK: UTF-8 <-> UTF-16
static inline uint16_t *charrnn_u_strFromUTF8(uint16_t *dest, int32_t capacity, int32_t *destLength,
                                              const char *src, int32_t srcLength, int32_t *status) {
    return CHARRNN_ICU(u_strFromUTF8)(dest, capacity, destLength, src, srcLength, status);
}
static inline char *charrnn_u_strToUTF8(char *dest, int32_t capacity, int32_t *destLength,
                                        const uint16_t *src, int32_t srcLength, int32_t *status) {
    return CHARRNN_ICU(u_strToUTF8)(dest, capacity, destLength, src, srcLength, status);
}
#endif
