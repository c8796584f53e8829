#include "daemon/store/do_not_solicit_index.h"

#include <algorithm>
#include <mutex>

namespace gatekeeper {

template <typename M>
bool DoNotSolicitIndex::Remove(M& map, const std::string& key,
                               const std::string& entry_id) {
  auto it = map.find(key);
  if (it == map.end()) return false;
  auto& v = it->second;
  auto end = std::remove_if(v.begin(), v.end(), [&](const DoNotSolicitFact& f) {
    return f.entry_id == entry_id;
  });
  const bool removed = end != v.end();
  v.erase(end, v.end());
  if (v.empty()) map.erase(it);
  return removed;
}

void DoNotSolicitIndex::Apply(const std::vector<Change>& changes) {
  if (changes.empty()) return;
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const Change& c : changes) {
    const DoNotSolicitFact& e = c.entry;
    if (c.cleared) {
      if (Remove(by_customer_, e.customer_id, e.entry_id)) --size_;
      if (!e.phone_pseudonym.empty()) {
        Remove(by_phone_, e.phone_pseudonym, e.entry_id);
      }
      continue;
    }
    by_customer_[e.customer_id].push_back(e);
    if (!e.phone_pseudonym.empty()) by_phone_[e.phone_pseudonym].push_back(e);
    ++size_;
  }
}

std::vector<DoNotSolicitFact> DoNotSolicitIndex::Of(
    std::string_view phone_pseudonym,
    const std::vector<std::string>& customer_ids) const {
  std::vector<DoNotSolicitFact> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto add = [&](const std::vector<DoNotSolicitFact>& v) {
    for (const DoNotSolicitFact& f : v) {
      if (std::none_of(out.begin(), out.end(), [&](const DoNotSolicitFact& o) {
            return o.entry_id == f.entry_id;
          })) {
        out.push_back(f);
      }
    }
  };
  if (!phone_pseudonym.empty()) {
    if (auto it = by_phone_.find(phone_pseudonym); it != by_phone_.end()) {
      add(it->second);
    }
  }
  for (const std::string& c : customer_ids) {
    if (auto it = by_customer_.find(c); it != by_customer_.end()) {
      add(it->second);
    }
  }
  return out;
}

size_t DoNotSolicitIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return size_;
}

}  // namespace gatekeeper
