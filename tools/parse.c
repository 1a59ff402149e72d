#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every byte isspace() accepts in the C locale, plus the comma. Listing all
 * of them keeps strtof from skipping leading blanks inside a token. */
static bool is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           c == '\v' || c == '\f';
}

void *array_reserve(void *v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return v;
    /* Doubling stops before cap_new * elem could wrap. */
    size_t cap_new = *cap ? *cap : 64;
    while (cap_new < need) {
        if (cap_new > SIZE_MAX / elem / 2)
            return NULL;
        cap_new *= 2;
    }
    void *p = realloc(v, cap_new * elem);
    if (p)
        *cap = cap_new;
    return p;
}

static bool row_push(struct row *row, float x)
{
    float *v = array_reserve(row->v, &row->cap, row->n + 1, sizeof *v);
    if (!v)
        return false;
    row->v = v;
    row->v[row->n++] = x;
    return true;
}

bool row_append(struct row *row, const float *v, size_t n)
{
    if (n == 0)
        return true;
    float *p = n <= SIZE_MAX - row->n
                   ? array_reserve(row->v, &row->cap, row->n + n, sizeof *p)
                   : NULL;
    if (!p)
        return false;
    row->v = p;
    memcpy(row->v + row->n, v, n * sizeof(float));
    row->n += n;
    return true;
}

/* Reads the token text[0..len), which is followed by a separator or the
 * terminating '\0'; that byte is NUL-ed for strtof and put back. */
static bool read_token(char *text, size_t len, float *x)
{
    const char saved = text[len];
    text[len] = '\0';
    char *end;
    *x = strtof(text, &end);
    text[len] = saved;
    return end == text + len;
}

/* The next token at or after *i in text[0..len): its start in *i and its
 * length in *tlen; false when only separators are left. */
static bool next_token(const char *text, size_t len, size_t *i, size_t *tlen)
{
    while (*i < len && is_separator(text[*i]))
        (*i)++;
    size_t j = *i;
    while (j < len && !is_separator(text[j]))
        j++;
    *tlen = j - *i;
    return *tlen > 0;
}

enum parse_status parse_numbers(char *text, size_t len, struct row *row,
                                struct bad_token *bad)
{
    size_t i = 0, tlen;
    for (; next_token(text, len, &i, &tlen); i += tlen) {
        float x;
        if (!read_token(text + i, tlen, &x)) {
            *bad = (struct bad_token){i + 1, text + i, tlen};
            return PARSE_BAD_TOKEN;
        }
        if (!row_push(row, x))
            return PARSE_NOMEM;
    }
    return PARSE_OK;
}

/* Like read_token, for a decimal integer that fits in int32_t. */
static bool read_label(char *text, size_t len, int32_t *x)
{
    const char saved = text[len];
    text[len] = '\0';
    long v;
    const bool ok = parse_int_in(text, INT32_MIN, INT32_MAX, &v);
    text[len] = saved;
    *x = (int32_t)v;
    return ok;
}

enum parse_status parse_labels(char *text, size_t len, struct labels *labels,
                               struct bad_token *bad)
{
    size_t i = 0, tlen;
    for (; next_token(text, len, &i, &tlen); i += tlen) {
        int32_t x;
        if (!read_label(text + i, tlen, &x)) {
            *bad = (struct bad_token){i + 1, text + i, tlen};
            return PARSE_BAD_TOKEN;
        }
        int32_t *v = array_reserve(labels->v, &labels->cap, labels->n + 1,
                                   sizeof *v);
        if (!v)
            return PARSE_NOMEM;
        labels->v = v;
        labels->v[labels->n++] = x;
    }
    return PARSE_OK;
}

void labels_free(struct labels *labels)
{
    free(labels->v);
    *labels = (struct labels){0};
}

void row_free(struct row *row)
{
    free(row->v);
    *row = (struct row){0};
}

bool parse_double(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end != s && *end == '\0';
}

bool parse_int_in(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool arg_is_negative_number(const char *arg)
{
    if (arg[0] != '-')
        return false;
    const char *s = arg + 1;
    /* No short option of the tool is a digit, '.', 'i' or 'n', so these
     * cannot be mistaken for a cluster of options. */
    return isdigit((unsigned char)s[0]) || s[0] == '.' ||
           strncasecmp(s, "inf", 3) == 0 || strncasecmp(s, "nan", 3) == 0;
}
