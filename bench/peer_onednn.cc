// Peer: oneDNN's softmax and log-softmax primitives on the CPU engine,
// registered as softmax_f32/onednn/... and log_softmax_f32/onednn/...
// (see peer_util.h for the naming). Compiled in only when meson finds
// oneDNN.
//
// Each case builds its primitive outside the timed loop and times what an
// inference engine repeats per call: execute() on a {rows, cols} f32 tensor
// (format ab, softmax over axis 1) and stream.wait(). Out of place and in
// place (src and dst the same buffer, which oneDNN supports).
//
// Threads: Debian's libdnnl runs on OpenMP. The other benchmarks are
// single-threaded, so this one is too unless OMP_NUM_THREADS says
// otherwise: see limit_openmp_threads().
#include "peer_util.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <benchmark/benchmark.h>

#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <unordered_map>

namespace {

using smbench::Placement;
using smbench::peer::Case;
using smbench::peer::Op;

// One engine for the whole run: creating it probes the CPU and the runtime.
const dnnl::engine &cpu_engine()
{
    static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

// oneDNN 2.x has a primitive per operation; 3.x folded log-softmax into
// softmax_forward as an algorithm and builds primitive descriptors directly
// from the engine. Only the 2.x branch is compiled here (Debian 12 ships
// 2.6); the 3.x one follows the 3.x API reference.
dnnl::primitive make_primitive(Op op, const dnnl::memory::desc &md,
                               std::string &impl)
{
    constexpr int kAxis = 1; // along each row
    const auto prop = dnnl::prop_kind::forward_inference;
#if DNNL_VERSION_MAJOR >= 3
    const auto alg = op == Op::kSoftmax ? dnnl::algorithm::softmax_accurate
                                        : dnnl::algorithm::softmax_log;
    const dnnl::softmax_forward::primitive_desc pd(cpu_engine(), prop, alg, md,
                                                   md, kAxis);
    impl = pd.impl_info_str();
    return dnnl::softmax_forward(pd);
#else
    if (op == Op::kSoftmax) {
        const dnnl::softmax_forward::primitive_desc pd(
            dnnl::softmax_forward::desc(prop, md, kAxis), cpu_engine());
        impl = pd.impl_info_str();
        return dnnl::softmax_forward(pd);
    }
    const dnnl::logsoftmax_forward::primitive_desc pd(
        dnnl::logsoftmax_forward::desc(prop, md, kAxis), cpu_engine());
    impl = pd.impl_info_str();
    return dnnl::logsoftmax_forward(pd);
#endif
}

void run_onednn(benchmark::State &state, const Case &c)
{
    try {
        smbench::peer::Io io(c);
        const auto dims = dnnl::memory::dims{
            static_cast<dnnl::memory::dim>(c.shape.rows),
            static_cast<dnnl::memory::dim>(c.shape.cols)};
        const dnnl::memory::desc md(dims, dnnl::memory::data_type::f32,
                                    dnnl::memory::format_tag::ab);
        std::string impl;
        const dnnl::primitive prim = make_primitive(c.op, md, impl);
        // Memory objects over our buffers: no copies. oneDNN only reads
        // through src, despite the non-const handle it wants.
        const dnnl::memory src(md, cpu_engine(), const_cast<float *>(io.x()));
        const dnnl::memory dst(md, cpu_engine(), io.y());
        const std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
        dnnl::stream stream(cpu_engine());

        // One untimed call: JIT warm-up, page faults, and the check.
        prim.execute(stream, args);
        stream.wait();
        if (!io.output_matches()) {
            state.SkipWithError("output differs from libsoftmax's");
            return;
        }
        io.drop_reference();
        for (auto _ : state) {
            prim.execute(stream, args);
            stream.wait();
            benchmark::ClobberMemory();
        }
        state.SetLabel(impl); // e.g. "jit:avx2": which kernel oneDNN chose
        smbench::peer::set_counters(state, c);
    } catch (const dnnl::error &e) {
        state.SkipWithError(e.what());
    }
}

// Caps the OpenMP team of this (the benchmark) thread at one, unless
// OMP_NUM_THREADS is set: then libgomp has sized the team from it (the
// report's thread-scaling runs set it to 2). Setting OMP_NUM_THREADS from
// here would be too late: libgomp reads it when it is loaded, before any
// static initializer of this program runs. The call is
// looked up rather than linked because oneDNN brings its own OpenMP runtime
// (libgomp on Debian) and linking ours, e.g. clang's libomp, could put two
// runtimes in one process. Returns the resulting thread count, or 0 when
// the library was not built on OpenMP (then it is whatever it defaults to).
int limit_openmp_threads()
{
    using SetFn = void (*)(int);
    using GetFn = int (*)();
    auto set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    auto get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    if (set == nullptr || get == nullptr)
        return 0;
    if (std::getenv("OMP_NUM_THREADS") == nullptr)
        set(1);
    return get();
}

std::string runtime_description()
{
    const dnnl_version_t *v = dnnl_version();
    std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) +
                    "." + std::to_string(v->patch);
    const int threads = limit_openmp_threads();
    s += threads > 0 ? ", OpenMP threads: " + std::to_string(threads)
                     : ", threads: library default (not OpenMP)";
    return s;
}

[[maybe_unused]] const bool registered = [] {
    benchmark::AddCustomContext("onednn", runtime_description());
    smbench::peer::register_cases("onednn", {Op::kSoftmax, Op::kLogSoftmax},
                                  {Placement::kOut, Placement::kIn},
                                  run_onednn);
    return true;
}();

} // namespace
