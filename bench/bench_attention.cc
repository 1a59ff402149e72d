// Attention decode (sm_attention_decode_f32) per ISA and exp mode, beside
// the three-step composition with this library's softmax (scores by a
// plain dot loop, sm_softmax_rows_f32, the weighted sum by a plain loop)
// and the read floor of the same bytes (a streaming sum over K and V's
// size). Bytes per second count K and V once; H = 32 query heads over
// H_kv = 8 key/value heads, the KV cache laid out [n][H_kv][d].
//   attention_decode/avx512/n:32768/d:128/H:32/Hkv:8
//   attention_decode/avx512-fast/...            SM_FAST_EXP
//   attention_3step/avx512/n:32768/d:128/H:32/Hkv:8
//   attention_3step_vec/avx512/...   the same, in vector-friendly C
//   floor_read_kv/n:32768/d:128/Hkv:8
// Registered at load, like the peers: bench_softmax.cc's main runs them.
//   taskset -c 1 build/bench/bench_softmax --benchmark_filter='attention|floor_read_kv'
#include "bench_util.h"

#include <softmax.h>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kHeads = 32, kKvHeads = 8;
constexpr std::size_t kSizes[] = {512, 4096, 32768};
constexpr std::size_t kDims[] = {64, 128};

struct Problem {
    std::size_t n, d;
    std::vector<float> q, k, v, o;
    Problem(std::size_t n_, std::size_t d_)
        : n(n_), d(d_), q(kHeads * d_), k(n_ * kKvHeads * d_),
          v(n_ * kKvHeads * d_), o(kHeads * d_)
    {
        smbench::fill_logits(q.data(), q.size(), 1);
        smbench::fill_logits(k.data(), k.size(), 2);
        smbench::fill_logits(v.data(), v.size(), 3);
        // fill_logits spans a logit range; keep q.k moderate
        for (float &x : q)
            x *= 0.05f;
    }
    std::size_t kv_bytes() const { return 2 * k.size() * sizeof(float); }
};

std::string shape(std::size_t n, std::size_t d)
{
    return "n:" + std::to_string(n) + "/d:" + std::to_string(d) +
           "/H:" + std::to_string(kHeads) + "/Hkv:" + std::to_string(kKvHeads);
}

void attention(benchmark::State &state, sm_isa isa, sm_flags flags,
               std::size_t n, std::size_t d)
{
    if (sm_isa_force(isa) != SM_OK) {
        state.SkipWithError("ISA not supported");
        return;
    }
    Problem p(n, d);
    sm_attention_options o = SM_ATTENTION_OPTIONS_INIT;
    o.flags = flags;
    const std::size_t ld = kKvHeads * d;
    for (auto _ : state) {
        if (sm_attention_decode_f32(kHeads, kKvHeads, n, d, p.q.data(), d,
                                    p.k.data(), ld, d, p.v.data(), ld, d,
                                    p.o.data(), d, &o) != SM_OK)
            state.SkipWithError("sm_attention_decode_f32 failed");
        benchmark::DoNotOptimize(p.o.data());
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, n, p.kv_bytes());
    if (sm_isa_force(SM_ISA_AUTO) != SM_OK)
        state.SkipWithError("cannot restore the automatic ISA");
}



// The composition a caller without a fused kernel writes: every score by
// a plain dot loop (no reassociation, as the compiler must keep it), one
// softmax over each head's row of scores, the weighted sum with the value
// columns innermost.
void scores_plain(const Problem &p, float scale, float *scores)
{
    const std::size_t n = p.n, d = p.d, ld = kKvHeads * d;
    const std::size_t group = kHeads / kKvHeads;
    for (std::size_t h = 0; h < kHeads; h++) {
        const float *q = p.q.data() + h * d;
        const float *k = p.k.data() + (h / group) * d;
        for (std::size_t i = 0; i < n; i++) {
            float s = 0.0f;
            for (std::size_t j = 0; j < d; j++)
                s += q[j] * k[i * ld + j];
            scores[h * n + i] = s * scale;
        }
    }
}

void weighted_sum_plain(const Problem &p, const float *probs, float *out)
{
    const std::size_t n = p.n, d = p.d, ld = kKvHeads * d;
    const std::size_t group = kHeads / kKvHeads;
    for (std::size_t h = 0; h < kHeads; h++) {
        float *o = out + h * d;
        const float *v = p.v.data() + (h / group) * d;
        for (std::size_t j = 0; j < d; j++)
            o[j] = 0.0f;
        for (std::size_t i = 0; i < n; i++) {
            const float w = probs[h * n + i];
            for (std::size_t j = 0; j < d; j++)
                o[j] += w * v[i * ld + j];
        }
    }
}

