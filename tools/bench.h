/* 'softmax bench': the library's throughput per ISA and exp mode on this
 * machine, as a table. */
#ifndef SOFTMAX_TOOL_BENCH_H
#define SOFTMAX_TOOL_BENCH_H

/* argv[0] is "bench"; the rest are its options. Returns the exit status
 * (0, 1 library or I/O error, 2 usage error) after printing the table, or
 * the problem on stderr. */
int bench_main(int argc, char **argv);

#endif
