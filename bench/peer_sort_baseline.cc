// The sort-based sampler of sort_sampler.h (llama.cpp's CPU chain) beside
// sm_sample_rows_f32, registered like the peers (see peer_util.h) with
// "sort_baseline" in the ISA slot:
//   sample_f32/sort_baseline/n:128000/out/beta:1           temperature only
//   sample_filtered_f32/sort_baseline/n:128000/out/beta:1  top-k 40,
//                                                          min-p 0.05, top-p 0.95
//   sample_filtered_rows_f32/sort_baseline/256x32000/out/beta:0.5
// on every shape and beta of bench_softmax.cc's sample cells, a row at a
// time.
//
// Each case (but the 16M rows) also times the baseline against
// sm_sample_rows_f32 on the same rows, alternately (paired_ratio.h), once
// per ISA this CPU and build support, for as long as its own timed loop
// ran: the counter vs_<isa> is the baseline's time over ours at that ISA,
// a ratio that stays steady on a loaded machine where the separate cells'
// times do not:
//   taskset -c 1 build/bench/bench_softmax --benchmark_filter='^sample_filtered_f32/(sort_baseline|avx2|avx512)/n:128000/out/beta:1$'
//
// The untimed first call is also a check, on the case's first row: with
// top-k 1 the baseline returns the argmax, and the token sm_sample_rows_f32
// draws for several counters lies in the baseline's kept set with the same
// probability within it (both sets are most probable prefixes, so equal
// probabilities mean equal sets).
#include "bench_util.h"
#include "paired_ratio.h"
#include "sort_sampler.h"

#include <softmax.h>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using smbench::IoBuffers;
using smbench::Shape;
using smbench::SortSampler;
using smbench::SortSamplerOptions;

struct Filters {
    const char *op; // bench_softmax.cc's op name
    std::int32_t top_k;
    float top_p;
    float min_p;
};

// bench_softmax.cc's sample and sample_filtered (llama.cpp's defaults).
constexpr Filters kFilters[] = {{"sample", 0, 1.0f, 0.0f},
                                {"sample_filtered", 40, 0.95f, 0.05f}};

struct Case {
    const Filters *f;
    Shape shape;
    bool single_row;
    float beta;
};

SortSamplerOptions baseline_options(const Case &c)
{
    SortSamplerOptions o;
    o.beta = c.beta;
    o.top_k = c.f->top_k;
    o.top_p = c.f->top_p;
    o.min_p = c.f->min_p;
    return o;
}

sm_sampler_options our_options(const Case &c)
{
    sm_sampler_options o = SM_SAMPLER_OPTIONS_INIT;
    o.beta = c.beta;
    o.top_k = c.f->top_k;
    o.top_p = c.f->top_p;
    o.min_p = c.f->min_p;
    return o;
}

// The baseline's probability of token within its last kept set, or -1
// where the set does not hold it.
double kept_probability(const SortSampler &s, std::int32_t token)
{
    for (std::size_t i = 0; i < s.kept_size(); i++)
        if (s.kept()[i].id == token)
            return s.kept()[i].p;
    return -1.0;
}

// The check of the header comment on one row; an error message, or
// nullptr.
const char *check_row(const Case &c, const float *x)
{
    const std::size_t n = c.shape.cols;
    SortSampler s(1);
    SortSamplerOptions greedy;
    greedy.beta = c.beta;
    greedy.top_k = 1;
    std::int32_t argmax = -1;
    if (sm_argmax_f32(n, x, &argmax) != SM_OK || s.sample(x, n, greedy) != argmax)
        return "top-k 1 is not the argmax";

    // A kept set one entry off changes a filtered set's mass by more than
    // min-p's 0.05 / 40 of it. Unfiltered, the baseline's probabilities
    // are off by its float sum over the whole row, which drifts by about
    // 1e-9 n relative on these logits: the bound grows with the row.
    const bool filtered = c.f->top_k > 0;
    const double tolerance =
        filtered ? 1e-4 : 1e-4 + 4e-9 * static_cast<double>(n);
    s.sample(x, n, baseline_options(c));
    const sm_sampler_options o = our_options(c);
    for (std::uint64_t counter = 0; counter < 8; counter++) {
        std::int32_t token = -1;
        float prob = 0.0f;
        if (sm_sample_rows_f32(1, n, x, n, &counter, &token, &prob, nullptr,
                               &o) != SM_OK)
            return "sm_sample_rows_f32 failed";
        const double p = kept_probability(s, token);
        if (!(std::fabs(p - double{prob}) <= tolerance * p))
            return "kept set differs from sm_sample_rows_f32's";
    }
    return nullptr;
}

