#include "reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void reader_init(struct reader *r, FILE *in, const char *name,
                 struct source at)
{
    *r = (struct reader){.in = in, .name = name, .at = at};
}

bool reader_line(struct reader *r, int *status)
{
    *status = EXIT_OK;
    const ssize_t len = getline(&r->line, &r->cap, r->in);
    if (len != -1) {
        r->len = (size_t)len;
        r->at.index++;
        return true;
    }
    if (!feof(r->in)) { /* getline failed: I/O or memory */
        fprintf(stderr, "softmax: %s: %s\n", r->name, strerror(errno));
        *status = EXIT_FAILED;
    }
    return false;
}

int reader_row(struct reader *r, struct row *row, bool *got)
{
    int status;
    *got = false;
    while (reader_line(r, &status)) {
        struct bad_token bad;
        row->n = 0;
        status = parse_status_exit(parse_numbers(r->line, r->len, row, &bad),
                                   r->at, &bad, "number");
        if (status != EXIT_OK || row->n > 0) {
            *got = status == EXIT_OK;
            return status;
        }
    }
    return status;
}

void reader_free(struct reader *r)
{
    free(r->line);
    r->line = NULL;
    r->cap = 0;
}
