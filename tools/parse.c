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

static bool row_push(struct row *row, float x)
{
    if (row->n == row->cap) {
        /* cap never exceeds SIZE_MAX / sizeof(float), so doubling it
         * cannot wrap. */
        const size_t cap = row->cap ? row->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof(float))
            return false;
        float *v = realloc(row->v, cap * sizeof(float));
        if (!v)
            return false;
        row->v = v;
        row->cap = cap;
    }
    row->v[row->n++] = x;
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

enum parse_status parse_numbers(char *text, size_t len, struct row *row,
                                struct bad_token *bad)
{
    size_t i = 0;
    while (i < len) {
        if (is_separator(text[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && !is_separator(text[j]))
            j++;
        float x;
        if (!read_token(text + i, j - i, &x)) {
            *bad = (struct bad_token){i + 1, text + i, j - i};
            return PARSE_BAD_TOKEN;
        }
        if (!row_push(row, x))
            return PARSE_NOMEM;
        i = j;
    }
    return PARSE_OK;
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
