// Microbenchmarks of libsoftmax through its public C API, per ISA.
//
// Names are op/ISA/shape/placement/beta, ISA innermost in the output so
// the kernels of one case sit next to each other:
//   softmax_f32/avx2/n:1000/out/beta:1          one row, sm_softmax_f32
//   softmax_f32/avx2/n:1000/in/beta:0.5         one row, rows API, y == x
//   log_softmax_rows_f32/scalar/256x32000/out/beta:1
//   logsumexp_f32/avx512/n:1048576/out/beta:1   "out": the result is a float
//   argmax_f32/avx512/n:128000/out/beta:1       an int32_t index per row
//   top20_f32/avx512/n:128000/out/beta:1        20 indices and log-probs
//   sample_f32/avx512/n:128000/out/beta:1       a token per row, no filters
//   sample_filtered_f32/...                     top-k 40, top-p 0.95, min-p 0.05
//   gumbel_f32/avx512/n:128000/out/beta:1       a token per row by Gumbel-max
//   gumbel_softmax_f32/avx512/n:1000/out/beta:1 Gumbel-softmax's soft sample
//   sparsemax_f32/avx512/n:1000/out/beta:1      sparsemax, no exp; beside it
//   sparsemax_f32/sort_baseline/...             a sort-based one
//                                               (peer_sparse_sort.cc)
//   hardmax_f32/avx512/n:1000/out/beta:1        1/k on the k maxima
//   entmax15_f32/avx512/n:1000/out/beta:1       1.5-entmax (exact tau); beside
//   entmax15_f32/sort_baseline/...              it a sort-based one
//   entmax125_f32/...                           1.25-entmax (bisected tau)
//   state_logsumexp_f32/...                     the online state, pieces of 4096:
//   state_softmax_f32/...                       fold + logsumexp; fold + softmax
//   state_softmax_e_f32/...                     per piece; fold with exps + scale
//   floor_memcpy/n:1000, floor_read/n:1000      what memory alone costs
//   softmax_rows_f32/auto/256x32000/out/beta:1/threads:2
//                                               the automatic ISA on the
//                                               library's pool (real time;
//                                               run these unpinned)
// Only the ISAs this CPU and build support are registered.
//
// Select with Google Benchmark's own flags (a regex over the names); pin
// to one core, since the kernels are single-threaded and migrations show
// up as noise:
//   taskset -c 1 build/bench/bench_softmax --benchmark_filter='softmax_f32/.*/n:1000/'
//   taskset -c 1 build/bench/bench_softmax --benchmark_filter='/avx2/'
//   taskset -c 1 build/bench/bench_softmax --benchmark_filter='n:(1000|32000|1048576)/out/beta:1|floor_'
// `meson test --benchmark` runs everything with a short min time.
//
// Rows of 16M elements run a fixed handful of iterations (see
// bench_util.h), so --benchmark_min_time does not lengthen them; use
// --benchmark_repetitions for those.
#include "bench_util.h"

#include <softmax.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using smbench::IoBuffers;
using smbench::Placement;
using smbench::Shape;

// ---- the calls ------------------------------------------------------------

// One benchmarked call: a single row is a 1 x n batch.
struct Call {
    std::size_t rows;
    std::size_t cols;
    float beta;
    const float *x;
    float *y; // output rows, or the `rows` logsumexp results or indices
    sm_flags flags;
    const std::uint64_t *counter; // one per row, for the samplers
};

using Invoke = sm_status (*)(const Call &);

