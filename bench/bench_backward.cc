// Microbenchmarks of the backward passes through the public C API, per ISA:
// sm_softmax_backward_rows_f32 and sm_log_softmax_backward_rows_f32, dx
// from the forward output y and an upstream gradient dy.
//
// Names follow bench_softmax's: op/ISA/shape/placement/beta, with "in" for
// dx == dy (a gradient updated in place) and "out" for a separate dx:
//   softmax_backward_rows_f32/avx512/256x1000/out/beta:1
// The flags do not change the backward arithmetic, so there is no "-fast"
// column. Shapes: one row (a decoder step), short rows in a batch (the
// one-block path, rows of at most 32 entries), a vocabulary's rows.
//   taskset -c 1 build/bench/bench_backward --benchmark_filter='/4096x16/'
#include "bench_util.h"

#include <softmax.h>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <vector>

namespace {

using smbench::Shape;

using Backward = sm_status (*)(std::size_t, std::size_t, const float *,
                               std::size_t, const float *, std::size_t,
                               float *, std::size_t, const sm_options *);

struct Op {
    const char *name;
    Backward call;
    bool log; // y is log-softmax output
};

const Op kOps[] = {
    {"softmax_backward", sm_softmax_backward_rows_f32, false},
    {"log_softmax_backward", sm_log_softmax_backward_rows_f32, true},
};

const Shape kShapes[] = {{1, 100},   {1, 1000}, {1, 32000}, {4096, 16},
                         {256, 100}, {256, 1000}, {64, 32000}};

struct Case {
    sm_isa isa;
    Shape shape;
    bool in_place;
};

// y: the forward output of logits in [-10, 10] (a probability row, or its
// log); dy: another such row, as an upstream gradient of that size.
void fill_inputs(const Op &op, const Shape &s, float *y, float *dy)
{
    const std::size_t n = s.elements();
    smbench::fill_logits(y, n, 42);
    smbench::fill_logits(dy, n, 7);
    for (std::size_t r = 0; r < s.rows; r++) {
        float *row = y + r * s.cols;
        const sm_status st = op.log ? sm_log_softmax_f32(s.cols, row, row)
                                    : sm_softmax_f32(s.cols, row, row);
        if (st != SM_OK)
            std::abort();
    }
}

void run_case(benchmark::State &state, const Op &op, const Case &c)
{
    if (sm_isa_force(c.isa) != SM_OK) {
        state.SkipWithError("ISA not supported");
        return;
    }
    const std::size_t n = c.shape.elements();
    // y and dy in one allocation (dy at the output's skewed offset), dx in
    // another unless it is dy.
    smbench::IoBuffers ydy(n, n);
    smbench::IoBuffers dxbuf(0, c.in_place ? 0 : n);
    float *y = ydy.in();
    float *dy = ydy.out();
    fill_inputs(op, c.shape, y, dy);
    float *dx = c.in_place ? dy : dxbuf.out();
    const std::size_t cols = c.shape.cols;
    const sm_options o{sizeof(sm_options), 1.0f, 0, nullptr};
    const sm_status st =
        op.call(c.shape.rows, cols, y, cols, dy, cols, dx, cols, &o);
    if (st != SM_OK) {
        state.SkipWithError(sm_strerror(st));
        return;
    }
    for (auto _ : state) {
        // In place, each call reads the previous call's dx as its dy: the
        // same work for any finite input, as the forward benchmarks note.
        benchmark::DoNotOptimize(
            op.call(c.shape.rows, cols, y, cols, dy, cols, dx, cols, &o));
        benchmark::ClobberMemory();
    }
    // Compulsory traffic: y and dy read, dx written.
    smbench::set_throughput(state, n, 3 * n * sizeof(float));
}

std::string case_name(const Op &op, const Case &c)
{
    return std::string(op.name) + "_rows_f32/" + sm_isa_name(c.isa) + "/" +
           smbench::shape_label(c.shape) + (c.in_place ? "/in" : "/out") +
           "/beta:1";
}

} // namespace

int main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::AddCustomContext("libsoftmax", sm_version());
    std::vector<sm_isa> isas;
    const unsigned mask = sm_isa_supported();
    for (int i = 0; i < SM_ISA_COUNT; i++)
        if (mask & (1u << i))
            isas.push_back(static_cast<sm_isa>(i));
    for (const Op &op : kOps)
        for (const Shape &shape : kShapes)
            for (bool in_place : {false, true})
                for (sm_isa isa : isas) {
                    const Case c{isa, shape, in_place};
                    auto *b = benchmark::RegisterBenchmark(
                        case_name(op, c).c_str(), run_case, op, c);
                    smbench::apply_defaults(b, shape.elements());
                }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
