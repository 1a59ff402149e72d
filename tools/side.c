#include "side.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Whether value is a list rather than a file name: one or more numbers and
 * nothing else. parse_numbers needs writable text. */
static bool reads_as_numbers(const char *value, int *status)
{
    char *copy = strdup(value);
    struct row row = {0};
    struct bad_token bad;
    *status = copy ? EXIT_OK : EXIT_FAILED;
    const bool list =
        copy && parse_numbers(copy, strlen(copy), &row, &bad) == PARSE_OK &&
        row.n > 0;
    row_free(&row);
    free(copy);
    return list;
}

int side_open(const char *option, const char *value, struct side *s)
{
    *s = (struct side){.name = value, .at = {value, "line", 0}};
    if (strcmp(value, "-") == 0) {
        s->in = stdin;
        s->name = s->at.file = "standard input";
        return EXIT_OK;
    }
    int status = EXIT_OK;
    if (strchr(value, ',') || reads_as_numbers(value, &status)) {
        s->text = strdup(value);
        s->in = s->text ? fmemopen(s->text, strlen(s->text), "r") : NULL;
        s->name = option;
        s->at = (struct source){option, NULL, 0};
        if (s->in)
            return EXIT_OK;
        fprintf(stderr, "softmax: %s: %s\n", option, strerror(errno));
    } else if (status == EXIT_OK) {
        s->in = fopen(value, "r");
        if (s->in)
            return EXIT_OK;
        fprintf(stderr, "softmax: %s: '%s' is no list of numbers, and cannot "
                        "be opened: %s\n", option, value, strerror(errno));
    } else {
        fprintf(stderr, "softmax: %s: out of memory\n", option);
    }
    side_close(s);
    return EXIT_FAILED;
}

void side_close(struct side *s)
{
    if (s->in && s->in != stdin)
        fclose(s->in);
    free(s->text);
    *s = (struct side){0};
}

void side_reader(const struct side *s, struct reader *r)
{
    reader_init(r, s->in, s->name, s->at);
}

int side_read_labels(const struct side *s, struct labels *out)
{
    struct reader r;
    side_reader(s, &r);
    int status;
    while (reader_line(&r, &status)) {
        struct bad_token bad;
        status = parse_status_exit(parse_labels(r.line, r.len, out, &bad),
                                   r.at, &bad, "label");
        if (status != EXIT_OK)
            break;
    }
    reader_free(&r);
    return status;
}

int side_read_values(const struct side *s, struct row *out)
{
    struct reader r;
    side_reader(s, &r);
    int status;
    while (reader_line(&r, &status)) {
        struct bad_token bad;
        status = parse_status_exit(parse_numbers(r.line, r.len, out, &bad),
                                   r.at, &bad, "number");
        if (status != EXIT_OK)
            break;
    }
    reader_free(&r);
    return status;
}
