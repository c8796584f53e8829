#include "daemon/policy/calling.h"

#include <algorithm>

#include "daemon/common/local_time.h"
#include "daemon/common/strings.h"

namespace gatekeeper::policy {

CallingRules CallingRulesFromConfig(const Config& config) {
  CallingRules r;
  r.utc_offset_seconds = ParseUtcOffset(config.utc_offset()).value_or(9 * 3600);
  r.start_minute =
      ParseTimeOfDay(config.calling_hours().start(), false).value_or(9 * 60);
  r.end_minute =
      ParseTimeOfDay(config.calling_hours().end(), true).value_or(20 * 60);
  for (const std::string& d : config.blackout_dates()) {
    if (auto day = ParseIsoDate(d); day.ok()) r.blackout_days.push_back(*day);
  }
  std::sort(r.blackout_days.begin(), r.blackout_days.end());
  r.cap_per_campaign_day =
      config.frequency_caps().per_number_per_campaign_per_day();
  r.cap_per_company_30d = config.frequency_caps().per_number_per_company_30d();
  return r;
}

std::optional<std::string> OutsideCallingHours(const CallingRules& rules,
                                               const v1::Campaign& campaign,
                                               Micros now) {
  const LocalTime local = ToLocalTime(now, rules.utc_offset_seconds);
  if (std::binary_search(rules.blackout_days.begin(), rules.blackout_days.end(),
                         local.day)) {
    return StrCat(FormatIsoDate(local.day), " is a blackout date");
  }
  int start = rules.start_minute, end = rules.end_minute;
  const char* whose = "the calling hours";
  if (!campaign.calling_window_start().empty()) {
    // Validated at CreateCampaign; an unreadable window allows nothing.
    const int ws = ParseTimeOfDay(campaign.calling_window_start(), false)
                       .value_or(24 * 60);
    const int we =
        ParseTimeOfDay(campaign.calling_window_end(), true).value_or(0);
    start = std::max(start, ws);
    end = std::min(end, we);
    whose = "the calling hours of campaign and deployment";
  }
  if (local.minute >= start && local.minute < end) return std::nullopt;
  if (end <= start) {
    return StrCat("campaign ", campaign.campaign_id(),
                  "'s calling window does not overlap the calling hours ",
                  FormatTimeOfDay(rules.start_minute), "-",
                  FormatTimeOfDay(rules.end_minute));
  }
  return StrCat("local time ", FormatTimeOfDay(local.minute), " is outside ",
                whose, " ", FormatTimeOfDay(start), "-", FormatTimeOfDay(end));
}

CapWindows CapWindowsAt(const CallingRules& rules, Micros now) {
  const LocalTime local = ToLocalTime(now, rules.utc_offset_seconds);
  return {LocalDayStart(local.day, rules.utc_offset_seconds), now - kCapWindow};
}

}  // namespace gatekeeper::policy