// The same composition written for speed in portable C: K and V read
// once each in memory order (a key's row serves the heads of its kv head),
// the dot products in eight vector lanes, the weighted sum as vector
// multiply-adds over each head's output row (in the cache throughout).
SMBENCH_CLONES void scores_vec(const Problem &p, float scale, float *scores)
{
    const std::size_t n = p.n, d = p.d, ld = kKvHeads * d;
    const std::size_t group = kHeads / kKvHeads;
    for (std::size_t i = 0; i < n; i++)
        for (std::size_t h = 0; h < kHeads; h++) {
            const float *q = p.q.data() + h * d;
            const float *k = p.k.data() + i * ld + (h / group) * d;
            v8sf a = {}, b = {};
            std::size_t j = 0;
            for (; j + 16 <= d; j += 16) {
                a += *reinterpret_cast<const v8sf_u *>(q + j) *
                     *reinterpret_cast<const v8sf_u *>(k + j);
                b += *reinterpret_cast<const v8sf_u *>(q + j + 8) *
                     *reinterpret_cast<const v8sf_u *>(k + j + 8);
            }
            a += b;
            float s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
            for (; j < d; j++)
                s += q[j] * k[j];
            scores[h * n + i] = s * scale;
        }
}

SMBENCH_CLONES void weighted_sum_vec(const Problem &p, const float *probs,
                                        float *out)
{
    const std::size_t n = p.n, d = p.d, ld = kKvHeads * d;
    const std::size_t group = kHeads / kKvHeads;
    for (std::size_t j = 0; j < kHeads * d; j++)
        out[j] = 0.0f;
    for (std::size_t i = 0; i < n; i++)
        for (std::size_t h = 0; h < kHeads; h++) {
            const float *v = p.v.data() + i * ld + (h / group) * d;
            float *o = out + h * d;
            const float w = probs[h * n + i];
            const v8sf wv = {w, w, w, w, w, w, w, w};
            std::size_t j = 0;
            for (; j + 8 <= d; j += 8)
                *reinterpret_cast<v8sf_u *>(o + j) +=
                    wv * *reinterpret_cast<const v8sf_u *>(v + j);
            for (; j < d; j++)
                o[j] += w * v[j];
        }
}

// Scores, this library's softmax over the 32 rows of them, weighted sum:
// the plain loops or the vector ones.
void three_step(benchmark::State &state, sm_isa isa, std::size_t n,
                std::size_t d, bool vector)
{
    if (sm_isa_force(isa) != SM_OK) {
        state.SkipWithError("ISA not supported");
        return;
    }
    Problem p(n, d);
    std::vector<float> scores(kHeads * n), probs(kHeads * n);
    const float scale = static_cast<float>(1.0 / std::sqrt(double(d)));
    for (auto _ : state) {
        if (vector)
            scores_vec(p, scale, scores.data());
        else
            scores_plain(p, scale, scores.data());
        if (sm_softmax_rows_f32(kHeads, n, scores.data(), n, probs.data(), n,
                                nullptr) != SM_OK)
            state.SkipWithError("sm_softmax_rows_f32 failed");
        if (vector)
            weighted_sum_vec(p, probs.data(), p.o.data());
        else
            weighted_sum_plain(p, probs.data(), p.o.data());
        benchmark::DoNotOptimize(p.o.data());
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, n, p.kv_bytes());
    if (sm_isa_force(SM_ISA_AUTO) != SM_OK)
        state.SkipWithError("cannot restore the automatic ISA");
}

// The read floor: K and V's bytes summed as bench_softmax.cc's floor_read
// sums a row, so that memory, not the adds, limits it.
void floor_read_kv(benchmark::State &state, std::size_t n, std::size_t d)
{
    Problem p(n, d);
    for (auto _ : state) {
        const float *k = p.k.data(), *v = p.v.data();
        benchmark::DoNotOptimize(k);
        benchmark::DoNotOptimize(v);
        benchmark::DoNotOptimize(smbench::sum_floats(k, p.k.size()) +
                                 smbench::sum_floats(v, p.v.size()));
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, n, p.kv_bytes());
}

void configure(benchmark::internal::Benchmark *b, std::size_t n, std::size_t d)
{
    b->Unit(benchmark::kMicrosecond);
    if (n * d >= 32768 * 64)
        b->Iterations(20); // hundreds of MB per call: a few calls suffice
}

const bool registered = [] {
    const unsigned supported = sm_isa_supported();
    for (std::size_t n : kSizes)
        for (std::size_t d : kDims) {
            for (int i = 0; i < SM_ISA_COUNT; i++) {
                if (!(supported & (1u << i)))
                    continue;
                const sm_isa isa = static_cast<sm_isa>(i);
                const std::string name = sm_isa_name(isa);
                for (sm_flags flags : {0u, SM_FAST_EXP})
                    configure(benchmark::RegisterBenchmark(
                                  ("attention_decode/" + name +
                                   (flags ? "-fast/" : "/") + shape(n, d))
                                      .c_str(),
                                  attention, isa, flags, n, d),
                              n, d);
                configure(benchmark::RegisterBenchmark(
                              ("attention_3step/" + name + "/" + shape(n, d))
                                  .c_str(),
                              three_step, isa, n, d, false),
                          n, d);
                configure(benchmark::RegisterBenchmark(
                              ("attention_3step_vec/" + name + "/" + shape(n, d))
                                  .c_str(),
                              three_step, isa, n, d, true),
                          n, d);
            }
            configure(benchmark::RegisterBenchmark(
                          ("floor_read_kv/n:" + std::to_string(n) + "/d:" +
                           std::to_string(d) + "/Hkv:" + std::to_string(kKvHeads))
                              .c_str(),
                          floor_read_kv, n, d),
                      n, d);
        }
    return true;
}();

} // namespace
