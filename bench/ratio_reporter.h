// A display reporter that passes every run on to Google Benchmark's own
// (console, JSON or CSV, as --benchmark_format says) and, at the end,
// prints a table: per line, a baseline's CPU time and, for the other
// benchmarks of the line, the median of one of their counters (in
// bench_loss, their time over the baseline's, measured alternately with
// it). Without the counter, a cell falls back to the ratio of the median
// CPU times.
#ifndef SMBENCH_RATIO_REPORTER_H
#define SMBENCH_RATIO_REPORTER_H

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace smbench {

class RatioReporter : public benchmark::BenchmarkReporter {
public:
    // columns[0] heads the baseline's time (in microseconds), the others
    // the ratios; title explains them.
    RatioReporter(std::string title, std::vector<std::string> columns,
                  std::string counter)
        : title_(std::move(title)), columns_(std::move(columns)),
          counter_(std::move(counter)),
          display_(benchmark::CreateDefaultDisplayReporter())
    {
    }

    // One line: its two label cells, then one benchmark name per column
    // (names[0] the baseline; an empty name leaves its cell blank).
    void add_line(std::string shape, std::string isa,
                  std::vector<std::string> names)
    {
        lines_.push_back(Line{std::move(shape), std::move(isa), std::move(names)});
    }

    bool ReportContext(const Context &context) override
    {
        return display_->ReportContext(context);
    }

    void ReportRuns(const std::vector<Run> &runs) override
    {
        for (const Run &run : runs) {
            if (run.error_occurred)
                continue;
            const std::string &name = run.run_name.function_name;
            Values *v = run.run_type == Run::RT_Iteration ? &samples_[name]
                        : run.aggregate_name == "median"  ? &medians_[name]
                                                          : nullptr;
            if (!v) // the other aggregates: mean, stddev, cv
                continue;
            v->cpu_ns.push_back(cpu_ns(run));
            const auto c = run.counters.find(counter_);
            if (c != run.counters.end())
                v->counter.push_back(c->second.value);
        }
        display_->ReportRuns(runs);
    }

    void Finalize() override
    {
        display_->Finalize();
        // After the console table; beside JSON or CSV on stdout it would
        // spoil the format, so it goes to stderr then.
        const bool console =
            dynamic_cast<benchmark::ConsoleReporter *>(display_) != nullptr;
        print(console ? display_->GetOutputStream() : std::cerr);
    }

private:
    struct Values {
        std::vector<double> cpu_ns, counter;
    };

    struct Line {
        std::string shape, isa;
        std::vector<std::string> names;
    };

    static double cpu_ns(const Run &run)
    {
        return run.GetAdjustedCPUTime() * 1e9 /
               benchmark::GetTimeUnitMultiplier(run.time_unit);
    }

    // Google Benchmark's median when repetitions made one, else the median
    // of the runs seen (one, without repetitions); negative if none.
    double median(const std::string &name,
                  std::vector<double> Values::*field) const
    {
        const auto m = medians_.find(name);
        if (m != medians_.end() && !(m->second.*field).empty())
            return (m->second.*field).back();
        const auto s = samples_.find(name);
        if (s == samples_.end() || (s->second.*field).empty())
            return -1.0;
        std::vector<double> v = s->second.*field;
        const std::size_t mid = v.size() / 2;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid),
                         v.end());
        const double upper = v[mid];
        if (v.size() % 2)
            return upper;
        return (upper + *std::max_element(v.begin(), v.begin() +
                                          static_cast<std::ptrdiff_t>(mid))) / 2;
    }

    void print(std::ostream &out) const
    {
        std::vector<const Line *> shown;
        for (const Line &line : lines_)
            if (median(line.names[0], &Values::cpu_ns) > 0)
                shown.push_back(&line);
        if (shown.empty())
            return;
        char cell[64];
        out << '\n' << title_ << '\n';
        std::snprintf(cell, sizeof cell, "%-12s %-12s", "shape", "isa");
        out << cell;
        for (const std::string &c : columns_)
            out << ' ' << std::string(c.size() < 9 ? 9 - c.size() : 0, ' ') << c;
        out << '\n';
        for (const Line *line : shown) {
            std::snprintf(cell, sizeof cell, "%-12s %-12s", line->shape.c_str(),
                          line->isa.c_str());
            out << cell;
            const double base = median(line->names[0], &Values::cpu_ns);
            for (std::size_t i = 0; i < columns_.size(); i++) {
                const int width = static_cast<int>(std::max<std::size_t>(
                    columns_[i].size(), 9));
                const std::string none;
                const std::string &name =
                    i < line->names.size() ? line->names[i] : none;
                double v = name.empty() ? -1.0 : median(name, &Values::counter);
                if (i == 0 || v < 0) {
                    const double t = name.empty() ? -1.0
                                                  : median(name, &Values::cpu_ns);
                    v = i == 0 ? t / 1e3 : t / base;
                }
                if (v < 0)
                    std::snprintf(cell, sizeof cell, " %*s", width, "-");
                else
                    std::snprintf(cell, sizeof cell, " %*.*f", width,
                                  i == 0 ? 1 : 2, v);
                out << cell;
            }
            out << '\n';
        }
        out.flush();
    }

    std::string title_;
    std::vector<std::string> columns_;
    std::string counter_;
    BenchmarkReporter *display_; // Google Benchmark's, static: never freed
    std::vector<Line> lines_;
    std::map<std::string, Values> samples_, medians_;
};

} // namespace smbench

#endif // SMBENCH_RATIO_REPORTER_H
