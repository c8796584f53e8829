#include "daemon/store/dial_counter.h"

#include <algorithm>
#include <mutex>

namespace gatekeeper {

uint32_t DialCounter::Intern(const std::string& name) {
  auto [it, inserted] = ids_.emplace(name, static_cast<uint32_t>(ids_.size()));
  return it->second;
}

uint32_t DialCounter::Find(std::string_view name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? UINT32_MAX : it->second;
}

void DialCounter::Add(const std::vector<Dial>& dials) {
  if (dials.empty()) return;
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const Dial& d : dials) {
    newest_ = std::max(newest_, d.at);
    std::vector<Entry>& entries = by_phone_[d.phone_pseudonym];
    // Forget what no cap window can reach any more.
    const Micros cutoff = newest_ - kKeep;
    auto keep = std::find_if(entries.begin(), entries.end(),
                             [&](const Entry& e) { return e.at >= cutoff; });
    size_ -= static_cast<size_t>(keep - entries.begin());
    entries.erase(entries.begin(), keep);
    entries.push_back({d.at, Intern(d.company_id), Intern(d.campaign_id)});
    ++size_;
  }
  // Numbers not dialled for a while: drop them about once a day.
  if (newest_ - swept_at_ > 86'400'000'000LL) {
    const Micros cutoff = newest_ - kKeep;
    for (auto it = by_phone_.begin(); it != by_phone_.end();) {
      if (it->second.back().at < cutoff) {
        size_ -= it->second.size();
        it = by_phone_.erase(it);
      } else {
        ++it;
      }
    }
    swept_at_ = newest_;
  }
}

DialCounts DialCounter::Count(std::string_view phone_pseudonym,
                              std::string_view company_id,
                              std::string_view campaign_id, Micros day_start,
                              Micros since) const {
  DialCounts counts;
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = by_phone_.find(phone_pseudonym);
  if (it == by_phone_.end()) return counts;
  const uint32_t company = Find(company_id);
  const uint32_t campaign = Find(campaign_id);
  for (const Entry& e : it->second) {
    if (e.campaign == campaign && e.at >= day_start) ++counts.campaign_today;
    if (e.company == company && e.at > since) ++counts.company_30d;
  }
  return counts;
}

void DialCounter::CountPending(const std::vector<Dial>& pending,
                               std::string_view phone_pseudonym,
                               std::string_view company_id,
                               std::string_view campaign_id, Micros day_start,
                               Micros since, DialCounts& counts) {
  for (const Dial& d : pending) {
    if (d.phone_pseudonym != phone_pseudonym) continue;
    if (d.campaign_id == campaign_id && d.at >= day_start) {
      ++counts.campaign_today;
    }
    if (d.company_id == company_id && d.at > since) ++counts.company_30d;
  }
}

size_t DialCounter::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return size_;
}

}  // namespace gatekeeper
