// Microbenchmarks of the losses through the public C API, per ISA and exp
// mode, beside a plain softmax of the same rows (the baseline: issue 5 asks
// that the fused cross-entropy with its gradient cost at most about 1.2x
// it). Names follow bench_softmax.cc's op/ISA/shape/placement/beta, with
// the placement saying what the call writes:
//   softmax_rows_f32/avx2/64x32000/out/beta:1       the baseline, y != x
//   cross_entropy_f32/avx2/64x32000/loss/beta:1     the loss only
//   cross_entropy_f32/avx2-fast/64x32000/in/beta:1  loss + gradient over x
//   cross_entropy_f32/avx2/64x32000/out/beta:1/smooth:0.1
//   kl_div_f32/scalar/256x10/out/beta:1             loss + gradient, g != x
// Every loss is a MEAN over the rows, as in training. Each case but the
// baseline also times itself against the baseline, alternately (see
// paired_ratio.h), for as long as its own timed loop ran: the counter
// vs_softmax is its time over the baseline's. After the usual output a
// table gives, per shape and ISA, the baseline's median CPU time and the
// median vs_softmax of every other case.
//
//   taskset -c 1 build/bench/bench_loss --benchmark_repetitions=3
//   taskset -c 1 build/bench/bench_loss --benchmark_filter='/64x32000/'
//   taskset -c 1 build/bench/bench_loss --benchmark_filter='^(softmax_rows|cross_entropy)_f32/avx2/'
#include "bench_util.h"
#include "paired_ratio.h"
#include "ratio_reporter.h"

#include <softmax.h>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using smbench::IoBuffers;
using smbench::Shape;

// A training batch over a small and a large vocabulary, one long LM-head
// row, and 10- and 100-class classifiers, where per-row costs dominate (a
// row of 100 is kept in registers on AVX-512). Keep in step with
// bench/peer_torch.py's LOSS_SHAPES.
constexpr Shape kLossShapes[] = {{64, 1000}, {64, 32000}, {1, 128000},
                                 {256, 100}, {256, 10}};

constexpr float kSmoothing = 0.1f;
constexpr float kDistillBeta = 0.5f; // T = 2

enum class Kind {
    kSoftmax,
    kCrossEntropy,
    kSoftCrossEntropy,
    kKl,
    kDistill,
    kEntropy
};

// What a call writes besides the loss: nothing, rows elsewhere (y or the
// gradient), or the gradient over the logits.
enum class Write { kLoss, kOut, kIn };

struct Variant {
    const char *column; // its column in the ratio table
    const char *op;     // its name's first slot
    Kind kind;
    Write write;
    float smoothing;
    int arrays; // rows x cols float arrays read or written: bytes/s
};

// The baseline first: the ratio table divides by it.
const Variant kVariants[] = {
    {"softmax us", "softmax_rows_f32", Kind::kSoftmax, Write::kOut, 0.0f, 2},
    {"sm-in", "softmax_rows_f32", Kind::kSoftmax, Write::kIn, 0.0f, 2},
    {"ce-loss", "cross_entropy_f32", Kind::kCrossEntropy, Write::kLoss, 0.0f, 1},
    {"ce-out", "cross_entropy_f32", Kind::kCrossEntropy, Write::kOut, 0.0f, 2},
    {"ce-in", "cross_entropy_f32", Kind::kCrossEntropy, Write::kIn, 0.0f, 2},
    {"ce-smooth", "cross_entropy_f32", Kind::kCrossEntropy, Write::kOut,
     kSmoothing, 2},
    {"soft-ce", "soft_cross_entropy_f32", Kind::kSoftCrossEntropy, Write::kOut,
     0.0f, 3},
    {"kl", "kl_div_f32", Kind::kKl, Write::kOut, 0.0f, 3},
    {"distill", "distillation_loss_f32", Kind::kDistill, Write::kOut, 0.0f, 3},
    {"entropy", "entropy_f32", Kind::kEntropy, Write::kOut, 0.0f, 2},
};

