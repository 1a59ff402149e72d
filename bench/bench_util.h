// Shared pieces of the softmax microbenchmarks: the shapes, the buffer
// layout, the inputs, the names and the throughput counters.
//
// Every harness (libsoftmax here; oneDNN, XNNPACK, PyTorch later, each in
// its own bench_<peer>.cc) includes this header, so that all of them time
// the same shapes, on the same memory layout and the same logits, and name
// their results the same way: a filter or a diff then lines them up.
#ifndef SMBENCH_BENCH_UTIL_H
#define SMBENCH_BENCH_UTIL_H

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

namespace smbench {

// ---- shapes ---------------------------------------------------------------

// Single rows: 16 (call overhead dominates), then cache-resident sizes up
// to exactly one contract chunk (262144; longer rows take the multi-chunk
// path; 256000 is a large LLM vocabulary), 1M (four chunks, 8 MiB in + out: L3 or DRAM) and 16M (128 MiB,
// DRAM everywhere).
inline constexpr std::size_t kRowSizes[] = {
    16, 100, 1000, 4096, 32000, 128000, 256000, 262144, 1048576, 16777216};

struct Shape {
    std::size_t rows;
    std::size_t cols;
    std::size_t elements() const { return rows * cols; }
};

// Batches as models produce them: many short rows (attention over 1000
// keys), a vocabulary-sized LM head (256 x 32000), a few very long rows,
// a decoding batch over a large vocabulary (64 x 128000).
inline constexpr Shape kBatchShapes[] = {
    {4096, 1000}, {256, 32000}, {32, 131072}, {64, 128000}};

// beta = 1 is the plain softmax; 0.5 (temperature 2) exercises the scaling.
inline constexpr float kBetas[] = {1.0f, 0.5f};

enum class Placement { kOut, kIn };

inline const char *placement_name(Placement p)
{
    return p == Placement::kIn ? "in" : "out";
}

// ---- buffers --------------------------------------------------------------

inline constexpr std::size_t kPage = 4096;
inline constexpr std::size_t kCacheLine = 64;
// How far (mod 4 KiB) the output sits from the input; see IoBuffers.
inline constexpr std::size_t kOutputSkew = 3 * kCacheLine;

inline constexpr std::size_t round_up(std::size_t n, std::size_t to)
{
    return (n + to - 1) / to * to;
}

// An input of `in_elements` floats and a disjoint output of `out_elements`
// floats, both 64-byte aligned, carved from one page-aligned allocation:
//
//   | input ... pad to 4 KiB | 192 B | output ... |
//
// Why not a multiple of 4 KiB apart ("4K aliasing"): a load is first
// checked against the older stores still in flight using only the low 12
// bits of the addresses (Intel; AMD Zen has a similar partial check). When
// y - x is a multiple of 4 KiB, y[i] and x[i] share those bits, so a load
// of x[i] issued while an earlier store to y[i] is still in flight (the
// next pass over a row, the next call on a short row) waits for it as if
// they were the same address. How much that costs depends on the kernel,
// and whether it happens would depend on where the allocator put the
// buffers (large allocations are mmap'ed page-aligned, so two separate ones
// are always a multiple of 4 KiB apart). A fixed skew of three cache lines
// (oneDNN likewise pads leading dimensions off multiples of 4 KiB) takes
// the degenerate case out and makes the layout the same on every run. It
// also puts x[i] and y[i] in different L1 sets.
class IoBuffers {
public:
    IoBuffers(std::size_t in_elements, std::size_t out_elements)
        : out_offset_(round_up(in_elements * sizeof(float), kPage) + kOutputSkew)
    {
        const std::size_t bytes =
            round_up(out_offset_ + out_elements * sizeof(float), kPage);
        // aligned_alloc wants a size that is a multiple of the alignment.
        void *p = std::aligned_alloc(kPage, bytes);
        if (p == nullptr)
            throw std::bad_alloc();
        storage_.reset(static_cast<unsigned char *>(p));
    }

    float *in() const { return reinterpret_cast<float *>(storage_.get()); }
    float *out() const
    {
        return reinterpret_cast<float *>(storage_.get() + out_offset_);
    }

private:
    struct FreeDeleter {
        void operator()(unsigned char *p) const noexcept { std::free(p); }
    };
    std::size_t out_offset_;
    std::unique_ptr<unsigned char, FreeDeleter> storage_;
};

// ---- inputs ---------------------------------------------------------------

// SplitMix64: tiny, fast for 16M elements, and the same stream on every
// platform and standard library (std::uniform_real_distribution is not).
inline std::uint64_t splitmix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Logits uniform in [-10, 10]: realistic for trained models, and they keep
// exp() away from its overflow and underflow paths.
inline void fill_logits(float *x, std::size_t n, std::uint64_t seed = 42)
{
    std::uint64_t state = seed;
    for (std::size_t i = 0; i < n; i++) {
        // The top 24 bits give a float in [0, 1) without rounding.
        const float u = static_cast<float>(splitmix64(state) >> 40) * 0x1p-24f;
        x[i] = 20.0f * u - 10.0f;
    }
}

// ---- names and counters ---------------------------------------------------

// "%g" keeps the names short and exact for the betas used: 1, 0.5.
inline std::string format_beta(float beta)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(beta));
    return buf;
}

// Single rows as "n:1000", batches as "256x32000".
inline std::string row_label(std::size_t n) { return "n:" + std::to_string(n); }
inline std::string shape_label(const Shape &s)
{
    return std::to_string(s.rows) + "x" + std::to_string(s.cols);
}

// items/s counts elements; bytes/s the traffic the operation cannot avoid
// (compulsory reads plus writes), so it compares directly with the floors.
inline void set_throughput(benchmark::State &state, std::size_t elements,
                           std::size_t bytes_per_call)
{
    const auto iters = static_cast<std::int64_t>(state.iterations());
    state.SetItemsProcessed(iters * static_cast<std::int64_t>(elements));
    state.SetBytesProcessed(iters * static_cast<std::int64_t>(bytes_per_call));
}

// Keeps the whole run short: large cases take milliseconds per call, so a
// handful of calls already average out timer resolution, while Google
// Benchmark's adaptive search would spend seconds on each.
inline constexpr std::size_t kHugeElements = std::size_t{1} << 24;
inline constexpr benchmark::IterationCount kHugeIterations = 5;

// Microseconds once a call takes longer than about a microsecond.
inline void apply_defaults(benchmark::internal::Benchmark *b,
                           std::size_t elements)
{
    b->Unit(elements >= 4096 ? benchmark::kMicrosecond
                             : benchmark::kNanosecond);
    if (elements >= kHugeElements)
        b->Iterations(kHugeIterations);
}

// The sum of n floats, read once with eight vector accumulators: the read
// floor's loop (bench_softmax.cc).
float sum_floats(const float *x, std::size_t n);

} // namespace smbench

// Plain-C baselines (the read floors, the attention compositions) as an
// AVX2 clone picked at load time, like libsoftmax's own dispatch: a
// baseline SSE2 loop would be a floor only SSE2 kernels could meet.
#if defined(__x86_64__) && defined(__linux__) && \
    (defined(__GNUC__) || defined(__clang__))
#define SMBENCH_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SMBENCH_CLONES
#endif

// Eight floats; the _u variant is the unaligned load type, declared the way
// <immintrin.h> declares _mm256_loadu_ps's (may_alias: it reads floats).
typedef float v8sf __attribute__((vector_size(32)));
typedef float v8sf_u __attribute__((vector_size(32), aligned(4), may_alias));

#endif // SMBENCH_BENCH_UTIL_H
