#include "bench/legacy_consent_index.h"

#include <algorithm>
#include <mutex>

namespace gatekeeper::bench {

void LegacyConsentIndex::Apply(std::vector<Change>& changes) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (Change& c : changes) {
    std::vector<Entry>& entries = by_customer_[c.entry.fact.customer_id];
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.fact.consent_id == c.entry.fact.consent_id;
    });
    if (c.only_state) {
      if (it != entries.end()) it->fact.state = c.entry.fact.state;
      continue;
    }
    const std::string& phone = c.entry.fact.phone_pseudonym;
    if (!phone.empty()) {
      Phone& p = customers_by_phone_[phone];
      if (p.masked.empty()) p.masked = std::move(c.phone_masked);
      auto& customers = p.customers;
      if (std::find(customers.begin(), customers.end(),
                    c.entry.fact.customer_id) == customers.end()) {
        customers.push_back(c.entry.fact.customer_id);
      }
    }
    if (it != entries.end()) {
      *it = std::move(c.entry);
    } else {
      entries.push_back(std::move(c.entry));
      ++size_;
    }
  }
}

void LegacyConsentIndex::Collect(const std::vector<Entry>& entries,
                                 v1::Purpose purpose,
                                 std::string_view company_id,
                                 std::string_view phone,
                                 std::vector<ConsentFact>& out) const {
  out.reserve(out.size() + entries.size());
  for (const Entry& e : entries) {
    if (e.purpose == purpose && e.company_id == company_id &&
        (phone.empty() || e.fact.phone_pseudonym == phone)) {
      out.push_back(e.fact);
    }
  }
}

std::vector<ConsentFact> LegacyConsentIndex::OfCustomer(
    std::string_view customer_id, v1::Purpose purpose,
    std::string_view company_id) const {
  std::vector<ConsentFact> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = by_customer_.find(customer_id);
  if (it != by_customer_.end()) {
    Collect(it->second, purpose, company_id, "", out);
  }
  return out;
}

std::vector<ConsentFact> LegacyConsentIndex::OfPhone(
    std::string_view phone_pseudonym, v1::Purpose purpose,
    std::string_view company_id) const {
  std::vector<ConsentFact> out;
  if (phone_pseudonym.empty()) return out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto p = customers_by_phone_.find(phone_pseudonym);
  if (p == customers_by_phone_.end()) return out;
  for (const std::string& customer : p->second.customers) {
    auto it = by_customer_.find(customer);
    if (it != by_customer_.end()) {
      Collect(it->second, purpose, company_id, phone_pseudonym, out);
    }
  }
  return out;
}

std::optional<std::string> LegacyConsentIndex::MaskOfPhone(
    std::string_view phone_pseudonym) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto p = customers_by_phone_.find(phone_pseudonym);
  if (p == customers_by_phone_.end()) return std::nullopt;
  return p->second.masked;
}

size_t LegacyConsentIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return size_;
}

}  // namespace gatekeeper::bench
