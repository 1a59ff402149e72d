/* A downstream program built against the installed header and library
 * (through pkg-config): softmax of a small row, its values and the
 * library's version, then the same rows through the batched form with
 * options. Exits non-zero if a call fails or a result is off. */
#include <math.h>
#include <stdio.h>

#include <softmax.h>

int main(void)
{
    const float x[7] = {1.0f, 2.0f, 3.0f, 4.0f, 1.0f, 2.0f, 3.0f};
    float y[7], logy[7];
    sm_status st = sm_softmax_f32(7, x, y);
    if (st != SM_OK) {
        fprintf(stderr, "sm_softmax_f32: %s\n", sm_strerror(st));
        return 1;
    }
    double sum = 0.0;
    printf("softmax:");
    for (int i = 0; i < 7; i++) {
        printf(" %.3f", y[i]);
        sum += y[i];
    }
    printf("\n");
    printf("version: %s\n", sm_version());
    if (fabs(sum - 1.0) > 1e-6) {
        fprintf(stderr, "sum of probabilities is %.9g, not 1\n", sum);
        return 1;
    }
    /* log-softmax at beta 1 through the options: exp of it is softmax. */
    sm_options o = SM_OPTIONS_INIT;
    o.beta = 1.0f;
    st = sm_log_softmax_rows_f32(1, 7, x, 7, logy, 7, &o);
    if (st != SM_OK) {
        fprintf(stderr, "sm_log_softmax_rows_f32: %s\n", sm_strerror(st));
        return 1;
    }
    for (int i = 0; i < 7; i++) {
        if (fabs(exp(logy[i]) - y[i]) > 1e-6) {
            fprintf(stderr, "exp(log-softmax) %.9g != softmax %.9g at %d\n",
                    exp(logy[i]), (double)y[i], i);
            return 1;
        }
    }
    return 0;
}