struct Case {
    sm_isa isa;
    sm_flags flags; // 0 (SLEEF's exp) or SM_FAST_EXP, named "<isa>-fast"
    Shape shape;
    const Variant *v;
};

// The arguments of one call; q is the target rows (soft cross-entropy,
// KL) or the teacher's logits (distillation).
struct Call {
    std::size_t rows, cols;
    const float *x, *q;
    const std::int32_t *labels;
    float *y; // the softmax or the gradient; NULL for the loss only
    float *loss;
    sm_flags flags;
    float smoothing;
};

sm_status invoke(Kind kind, const Call &c)
{
    const std::size_t k = c.cols;
    // beta 1 (distillation: kDistillBeta), MEAN, the case's exp mode
    const sm_loss_options lo{sizeof(sm_loss_options), 1.0f, c.flags,
                             SM_REDUCTION_MEAN, 0u};
    switch (kind) {
    case Kind::kSoftmax: {
        const sm_options o{sizeof(sm_options), 1.0f, c.flags, nullptr};
        return sm_softmax_rows_f32(c.rows, k, c.x, k, c.y, k, &o);
    }
    case Kind::kCrossEntropy: {
        sm_cross_entropy_options o = SM_CROSS_ENTROPY_OPTIONS_INIT;
        o.label_smoothing = c.smoothing;
        o.flags = c.flags;
        return sm_cross_entropy_rows_f32(c.rows, k, c.x, k, c.labels, c.loss,
                                         c.y, k, &o);
    }
    case Kind::kSoftCrossEntropy:
        return sm_soft_cross_entropy_rows_f32(c.rows, k, c.x, k, c.q, k,
                                              c.loss, c.y, k, &lo);
    case Kind::kKl:
        return sm_kl_div_rows_f32(c.rows, k, c.x, k, c.q, k, c.loss, c.y, k,
                                  &lo);
    case Kind::kDistill: {
        sm_loss_options d = lo;
        d.beta = kDistillBeta;
        return sm_distillation_rows_f32(c.rows, k, c.x, k, c.q, k, c.loss, c.y,
                                        k, &d);
    }
    case Kind::kEntropy:
        return sm_entropy_rows_f32(c.rows, k, c.x, k, c.loss, c.y, k, &lo);
    }
    return SM_EINVAL;
}

// Labels spread over the classes, the same on every run.
std::vector<std::int32_t> make_labels(const Shape &s)
{
    std::vector<std::int32_t> labels(s.rows);
    std::uint64_t state = 7;
    for (std::int32_t &l : labels)
        l = static_cast<std::int32_t>(smbench::splitmix64(state) % s.cols);
    return labels;
}

// The case's call timed against the baseline's on the same shape, ISA
// and exp mode (with buffers of its own), alternately.
double versus_softmax(const Case &c, const Call &call, double seconds)
{
    const std::size_t elements = c.shape.elements();
    IoBuffers buf(elements, elements);
    smbench::fill_logits(buf.in(), elements);
    Call base = call;
    base.x = buf.in();
    base.y = buf.out();
    const Kind kind = c.v->kind;
    return smbench::paired_ratio(
        [&] { benchmark::DoNotOptimize(invoke(kind, call)); },
        [&] { benchmark::DoNotOptimize(invoke(Kind::kSoftmax, base)); },
        seconds);
}

