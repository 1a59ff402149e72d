/* A downstream program built against the installed header and library
 * (through pkg-config): softmax of a small row, its values and the
 * library's version. Exits non-zero if the call fails or the sum is off. */
#include <math.h>
#include <stdio.h>

#include <softmax.h>

int main(void)
{
    const float x[7] = {1.0f, 2.0f, 3.0f, 4.0f, 1.0f, 2.0f, 3.0f};
    float y[7];
    const sm_status st = sm_softmax_f32(7, x, y);
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
    return 0;
}