void run_sort_baseline(benchmark::State &state, const Case &c)
{
    const std::size_t rows = c.shape.rows, cols = c.shape.cols;
    const std::size_t elements = c.shape.elements();
    IoBuffers buf(elements, rows);
    smbench::fill_logits(buf.in(), elements);
    const float *x = buf.in();
    std::int32_t *token = reinterpret_cast<std::int32_t *>(buf.out());
    if (const char *error = check_row(c, x)) {
        state.SkipWithError(error);
        return;
    }

    SortSampler sampler(42);
    const SortSamplerOptions o = baseline_options(c);
    auto call = [&] {
        for (std::size_t r = 0; r < rows; r++)
            token[r] = sampler.sample(x + r * cols, cols, o);
    };
    call(); // untimed: page faults and caches, as bench_softmax's first call
    const double t0 = smbench::thread_cpu_seconds();
    for (auto _ : state) {
        call();
        benchmark::ClobberMemory();
    }
    const double seconds = smbench::thread_cpu_seconds() - t0;
    smbench::set_throughput(state, elements, elements * sizeof(float));

    // Against ours, ISA by ISA, on the same rows (counters 0, 1, ... as in
    // bench_softmax.cc), into a buffer of its own. Not on the huge rows,
    // where the baseline's second a call would make the pairs last a
    // minute per case.
    if (elements >= smbench::kHugeElements)
        return;
    std::vector<std::uint64_t> counter(rows);
    for (std::size_t r = 0; r < rows; r++)
        counter[r] = r;
    std::vector<std::int32_t> ours(rows);
    const sm_sampler_options so = our_options(c);
    const unsigned supported = sm_isa_supported();
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        const sm_isa isa = static_cast<sm_isa>(i);
        if (!(supported & (1u << i)) || sm_isa_force(isa) != SM_OK)
            continue;
        state.counters[std::string("vs_") + sm_isa_name(isa)] =
            smbench::paired_ratio(
                [&] {
                    call();
                    benchmark::ClobberMemory();
                },
                [&] {
                    benchmark::DoNotOptimize(sm_sample_rows_f32(
                        rows, cols, x, cols, counter.data(), ours.data(),
                        nullptr, nullptr, &so));
                    benchmark::ClobberMemory();
                },
                seconds);
    }
    // Back to the automatic choice (bench_softmax.cc's cases force theirs).
    if (sm_isa_force(SM_ISA_AUTO) != SM_OK)
        state.SkipWithError("cannot return to the automatic ISA");
}

std::string case_name(const Case &c)
{
    std::string name = c.f->op;
    name += c.single_row ? "_f32" : "_rows_f32";
    name += "/sort_baseline/";
    name += c.single_row ? smbench::row_label(c.shape.cols)
                         : smbench::shape_label(c.shape);
    name += "/out/beta:" + smbench::format_beta(c.beta);
    return name;
}

// bench_softmax.cc's order for the sample ops: op, shape, beta.
[[maybe_unused]] const bool registered = [] {
    benchmark::AddCustomContext(
        "sort_baseline", "candidates, std::partial_sort top-k, std::sort "
                         "top-p, std::discrete_distribution on std::mt19937");
    auto add = [](const Filters &f, const Shape &shape, bool single_row) {
        for (float beta : smbench::kBetas) {
            const Case c{&f, shape, single_row, beta};
            auto *b = benchmark::RegisterBenchmark(case_name(c).c_str(),
                                                   run_sort_baseline, c);
            smbench::apply_defaults(b, shape.elements());
        }
    };
    for (const Filters &f : kFilters) {
        for (std::size_t n : smbench::kRowSizes)
            add(f, Shape{1, n}, true);
        for (const Shape &shape : smbench::kBatchShapes)
            add(f, shape, false);
    }
    return true;
}();

} // namespace
