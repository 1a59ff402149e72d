// What the peer harnesses (peer_onednn.cc, peer_xnnpack.cc) share: the
// cases they register, their names, their buffers and a sanity check of
// their output against libsoftmax.
//
// A peer case is one of bench_softmax.cc's cases with the implementation
// in the ISA slot, so one filter selects ours and theirs side by side:
//   softmax_f32/onednn/n:1000/out/beta:1
//   log_softmax_rows_f32/onednn/256x32000/in/beta:1
//   softmax_f32/xnnpack/n:32000/out/beta:1
// beta is always 1: none of the peers takes an inverse temperature (a
// caller would scale the logits first, which is a different amount of
// work). The peers have no logsumexp either; peer_torch.py times torch's.
//
// Each peer file registers its cases from a static initializer, because
// bench_softmax.cc's main() registers its own cases itself and has no hook
// for others. So the peers run first; the names, not the order, line the
// results up.
#ifndef SMBENCH_PEER_UTIL_H
#define SMBENCH_PEER_UTIL_H

#include "bench_util.h"

#include <softmax.h>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace smbench::peer {

enum class Op { kSoftmax, kLogSoftmax };

inline const char *op_name(Op op)
{
    return op == Op::kSoftmax ? "softmax" : "log_softmax";
}

struct Case {
    Op op;
    Shape shape;
    Placement placement;
    bool single_row; // named "n:<cols>" rather than "<rows>x<cols>"
};

inline std::string case_name(const char *impl, const Case &c)
{
    std::string name = op_name(c.op);
    name += c.single_row ? "_f32/" : "_rows_f32/";
    name += impl;
    name += '/';
    name += c.single_row ? row_label(c.shape.cols) : shape_label(c.shape);
    name += '/';
    name += placement_name(c.placement);
    name += "/beta:1";
    return name;
}

using Body = void (*)(benchmark::State &, const Case &);

// Every single-row size and batch shape of bench_util.h, for each op and
// placement the peer supports, in bench_softmax.cc's order (op, shape,
// placement).
inline void register_cases(const char *impl, std::initializer_list<Op> ops,
                           std::initializer_list<Placement> placements,
                           Body body)
{
    auto add = [&](Op op, const Shape &shape, bool single_row) {
        for (Placement p : placements) {
            const Case c{op, shape, p, single_row};
            auto *b = benchmark::RegisterBenchmark(case_name(impl, c).c_str(),
                                                   body, c);
            apply_defaults(b, shape.elements());
        }
    };
    for (Op op : ops) {
        for (std::size_t n : kRowSizes)
            add(op, Shape{1, n}, true);
        for (const Shape &shape : kBatchShapes)
            add(op, shape, false);
    }
}

// The same buffers and logits as bench_softmax.cc's run_case (the 4 KiB
// skew included), plus libsoftmax's result for them, taken before the peer
// runs (in place, the peer overwrites the logits).
class Io {
public:
    explicit Io(const Case &c)
        : case_(c), buf_(c.shape.elements(), c.shape.elements()),
          ref_(c.shape.elements())
    {
        const std::size_t rows = c.shape.rows, cols = c.shape.cols;
        fill_logits(buf_.in(), c.shape.elements());
        const auto f = c.op == Op::kSoftmax ? sm_softmax_rows_f32
                                            : sm_log_softmax_rows_f32;
        ref_ok_ = f(rows, cols, buf_.in(), cols, ref_.data(), cols,
                    nullptr) == SM_OK;
    }

    const float *x() const { return buf_.in(); }
    float *y() const
    {
        return case_.placement == Placement::kIn ? buf_.in() : buf_.out();
    }

    // After the peer's first (untimed) call: does its output agree with
    // libsoftmax's? The check is there to catch a wrong axis, op or layout
    // (which would time a different computation), not to grade accuracy,
    // so the bound is loose: the peers sum in float, and their error grows
    // with the row (about 3e-3 relative at 16M elements for oneDNN 2.6 and
    // XNNPACK 2022 softmax; a wrong computation is off by far more than 1%).
    bool output_matches() const
    {
        if (!ref_ok_)
            return false;
        constexpr double kTolerance = 1e-2;
        const float *y = this->y();
        for (std::size_t i = 0; i < ref_.size(); i++) {
            const double r = ref_[i], d = std::fabs(double{y[i]} - r);
            const double tol = case_.op == Op::kSoftmax
                                   ? kTolerance * r
                                   : kTolerance * (1.0 + std::fabs(r));
            if (!(d <= tol)) // also rejects NaN
                return false;
        }
        return true;
    }

    // Frees the reference before timing: 64 MiB at 16M elements, which
    // would otherwise sit in memory (not in cache) while the peer runs.
    void drop_reference() { std::vector<float>().swap(ref_); }

private:
    Case case_;
    IoBuffers buf_;
    std::vector<float> ref_;
    bool ref_ok_ = false;
};

// The counters of bench_softmax.cc: elements, and the compulsory traffic
// (read the input, write the output) so bytes/s compares with the floors.
inline void set_counters(benchmark::State &state, const Case &c)
{
    const std::size_t elements = c.shape.elements();
    set_throughput(state, elements, 2 * elements * sizeof(float));
}

} // namespace smbench::peer

#endif // SMBENCH_PEER_UTIL_H