// Single rows at beta = 1 go through the one-row entry points, which is
// what most callers use; any other beta needs the rows API with rows = 1.
sm_status softmax_row(const Call &c) { return sm_softmax_f32(c.cols, c.x, c.y); }
sm_status log_softmax_row(const Call &c)
{
    return sm_log_softmax_f32(c.cols, c.x, c.y);
}
sm_status logsumexp_row(const Call &c)
{
    return sm_logsumexp_f32(c.cols, c.x, c.y);
}
sm_status softmax_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    return sm_softmax_rows_f32(c.rows, c.cols, c.x, c.cols, c.y, c.cols, &o);
}
sm_status log_softmax_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    return sm_log_softmax_rows_f32(c.rows, c.cols, c.x, c.cols, c.y, c.cols,
                                   &o);
}
sm_status logsumexp_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    return sm_logsumexp_rows_f32(c.rows, c.cols, c.x, c.cols, c.y, &o);
}
// An index is as large as a float: the output buffer holds `rows` of them.
static_assert(sizeof(std::int32_t) == sizeof(float), "index buffer");
sm_status argmax_row(const Call &c)
{
    return sm_argmax_f32(c.cols, c.x, reinterpret_cast<std::int32_t *>(c.y));
}
sm_status argmax_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    return sm_argmax_rows_f32(c.rows, c.cols, c.x, c.cols,
                              reinterpret_cast<std::int32_t *>(c.y), &o);
}
// A token per row, into y's first rows floats.
sm_status sample_with(const Call &c, std::int32_t top_k, float top_p,
                      float min_p)
{
    sm_sampler_options o = SM_SAMPLER_OPTIONS_INIT;
    o.beta = c.beta;
    o.flags = c.flags;
    o.top_k = top_k;
    o.top_p = top_p;
    o.min_p = min_p;
    return sm_sample_rows_f32(c.rows, c.cols, c.x, c.cols, c.counter,
                              reinterpret_cast<std::int32_t *>(c.y),
                              nullptr, nullptr, &o);
}
sm_status sample_rows(const Call &c) { return sample_with(c, 0, 1.0f, 0.0f); }
// llama.cpp's default filters.
sm_status sample_filtered_rows(const Call &c)
{
    return sample_with(c, 40, 0.95f, 0.05f);
}
// Gumbel-max: a token per row, one random number per entry.
sm_status gumbel_rows(const Call &c)
{
    sm_sampler_options o = SM_SAMPLER_OPTIONS_INIT;
    o.beta = c.beta;
    return sm_gumbel_max_rows_f32(c.rows, c.cols, c.x, c.cols, c.counter,
                                  reinterpret_cast<std::int32_t *>(c.y), &o);
}
// Gumbel-softmax's soft sample (noise, then softmax), into y.
sm_status gumbel_softmax_rows(const Call &c)
{
    sm_sampler_options o = SM_SAMPLER_OPTIONS_INIT;
    o.beta = c.beta;
    o.flags = c.flags;
    return sm_gumbel_softmax_rows_f32(c.rows, c.cols, c.x, c.cols, c.counter,
                                      c.y, c.cols, nullptr, 0, &o);
}
sm_status sparsemax_row(const Call &c)
{
    return sm_sparsemax_f32(c.cols, c.x, c.y);
}
sm_status sparsemax_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    return sm_sparsemax_rows_f32(c.rows, c.cols, c.x, c.cols, c.y, c.cols, &o);
}
sm_status entmax15_row(const Call &c)
{
    return sm_entmax15_f32(c.cols, c.x, c.y);
}
sm_status entmax_rows_with(const Call &c, float alpha)
{
    const sm_entmax_options o{sizeof(sm_entmax_options), c.beta, c.flags,
                              alpha};
    return sm_entmax_rows_f32(c.rows, c.cols, c.x, c.cols, c.y, c.cols, &o);
}
sm_status entmax15_rows(const Call &c) { return entmax_rows_with(c, 1.5f); }
sm_status entmax125_row(const Call &c)
{
    const sm_entmax_options o{sizeof(sm_entmax_options), 1.0f, 0u, 1.25f};
    return sm_entmax_rows_f32(1, c.cols, c.x, c.cols, c.y, c.cols, &o);
}
sm_status entmax125_rows(const Call &c) { return entmax_rows_with(c, 1.25f); }
sm_status hardmax_row(const Call &c) { return sm_hardmax_f32(c.cols, c.x, c.y); }
sm_status hardmax_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    return sm_hardmax_rows_f32(c.rows, c.cols, c.x, c.cols, c.y, c.cols, &o);
}
// The online state over rows cut into pieces of kPiece columns (a
// vocabulary computed tile by tile), each piece strided within its rows.
constexpr std::size_t kPiece = 4096;
// States live across calls so that the timed loop does not allocate.
std::vector<sm_softmax_state> &state_scratch(std::size_t n)
{
    static thread_local std::vector<sm_softmax_state> scratch;
    if (scratch.size() < n)
        scratch.resize(n);
    return scratch;
}
// Fresh states for the rows with every piece folded in.
sm_status fold_pieces(const Call &c, sm_softmax_state *st)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    sm_status s = sm_softmax_state_init(c.rows, st, &o);
    for (std::size_t at = 0; s == SM_OK && at < c.cols; at += kPiece)
        s = sm_softmax_state_fold_rows_f32(
            c.rows, std::min(kPiece, c.cols - at), c.x + at, c.cols, nullptr,
            0, st);
    return s;
}
// Fold every piece into the rows' states, then their logsumexp.
sm_status state_logsumexp_rows(const Call &c)
{
    sm_softmax_state *st = state_scratch(c.rows).data();
    const sm_status s = fold_pieces(c, st);
    return s == SM_OK ? sm_softmax_state_logsumexp(c.rows, st, c.y) : s;
}
// Fold every piece, then write softmax piece by piece: two exps per entry.
sm_status state_softmax_rows(const Call &c)
{
    sm_softmax_state *st = state_scratch(c.rows).data();
    sm_status s = fold_pieces(c, st);
    for (std::size_t at = 0; s == SM_OK && at < c.cols; at += kPiece)
        s = sm_softmax_state_softmax_rows_f32(
            c.rows, std::min(kPiece, c.cols - at), c.x + at, c.cols, st,
            c.y + at, c.cols);
    return s;
}
// Fold every piece into a state of its own, writing its exps, merge the
// states, then scale each piece: one exp per entry.
sm_status state_softmax_e_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    const std::size_t pieces = (c.cols + kPiece - 1) / kPiece;
    sm_softmax_state *total = state_scratch(c.rows * (pieces + 1)).data();
    sm_status s = sm_softmax_state_init(c.rows * (pieces + 1), total, &o);
    for (std::size_t p = 0; s == SM_OK && p < pieces; p++) {
        sm_softmax_state *piece = total + c.rows * (p + 1);
        const std::size_t at = p * kPiece;
        s = sm_softmax_state_fold_rows_f32(
            c.rows, std::min(kPiece, c.cols - at), c.x + at, c.cols, c.y + at,
            c.cols, piece);
        if (s == SM_OK)
            s = sm_softmax_state_merge(c.rows, piece, total);
    }
    for (std::size_t p = 0; s == SM_OK && p < pieces; p++) {
        const std::size_t at = p * kPiece;
        s = sm_softmax_state_scale_rows_f32(
            c.rows, std::min(kPiece, c.cols - at), total + c.rows * (p + 1),
            total, c.y + at, c.cols);
    }
    return s;
}
// The 20 most probable entries (an LLM API's top log-probabilities); the
// indices and log-probabilities of all rows fit in the output rows.
constexpr std::size_t kTopN = 20;
sm_status top_rows(const Call &c)
{
    const sm_options o{sizeof(sm_options), c.beta, c.flags, nullptr};
    std::int32_t *index = reinterpret_cast<std::int32_t *>(c.y);
    return sm_top_rows_f32(c.rows, c.cols, kTopN, c.x, c.cols, index, kTopN,
                           c.y + c.rows * kTopN, kTopN, &o);
}

