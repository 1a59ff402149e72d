// A sort-based sampler, the baseline that sm_sample_rows_f32 is measured
// against: what llama.cpp's CPU sampler chain does with a row of logits.
//
//   1. a candidate (token id, logit, p) for every entry of the vocabulary;
//   2. temperature: every logit times beta (1 / T);
//   3. top-k: std::partial_sort of the k largest to the front, then cut;
//   4. min-p: keep the logits >= max + log(min_p) (a prefix once sorted);
//   5. top-p: softmax over the candidates, sorting them all first if no
//      top-k has sorted them, then the shortest prefix whose float running
//      sum of p reaches top_p;
//   6. softmax over what is left (renormalised) and a draw from it with
//      std::discrete_distribution on a std::mt19937.
//
// The filters run in sm_sample_rows_f32's order (temperature, top-k, min-p,
// top-p; llama.cpp's default chain puts the temperature last), so both
// keep the same set. Like llama.cpp, the softmax sums in float, the
// comparison sorts by logit alone (ties in no particular order), and the
// last softmax needs only the maximum, so it does not sort. The candidate
// and weight buffers are reused from call to call (llama.cpp's
// common_sampler reuses the former).
#ifndef SMBENCH_SORT_SAMPLER_H
#define SMBENCH_SORT_SAMPLER_H

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace smbench {

struct SortSamplerOptions {
    float beta = 1.0f;  // inverse temperature, finite and > 0
    std::int32_t top_k = 0; // 0 or >= the row: off
    float top_p = 1.0f; // 1: off
    float min_p = 0.0f; // 0: off
};

class SortSampler {
public:
    // llama_token_data.
    struct Candidate {
        std::int32_t id;
        float logit;
        float p;
    };

    explicit SortSampler(std::uint32_t seed) : rng_(seed) {}

    // A token drawn from the n logits at x.
    std::int32_t sample(const float *x, std::size_t n,
                        const SortSamplerOptions &o);

    // The kept set of the last call and each entry's probability within
    // it: most probable first when a filter sorted them, else in token
    // order.
    const Candidate *kept() const { return cur_.data(); }
    std::size_t kept_size() const { return size_; }

private:
    void sort_candidates();
    void softmax(bool sort);

    std::vector<Candidate> cur_;
    std::vector<float> probs_; // the kept p, for the draw
    std::size_t size_ = 0;
    bool sorted_ = false;
    std::mt19937 rng_;
};

} // namespace smbench

#endif // SMBENCH_SORT_SAMPLER_H
