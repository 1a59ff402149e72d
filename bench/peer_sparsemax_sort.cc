// A sort-based sparsemax beside sm_sparsemax_rows_f32, registered like the
// peers with "sort_baseline" in the ISA slot:
//   sparsemax_f32/sort_baseline/n:1000/out/beta:1
//   sparsemax_rows_f32/sort_baseline/4096x1000/out/beta:1
// on bench_util.h's shapes (but the 16M row) at beta = 1. Per row: copy,
// std::sort descending, the cumulative sum in double up to the last k with
// 1 + k z_(k) > sum_{j<=k} z_(j), tau = (that sum - 1) / k, then
// max(0, z_i - tau): the textbook algorithm (Martins & Astudillo 2016).
// The untimed first call is checked against sm_sparsemax_rows_f32.
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

void run(benchmark::State &state, Shape shape)
{
    const std::size_t elements = shape.elements(), cols = shape.cols;
    IoBuffers buf(elements, elements);
    smbench::fill_logits(buf.in(), elements);
    std::vector<float> work(cols), ref(elements);
    auto call = [&] {
        for (std::size_t r = 0; r < shape.rows; r++)
            sparsemax_sorted(buf.in() + r * cols, cols, buf.out() + r * cols,
                             work);
    };
    call();
    if (sm_sparsemax_rows_f32(shape.rows, cols, buf.in(), cols, ref.data(),
                              cols, nullptr) != SM_OK) {
        state.SkipWithError("sm_sparsemax_rows_f32 failed");
        return;
    }
    for (std::size_t i = 0; i < elements; i++)
        if (!(std::fabs(ref[i] - buf.out()[i]) <= 1e-5f)) {
            state.SkipWithError("the baseline disagrees with the library");
            return;
        }
    for (auto _ : state) {
        call();
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, elements, 2 * elements * sizeof(float));
}

void add(const Shape &shape, bool single_row)
{
    std::string name = single_row ? "sparsemax_f32/sort_baseline/" +
                                        smbench::row_label(shape.cols)
                                  : "sparsemax_rows_f32/sort_baseline/" +
                                        smbench::shape_label(shape);
    name += "/out/beta:1";
    auto *b = benchmark::RegisterBenchmark(name.c_str(), run, shape);
    smbench::apply_defaults(b, shape.elements());
}

// Registered from a static initializer, as the other peers are.
const bool registered = [] {
    for (std::size_t n : smbench::kRowSizes)
        if (n < smbench::kHugeElements)
            add(Shape{1, n}, true);
    for (const Shape &shape : smbench::kBatchShapes)
        add(shape, false);
    return true;
}();

} // namespace