void run_case(benchmark::State &state, const Case &c)
{
    // The ISA choice is process-wide: set it before every case.
    if (sm_isa_force(c.isa) != SM_OK) {
        state.SkipWithError("ISA not supported");
        return;
    }
    const Variant &v = *c.v;
    const std::size_t elements = c.shape.elements();
    IoBuffers buf(elements, v.write == Write::kOut ? elements : 0);
    smbench::fill_logits(buf.in(), elements);
    // Targets are a softmax of other logits; the teacher's are logits.
    const bool targets =
        v.kind == Kind::kSoftCrossEntropy || v.kind == Kind::kKl;
    const bool second_rows = targets || v.kind == Kind::kDistill;
    IoBuffers second(second_rows ? elements : 0, 0);
    smbench::fill_logits(second.in(), second_rows ? elements : 0, 4242);
    if (targets &&
        sm_softmax_rows_f32(c.shape.rows, c.shape.cols, second.in(),
                            c.shape.cols, second.in(), c.shape.cols,
                            nullptr) != SM_OK) {
        state.SkipWithError("the targets' softmax failed");
        return;
    }
    const std::vector<std::int32_t> labels = make_labels(c.shape);
    float loss = 0.0f;
    float *y = v.write == Write::kOut  ? buf.out()
               : v.write == Write::kIn ? buf.in()
                                       : nullptr;
    const Call call{c.shape.rows, c.shape.cols, buf.in(), second.in(),
                    labels.data(), y, &loss, c.flags, v.smoothing};

    // As in bench_softmax: one untimed call checks the arguments and warms
    // up. In place, later calls see the previous gradient (or softmax)
    // instead of logits: other numbers, the same work.
    const sm_status st = invoke(v.kind, call);
    if (st != SM_OK) {
        state.SkipWithError(sm_strerror(st));
        return;
    }
    const double t0 = smbench::thread_cpu_seconds();
    for (auto _ : state) {
        benchmark::DoNotOptimize(invoke(v.kind, call));
        benchmark::ClobberMemory();
    }
    const double seconds = smbench::thread_cpu_seconds() - t0;
    smbench::set_throughput(state, elements,
                            elements * sizeof(float) *
                                static_cast<std::size_t>(v.arrays));
    if (&v != &kVariants[0])
        state.counters["vs_softmax"] = versus_softmax(c, call, seconds);
}

// ---- registration ---------------------------------------------------------

std::string isa_label(sm_isa isa, sm_flags flags)
{
    return std::string(sm_isa_name(isa)) + (flags & SM_FAST_EXP ? "-fast" : "");
}

std::string case_name(const Case &c)
{
    static const char *const writes[] = {"loss", "out", "in"};
    std::string name = c.v->op;
    name += '/' + isa_label(c.isa, c.flags) + '/' + smbench::shape_label(c.shape);
    name += '/';
    name += writes[static_cast<int>(c.v->write)];
    name += "/beta:";
    name += smbench::format_beta(c.v->kind == Kind::kDistill
                                     ? kDistillBeta
                                     : 1.0f);
    if (c.v->smoothing != 0.0f)
        name += "/smooth:" + smbench::format_beta(c.v->smoothing);
    return name;
}

// Shape, then ISA and exp mode, then the variants: one line of the table
// after another.
void register_all(smbench::RatioReporter &table)
{
    const unsigned supported = sm_isa_supported();
    for (const Shape &shape : kLossShapes)
        for (int i = 0; i < SM_ISA_COUNT; i++) {
            if (!(supported & (1u << i)))
                continue;
            for (sm_flags flags : {0u, SM_FAST_EXP}) {
                const sm_isa isa = static_cast<sm_isa>(i);
                std::vector<std::string> names;
                for (const Variant &v : kVariants) {
                    const Case c{isa, flags, shape, &v};
                    names.push_back(case_name(c));
                    auto *b = benchmark::RegisterBenchmark(names.back().c_str(),
                                                           run_case, c);
                    smbench::apply_defaults(b, shape.elements());
                }
                table.add_line(smbench::shape_label(shape),
                               isa_label(isa, flags), names);
            }
        }
}

std::vector<std::string> columns()
{
    std::vector<std::string> c;
    for (const Variant &v : kVariants)
        c.push_back(v.column);
    return c;
}

} // namespace

int main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::AddCustomContext("libsoftmax", sm_version());
    benchmark::AddCustomContext("cpu_features", sm_cpu_features());

    smbench::RatioReporter table(
        "Median CPU time of softmax_rows_f32/<isa>/<shape>/out/beta:1 (us),\n"
        "and each case's median vs_softmax: its time over that softmax's,\n"
        "timed alternately (issue 5's target: ce-out and ce-in at most about "
        "1.2)",
        columns(), "vs_softmax");
    register_all(table);
    benchmark::RunSpecifiedBenchmarks(&table);
    benchmark::Shutdown();
    return 0;
}
