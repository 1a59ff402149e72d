/* The long-double reference of a row's softmax statistics, and the ulp of
 * a float: what the accuracy bounds in softmax.h are measured against. */
#ifndef SM_TEST_LONG_DOUBLE_REFERENCE_H
#define SM_TEST_LONG_DOUBLE_REFERENCE_H

#include <math.h>
#include <stddef.h>

struct reference {
    long double m; /* the extremum */
    long double l; /* log sum exp(beta (x - m)), exact for a dominant class */
    double slack;  /* (3 + 2T) 2^-24 L: what f32 t_j = beta (x_j - M) costs */
};

static inline struct reference reference(const float *x, size_t n, float beta)
{
    long double m = beta > 0 ? -INFINITY : INFINITY;
    for (size_t i = 0; i < n; i++)
        m = beta > 0 ? fmaxl(m, x[i]) : fminl(m, x[i]);
    long double k = 0, s = 0, tmax = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] == m) {
            k += 1;
            continue;
        }
        const long double t = (long double)beta * ((long double)x[i] - m);
        s += expl(t);
        if (t > -104 && -t > tmax) /* below, e_j is 0 in f32 anyway */
            tmax = -t;
    }
    const long double l = logl(k) + log1pl(s / k);
    return (struct reference){m, l, (double)((3 + 2 * tmax) * 0x1p-24L * l)};
}

static inline double ulp_of(float v)
{
    const float a = fabsf(v);
    return (double)(nextafterf(a, INFINITY) - a);
}

#endif