// The benchmark body of one entry point (run_case<F> below).
struct Op;
struct Case;
using Body = void (*)(benchmark::State &, const Op &, const Case &);

// What an operation is called, which bodies time it and what it writes.
struct Op {
    const char *name;   // "softmax"; "_f32" or "_rows_f32" is appended
    Body one_row;       // a single row at beta = 1: sm_<op>_f32
    Body rows;          // everything else: sm_<op>_rows_f32
    bool writes_rows;   // false: one result per row (logsumexp, argmax)
    bool has_in_place;
    bool has_exp;       // false: no "-fast" cases (the flag changes nothing)
    std::size_t min_cols = 0; // shorter rows are not registered
};

struct Case {
    sm_isa isa;
    sm_flags flags; // 0 (SLEEF's exp) or SM_FAST_EXP, named "<isa>-fast"
    Shape shape;
    Placement placement;
    float beta;
};

// Compulsory traffic: the input is read once and, for the row-to-row
// operations, the output written once. logsumexp's one float per row is
// negligible and left out.
std::size_t bytes_per_call(const Op &op, std::size_t elements)
{
    return elements * sizeof(float) * (op.writes_rows ? 2 : 1);
}

// ---- the benchmark body ---------------------------------------------------

// F is a template argument so the timed loop makes a direct call.
template <Invoke F>
void run_case(benchmark::State &state, const Op &op, const Case &c)
{
    // The ISA choice is process-wide: set it before every case, since the
    // cases of different ISAs run interleaved.
    if (sm_isa_force(c.isa) != SM_OK) {
        state.SkipWithError("ISA not supported");
        return;
    }
    const std::size_t elements = c.shape.elements();
    const std::size_t out_elements = op.writes_rows ? elements : c.shape.rows;
    IoBuffers buf(elements, out_elements);
    smbench::fill_logits(buf.in(), elements);
    float *y = c.placement == Placement::kIn ? buf.in() : buf.out();
    // Counters 0, 1, ...: every call draws the same tokens.
    std::vector<std::uint64_t> counter(c.shape.rows);
    for (std::size_t r = 0; r < counter.size(); r++)
        counter[r] = r;
    const Call call{c.shape.rows, c.shape.cols, c.beta, buf.in(), y, c.flags,
                    counter.data()};

    // One untimed call checks the arguments, faults in the output pages and
    // warms the caches. In place, later calls see the previous output
    // instead of logits (log-softmax at beta = 1 is shift-invariant and
    // keeps seeing the same values); the kernels take the same path for any
    // finite input, so that changes the numbers, not the work.
    const sm_status st = F(call);
    if (st != SM_OK) {
        state.SkipWithError(sm_strerror(st));
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(F(call));
        // The library writes through y behind the compiler's back: treat
        // every call's output as observed.
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, elements, bytes_per_call(op, elements));
}

