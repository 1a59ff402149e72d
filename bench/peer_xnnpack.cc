// Peer: XNNPACK's softmax operator, registered as softmax_f32/xnnpack/...
// and softmax_rows_f32/xnnpack/... (see peer_util.h for the naming).
// Compiled in only when meson finds XNNPACK.
//
// Debian 12's XNNPACK (a 2022 snapshot) has an f32 softmax operator but no
// log-softmax, so only softmax is registered. Each case creates and sets up
// the operator outside the timed loop and times xnn_run_operator() alone.
// No thread pool is passed, so XNNPACK runs on the calling thread, like
// the other benchmarks.
//
// In place: XNNPACK's documentation says nothing either way. Its f32
// softmax reads each input block before writing the same output block, so
// it works; the output check below would catch a version where it did not.
#include "peer_util.h"

#include <xnnpack.h>

#include <benchmark/benchmark.h>

#include <memory>

namespace {

using smbench::Placement;
using smbench::peer::Case;
using smbench::peer::Op;

// xnn_initialize may be called more than once, but once is enough: it
// picks the micro-kernels for this CPU.
bool xnnpack_ready()
{
    static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
    return ok;
}

struct OperatorDeleter {
    void operator()(xnn_operator_t op) const noexcept { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

void run_xnnpack(benchmark::State &state, const Case &c)
{
    if (!xnnpack_ready()) {
        state.SkipWithError("xnn_initialize failed");
        return;
    }
    smbench::peer::Io io(c);
    const std::size_t rows = c.shape.rows, cols = c.shape.cols;

    xnn_operator_t raw = nullptr;
    if (xnn_create_softmax_nc_f32(cols, /*input_stride=*/cols,
                                  /*output_stride=*/cols, /*flags=*/0,
                                  &raw) != xnn_status_success) {
        state.SkipWithError("xnn_create_softmax_nc_f32 failed");
        return;
    }
    const Operator op(raw);
    if (xnn_setup_softmax_nc_f32(op.get(), rows, io.x(), io.y(),
                                 /*threadpool=*/nullptr) != xnn_status_success) {
        state.SkipWithError("xnn_setup_softmax_nc_f32 failed");
        return;
    }

    // One untimed run: page faults, caches, and the check.
    if (xnn_run_operator(op.get(), nullptr) != xnn_status_success ||
        !io.output_matches()) {
        state.SkipWithError("xnn_run_operator failed or its output differs "
                            "from libsoftmax's");
        return;
    }
    io.drop_reference();
    for (auto _ : state) {
        benchmark::DoNotOptimize(xnn_run_operator(op.get(), nullptr));
        benchmark::ClobberMemory();
    }
    smbench::peer::set_counters(state, c);
}

[[maybe_unused]] const bool registered = [] {
    benchmark::AddCustomContext("xnnpack",
                                "f32 softmax operator, no thread pool");
    smbench::peer::register_cases("xnnpack", {Op::kSoftmax},
                                  {Placement::kOut, Placement::kIn},
                                  run_xnnpack);
    return true;
}();

} // namespace
