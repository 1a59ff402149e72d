// The sort-based baseline sampler; see sort_sampler.h.
#include "sort_sampler.h"

#include <algorithm>
#include <cmath>

namespace smbench {

namespace {

bool by_logit(const SortSampler::Candidate &a, const SortSampler::Candidate &b)
{
    return a.logit > b.logit;
}

} // namespace

void SortSampler::sort_candidates()
{
    if (!sorted_) {
        std::sort(cur_.begin(), cur_.begin() + size_, by_logit);
        sorted_ = true;
    }
}

// p = softmax of the candidates' logits, summed in float.
void SortSampler::softmax(bool sort)
{
    if (sort)
        sort_candidates();
    float max_l = cur_[0].logit;
    if (!sorted_)
        for (std::size_t i = 1; i < size_; i++)
            max_l = std::max(max_l, cur_[i].logit);
    float sum = 0.0f;
    for (std::size_t i = 0; i < size_; i++) {
        const float p = std::exp(cur_[i].logit - max_l);
        cur_[i].p = p;
        sum += p;
    }
    for (std::size_t i = 0; i < size_; i++)
        cur_[i].p /= sum;
}

std::int32_t SortSampler::sample(const float *x, std::size_t n,
                                 const SortSamplerOptions &o)
{
    cur_.resize(n);
    for (std::size_t i = 0; i < n; i++)
        cur_[i] = Candidate{static_cast<std::int32_t>(i), x[i], 0.0f};
    size_ = n;
    sorted_ = false;

    // Temperature.
    for (std::size_t i = 0; i < size_; i++)
        cur_[i].logit *= o.beta;

    // Top-k: the k largest, sorted, at the front.
    if (o.top_k > 0 && static_cast<std::size_t>(o.top_k) < size_) {
        const std::size_t k = static_cast<std::size_t>(o.top_k);
        std::partial_sort(cur_.begin(), cur_.begin() + k, cur_.begin() + size_,
                          by_logit);
        size_ = k;
        sorted_ = true;
    }

    // Min-p, on the logits: p_i >= min_p p_max.
    if (o.min_p > 0.0f) {
        if (sorted_) {
            const float min_logit = cur_[0].logit + std::log(o.min_p);
            std::size_t i = 1;
            while (i < size_ && cur_[i].logit >= min_logit)
                i++;
            size_ = i;
        } else {
            float max_l = cur_[0].logit;
            for (std::size_t i = 1; i < size_; i++)
                max_l = std::max(max_l, cur_[i].logit);
            const float min_logit = max_l + std::log(o.min_p);
            std::size_t kept = 0;
            for (std::size_t i = 0; i < size_; i++)
                if (cur_[i].logit >= min_logit)
                    cur_[kept++] = cur_[i];
            size_ = kept;
        }
    }

    // Top-p: the shortest most probable prefix of mass >= top_p.
    if (o.top_p < 1.0f) {
        softmax(true);
        float cum = 0.0f;
        std::size_t last = size_;
        for (std::size_t i = 0; i < size_; i++) {
            cum += cur_[i].p;
            if (cum >= o.top_p) {
                last = i + 1;
                break;
            }
        }
        size_ = last;
    }

    // Renormalise and draw.
    softmax(false);
    probs_.resize(size_);
    for (std::size_t i = 0; i < size_; i++)
        probs_[i] = cur_[i].p;
    std::discrete_distribution<std::size_t> dist(probs_.begin(), probs_.end());
    return cur_[dist(rng_)].id;
}

} // namespace smbench