const Op kOps[] = {
    {"softmax", run_case<softmax_row>, run_case<softmax_rows>, true, true,
     true},
    {"log_softmax", run_case<log_softmax_row>, run_case<log_softmax_rows>,
     true, true, true},
    {"logsumexp", run_case<logsumexp_row>, run_case<logsumexp_rows>, false,
     false, true},
    {"argmax", run_case<argmax_row>, run_case<argmax_rows>, false, false,
     false},
    {"top20", run_case<top_rows>, run_case<top_rows>, true, false, true,
     2 * kTopN},
    {"sample", run_case<sample_rows>, run_case<sample_rows>, false, false,
     true},
    {"sample_filtered", run_case<sample_filtered_rows>,
     run_case<sample_filtered_rows>, false, false, true},
    {"gumbel", run_case<gumbel_rows>, run_case<gumbel_rows>, false, false,
     false},
    {"gumbel_softmax", run_case<gumbel_softmax_rows>,
     run_case<gumbel_softmax_rows>, true, false, true},
    {"state_logsumexp", run_case<state_logsumexp_rows>,
     run_case<state_logsumexp_rows>, false, false, true, 2 * kPiece},
    {"state_softmax", run_case<state_softmax_rows>,
     run_case<state_softmax_rows>, true, false, true, 2 * kPiece},
    {"state_softmax_e", run_case<state_softmax_e_rows>,
     run_case<state_softmax_e_rows>, true, false, true, 2 * kPiece},
    {"sparsemax", run_case<sparsemax_row>, run_case<sparsemax_rows>, true,
     true, false},
    {"hardmax", run_case<hardmax_row>, run_case<hardmax_rows>, true, true,
     false},
    {"entmax15", run_case<entmax15_row>, run_case<entmax15_rows>, true, true,
     false},
    {"entmax125", run_case<entmax125_row>, run_case<entmax125_rows>, true,
     true, false},
};

// ---- floors ---------------------------------------------------------------
// The fastest any kernel could be on this machine: moving the same bytes
// and nothing else. memcpy is glibc's tuned copy (non-temporal stores on
// large copies, so it can beat any kernel that writes through the cache);
// the read floor is a sum with enough independent accumulators that memory,
// not the add latency, limits it.


