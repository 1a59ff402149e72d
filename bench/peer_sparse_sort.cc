// Sort-based sparsemax and 1.5-entmax beside sm_sparsemax_rows_f32 and
// sm_entmax_rows_f32, registered like the peers with "sort_baseline" in the
// ISA slot:
//   sparsemax_f32/sort_baseline/n:1000/out/beta:1
//   entmax15_rows_f32/sort_baseline/4096x1000/out/beta:1
// on bench_util.h's shapes (but the 16M row) at beta = 1. Each copies the
// row, runs std::sort descending and scans the sorted values for the
// support; the sums are in double. The untimed first call is checked
// against the library, and a disagreement ends the benchmark with an error.
#include "bench_util.h"

#include <softmax.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace {

using smbench::IoBuffers;
using smbench::Shape;

// The textbook sparsemax (Martins & Astudillo 2016): the cumulative sum up
// to the last k with 1 + k z_(k) > sum_{j<=k} z_(j), tau = (that sum - 1) /
// k, then max(0, z_i - tau).
void sparsemax_sorted(const float *x, std::size_t n, float *y,
                      std::vector<float> &work)
{
    work.assign(x, x + n);
    std::sort(work.begin(), work.end(), std::greater<float>());
    double cum = 0, kept = 0;
    std::size_t k = 0;
    for (std::size_t j = 0; j < n; j++) {
        cum += work[j];
        if (1.0 + double(j + 1) * work[j] > cum) {
            k = j + 1;
            kept = cum;
        } else {
            break; // the condition holds for a prefix only
        }
    }
    const float tau = static_cast<float>((kept - 1.0) / double(k));
    for (std::size_t i = 0; i < n; i++)
        y[i] = std::max(0.0f, x[i] - tau);
}

// The exact sort-based 1.5-entmax (Peters, Niculae & Martins 2019) of
// t = (x - max x) / 2, the library's t at beta = 1 with the same rounding.
// Over the k largest t: mean_k, the mean of squares ss_k, delta_k = (1 -
// k (ss_k - mean_k^2)) / k and tau_k = mean_k - sqrt(delta_k); tau is
// tau_k for the largest k with tau_k <= t_(k); p_i = max(t_i - tau, 0)^2.
void entmax15_sorted(const float *x, std::size_t n, float *y,
                     std::vector<float> &work)
{
    const float m = *std::max_element(x, x + n);
    for (std::size_t i = 0; i < n; i++)
        y[i] = (x[i] - m) * 0.5f;
    work.assign(y, y + n);
    std::sort(work.begin(), work.end(), std::greater<float>());
    double sum = 0, sum_sq = 0, tau = 0;
    for (std::size_t j = 0; j < n; j++) {
        const double t = work[j], k = double(j + 1);
        sum += t;
        sum_sq += t * t;
        const double mean = sum / k;
        const double delta = (1.0 - k * (sum_sq / k - mean * mean)) / k;
        if (delta >= 0 && mean - std::sqrt(delta) <= t)
            tau = mean - std::sqrt(delta);
    }
    const float tf = static_cast<float>(tau);
    for (std::size_t i = 0; i < n; i++) {
        const float d = std::max(y[i] - tf, 0.0f);
        y[i] = d * d;
    }
}

sm_status sparsemax_library(const Shape &s, const float *x, float *y)
{
    return sm_sparsemax_rows_f32(s.rows, s.cols, x, s.cols, y, s.cols,
                                 nullptr);
}

sm_status entmax15_library(const Shape &s, const float *x, float *y)
{
    return sm_entmax_rows_f32(s.rows, s.cols, x, s.cols, y, s.cols, nullptr);
}

struct Baseline {
    const char *op; // the library's benchmark name, as in bench_softmax.cc
    void (*row)(const float *, std::size_t, float *, std::vector<float> &);
    sm_status (*library)(const Shape &, const float *, float *);
    float tolerance; // the largest |baseline - library| accepted
};

const Baseline kBaselines[] = {
    {"sparsemax", sparsemax_sorted, sparsemax_library, 1e-5f},
    {"entmax15", entmax15_sorted, entmax15_library, 1e-6f},
};

void run(benchmark::State &state, const Baseline *base, Shape shape)
{
    const std::size_t elements = shape.elements(), cols = shape.cols;
    IoBuffers buf(elements, elements);
    smbench::fill_logits(buf.in(), elements);
    std::vector<float> work(cols), ref(elements);
    auto call = [&] {
        for (std::size_t r = 0; r < shape.rows; r++)
            base->row(buf.in() + r * cols, cols, buf.out() + r * cols, work);
    };
    call();
    if (base->library(shape, buf.in(), ref.data()) != SM_OK) {
        state.SkipWithError("the library's call failed");
        return;
    }
    for (std::size_t i = 0; i < elements; i++)
        if (!(std::fabs(ref[i] - buf.out()[i]) <= base->tolerance)) {
            state.SkipWithError("the baseline disagrees with the library");
            return;
        }
    for (auto _ : state) {
        call();
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, elements, 2 * elements * sizeof(float));
}

void add(const Baseline &base, const Shape &shape, bool single_row)
{
    std::string name = base.op;
    name += single_row ? "_f32/sort_baseline/" + smbench::row_label(shape.cols)
                       : "_rows_f32/sort_baseline/" +
                             smbench::shape_label(shape);
    name += "/out/beta:1";
    auto *b = benchmark::RegisterBenchmark(name.c_str(), run, &base, shape);
    smbench::apply_defaults(b, shape.elements());
}

// Registered from a static initializer, as the other peers are.
const bool registered = [] {
    for (const Baseline &base : kBaselines) {
        for (std::size_t n : smbench::kRowSizes)
            if (n < smbench::kHugeElements)
                add(base, Shape{1, n}, true);
        for (const Shape &shape : smbench::kBatchShapes)
            add(base, shape, false);
    }
    return true;
}();

} // namespace
