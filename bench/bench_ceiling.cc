// The exp-throughput ceiling: one pass of sum exp(x_i - c) per ISA and exp
// mode, through the kernels' own exp (an internal kernel slot, hence the
// internal headers). softmax needs at least this much work per element, so
// kernel time over ceiling time is the cost of everything but the exp:
// the extremum pass, the stores, the double sums and the scaling.
//   ceiling_exp/avx2/n:1000, ceiling_exp/avx2-fast/n:1000
#include "bench_util.h"

extern "C" {
#include "dispatch.h"
}

#include <benchmark/benchmark.h>

#include <string>

namespace {

void ceiling(benchmark::State &state, sm_isa isa, unsigned flags, std::size_t n)
{
    const sm_kernels *k = sm_dispatch_table(isa);
    if (!k) {
        state.SkipWithError("ISA not supported");
        return;
    }
    smbench::IoBuffers buf(n, 1);
    smbench::fill_logits(buf.in(), n);
    const float *x = buf.in();
    for (auto _ : state) {
        float s = k->exp_sum(n, x, 10.0f, flags);
        benchmark::DoNotOptimize(s);
    }
    smbench::set_throughput(state, n, n * sizeof(float));
}

// Registered at load, like the peers: bench_softmax.cc's main runs them.
const bool registered = [] {
    const unsigned supported = sm_isa_supported();
    for (std::size_t n : smbench::kRowSizes)
        for (unsigned flags : {0u, unsigned{SM_FAST_EXP}})
            for (int i = 0; i < SM_ISA_COUNT; i++) {
                if (!(supported & (1u << i)))
                    continue;
                const sm_isa isa = static_cast<sm_isa>(i);
                std::string name = std::string("ceiling_exp/") + sm_isa_name(isa) +
                                   (flags ? "-fast/" : "/") + smbench::row_label(n);
                auto *b = benchmark::RegisterBenchmark(name.c_str(), ceiling,
                                                       isa, flags, n);
                smbench::apply_defaults(b, n);
            }
    return true;
}();

} // namespace