void floor_memcpy(benchmark::State &state, std::size_t n)
{
    IoBuffers buf(n, n);
    smbench::fill_logits(buf.in(), n);
    float *x = buf.in();
    float *y = buf.out();
    std::memcpy(y, x, n * sizeof(float)); // faults in y, like run_case
    for (auto _ : state) {
        // y escapes and memory is clobbered, so the copy cannot be elided
        // as a dead store nor hoisted out of the loop.
        benchmark::DoNotOptimize(y);
        std::memcpy(y, x, n * sizeof(float));
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, n, 2 * n * sizeof(float));
}

void floor_read(benchmark::State &state, std::size_t n)
{
    IoBuffers buf(n, 0);
    smbench::fill_logits(buf.in(), n);
    const float *x = buf.in();
    for (auto _ : state) {
        // x escapes and memory is clobbered: the sum is recomputed.
        benchmark::DoNotOptimize(x);
        benchmark::DoNotOptimize(smbench::sum_floats(x, n));
        benchmark::ClobberMemory();
    }
    smbench::set_throughput(state, n, n * sizeof(float));
}

// ---- threads ----------------------------------------------------------------

// softmax, log-softmax or logsumexp of the shape on a pool of
// state.range(0) threads (1: no pool, NULL options' path), automatic ISA.
void threads_case(benchmark::State &state, int op, Shape shape)
{
    const std::size_t threads = static_cast<std::size_t>(state.range(0));
    sm_thread_pool *pool = nullptr;
    if (sm_isa_force(SM_ISA_AUTO) != SM_OK ||
        (threads > 1 && sm_thread_pool_create(threads, &pool) != SM_OK)) {
        state.SkipWithError("no pool");
        return;
    }
    sm_options o = SM_OPTIONS_INIT;
    o.parallel = sm_thread_pool_parallel(pool);
    const std::size_t rows = shape.rows, cols = shape.cols;
    const std::size_t elements = shape.elements();
    IoBuffers buf(elements, op == 2 ? rows : elements);
    smbench::fill_logits(buf.in(), elements);
    const float *x = buf.in();
    float *y = buf.out();
    auto call = [&] {
        if (op == 0)
            return sm_softmax_rows_f32(rows, cols, x, cols, y, cols, &o);
        if (op == 1)
            return sm_log_softmax_rows_f32(rows, cols, x, cols, y, cols, &o);
        return sm_logsumexp_rows_f32(rows, cols, x, cols, y, &o);
    };
    if (call() != SM_OK) {
        state.SkipWithError("call failed");
    } else {
        for (auto _ : state) {
            benchmark::DoNotOptimize(call());
            benchmark::ClobberMemory();
        }
        smbench::set_throughput(state, elements,
                                elements * sizeof(float) * (op == 2 ? 1 : 2));
    }
    sm_thread_pool_destroy(pool);
}

// The shapes, with 1 and 2 threads.
void register_threads()
{
    static const char *const names[] = {"softmax", "log_softmax", "logsumexp"};
    const Shape shapes[] = {{256, 32000}, {4096, 1000}, {1, std::size_t{1} << 24}};
    for (int op = 0; op < 3; op++)
        for (const Shape &shape : shapes) {
            const std::string name = std::string(names[op]) + "_rows_f32/auto/" +
                                     smbench::shape_label(shape) + "/out/beta:1";
            auto *b = benchmark::RegisterBenchmark(name.c_str(), threads_case,
                                                   op, shape);
            smbench::apply_defaults(b, shape.elements());
            b->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
        }
}

// ---- registration ---------------------------------------------------------

std::vector<sm_isa> supported_isas()
{
    std::vector<sm_isa> isas;
    const unsigned mask = sm_isa_supported();
    for (int i = 0; i < SM_ISA_COUNT; i++)
        if (mask & (1u << i))
            isas.push_back(static_cast<sm_isa>(i));
    return isas;
}

