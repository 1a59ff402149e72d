// The time of one call over another's, measured alternately: blocks of
// calls of each, in A B B A order, each block timed in this thread's CPU
// time. On a loaded machine separate benchmarks minutes apart see
// different neighbours (their time slices, their cache footprint); blocks
// a millisecond apart see the same, so the ratio keeps steady where the
// absolute times do not, and the ABBA order cancels a steady drift.
#ifndef SMBENCH_PAIRED_RATIO_H
#define SMBENCH_PAIRED_RATIO_H

#include <time.h>

namespace smbench {

inline double thread_cpu_seconds()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <class F>
double time_block(F &f, long calls)
{
    const double t0 = thread_cpu_seconds();
    for (long i = 0; i < calls; i++)
        f();
    return thread_cpu_seconds() - t0;
}

// time(a) / time(b), over at least `seconds` of CPU time and 8 blocks of
// each; a block lasts about a millisecond of b, long enough that the
// clock's cost and the first, colder call of a block do not count.
template <class A, class B>
double paired_ratio(A a, B b, double seconds)
{
    long calls = 1;
    while (time_block(b, calls) < 1e-3 && calls < (1L << 24))
        calls *= 2;
    double ta = 0.0, tb = 0.0;
    for (int pairs = 0; pairs < 4 || ta + tb < seconds; pairs++) {
        ta += time_block(a, calls);
        tb += time_block(b, calls);
        tb += time_block(b, calls);
        ta += time_block(a, calls);
    }
    return ta / tb;
}

} // namespace smbench

#endif // SMBENCH_PAIRED_RATIO_H
