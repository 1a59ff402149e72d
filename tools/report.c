#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* Longer bad tokens are cut short in messages. */
#define TOKEN_SHOWN 40

void print_source(FILE *out, struct source src)
{
    if (src.file)
        fputs(src.file, out);
    if (src.kind)
        fprintf(out, "%s%s %zu", src.file ? ": " : "", src.kind, src.index);
}

/* Control bytes are shown as \xNN so that a message stays one clean line. */
static void print_token(FILE *out, const char *text, size_t len)
{
    const size_t shown = len > TOKEN_SHOWN ? TOKEN_SHOWN : len;
    for (size_t i = 0; i < shown; i++) {
        const unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            putc(c, out);
    }
    if (shown < len)
        fputs("...", out);
}

void report_bad_token(struct source src, const struct bad_token *bad,
                      const char *what)
{
    fflush(stdout); /* earlier rows first, when both go to a terminal */
    fputs("softmax: ", stderr);
    print_source(stderr, src);
    fprintf(stderr, ", column %zu: invalid %s '", bad->column, what);
    print_token(stderr, bad->text, bad->len);
    fputs("'\n", stderr);
}

int parse_status_exit(enum parse_status st, struct source src,
                      const struct bad_token *bad, const char *what)
{
    switch (st) {
    case PARSE_OK:
        return EXIT_OK;
    case PARSE_BAD_TOKEN:
        report_bad_token(src, bad, what);
        return EXIT_USAGE;
    case PARSE_NOMEM:
        break;
    }
    fputs("softmax: ", stderr);
    print_source(stderr, src);
    fputs(": out of memory\n", stderr);
    return EXIT_FAILED;
}

int input_error(struct source src, const char *fmt, ...)
{
    fflush(stdout);
    fputs("softmax: ", stderr);
    print_source(stderr, src);
    fputs(": ", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    putc('\n', stderr);
    return EXIT_USAGE;
}

void print_value(const struct options *o, float x)
{
    if (isnan(x)) { /* glibc would print "-nan" for a NaN with its sign set */
        fputs("nan", stdout);
        return;
    }
    switch (o->conversion) {
    case 'e':
        printf("%.*e", o->precision, (double)x);
        break;
    case 'g':
        printf("%.*g", o->precision, (double)x);
        break;
    default:
        printf("%.*f", o->precision, (double)x);
        break;
    }
}

void print_values(const struct options *o, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar(' ');
        print_value(o, v[i]);
    }
    putchar('\n');
}

int check_stdout(void)
{
    if (!ferror(stdout))
        return EXIT_OK;
    fprintf(stderr, "softmax: write error: %s\n", strerror(errno));
    return EXIT_FAILED;
}