std::string case_name(const Op &op, bool single_row, const Case &c)
{
    std::string name = op.name;
    name += single_row ? "_f32/" : "_rows_f32/";
    name += sm_isa_name(c.isa);
    if (c.flags & SM_FAST_EXP)
        name += "-fast";
    name += '/';
    name += single_row ? smbench::row_label(c.shape.cols)
                       : smbench::shape_label(c.shape);
    name += '/';
    name += smbench::placement_name(c.placement);
    name += "/beta:" + smbench::format_beta(c.beta);
    return name;
}

void register_case(const Op &op, bool single_row, const Case &c)
{
    // The one-row entry points have neither beta nor flags.
    const Body body =
        single_row && c.beta == 1.0f && c.flags == 0 ? op.one_row : op.rows;
    auto *b = benchmark::RegisterBenchmark(case_name(op, single_row, c).c_str(),
                                           body, op, c);
    smbench::apply_defaults(b, c.shape.elements());
}

// Every shape, placement and beta of one op, ISA innermost.
void register_op(const Op &op, const std::vector<sm_isa> &isas)
{
    std::vector<Placement> placements{Placement::kOut};
    if (op.has_in_place)
        placements.push_back(Placement::kIn);

    auto register_shape = [&](const Shape &shape, bool single_row) {
        if (shape.cols < op.min_cols)
            return;
        for (Placement p : placements)
            for (float beta : smbench::kBetas)
                for (sm_flags flags : {0u, SM_FAST_EXP})
                    for (sm_isa isa : isas)
                        if (op.has_exp || flags == 0u)
                            register_case(op, single_row,
                                          Case{isa, flags, shape, p, beta});
    };
    for (std::size_t n : smbench::kRowSizes)
        register_shape(Shape{1, n}, true);
    for (const Shape &shape : smbench::kBatchShapes)
        register_shape(shape, false);
}

void register_floors()
{
    for (std::size_t n : smbench::kRowSizes) {
        const std::string size = smbench::row_label(n);
        auto *copy = benchmark::RegisterBenchmark(
            ("floor_memcpy/" + size).c_str(), floor_memcpy, n);
        smbench::apply_defaults(copy, n);
        auto *read = benchmark::RegisterBenchmark(
            ("floor_read/" + size).c_str(), floor_read, n);
        smbench::apply_defaults(read, n);
    }
}

std::string isa_list(const std::vector<sm_isa> &isas)
{
    std::string list;
    for (sm_isa isa : isas)
        list += (list.empty() ? "" : " ") + std::string(sm_isa_name(isa));
    return list;
}

} // namespace

namespace smbench {

// Eight independent vector sums: enough adds in flight to cover their
// latency at two loads a cycle. (Plain float code would not do: without
// -ffast-math the compiler may not reorder a float sum, so it would run one
// add at a time.) 32-byte vectors even on AVX-512: only the L1-resident
// sizes, where the kernels are bound by exp, not loads, would read faster.
SMBENCH_CLONES float sum_floats(const float *x, std::size_t n)
{
    constexpr std::size_t kW = 8;
    v8sf a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};
    std::size_t i = 0;
    for (; i + 8 * kW <= n; i += 8 * kW) {
        const v8sf_u *v = reinterpret_cast<const v8sf_u *>(x + i);
        a0 += v[0], a1 += v[1], a2 += v[2], a3 += v[3];
        a4 += v[4], a5 += v[5], a6 += v[6], a7 += v[7];
    }
    for (; i + kW <= n; i += kW)
        a0 += *reinterpret_cast<const v8sf_u *>(x + i);
    // A tree, not a chain of dependent adds, which on a short row would
    // cost more than the reads.
    const v8sf s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    float sum = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < n; i++)
        sum += x[i];
    return sum;
}

} // namespace smbench

int main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;

    const std::vector<sm_isa> isas = supported_isas();
    // Recorded in the report header (and JSON output) next to the CPU.
    benchmark::AddCustomContext("libsoftmax", sm_version());
    benchmark::AddCustomContext("cpu_features", sm_cpu_features());
    benchmark::AddCustomContext("isas", isa_list(isas));
    benchmark::AddCustomContext("isa_auto", sm_isa_name(sm_isa_active()));

    for (const Op &op : kOps)
        register_op(op, isas);
    register_floors();
    register_threads();

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
