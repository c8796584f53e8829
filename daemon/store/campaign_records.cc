#include "daemon/store/campaign_records.h"

#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"

namespace gatekeeper {

absl::StatusOr<std::optional<v1::Campaign>> ReadCampaign(
    sqlite::Connection& db, std::string_view campaign_id) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT body FROM campaigns WHERE campaign_id = ?"));
  s.Bind(1, campaign_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<v1::Campaign>();
  v1::Campaign c;
  if (!c.ParseFromString(s.Text(0))) {
    return absl::DataLossError(
        StrCat("campaign ", campaign_id, ": stored record does not parse"));
  }
  return std::optional<v1::Campaign>(std::move(c));
}

absl::Status PutCampaign(WriteContext& w, const v1::Campaign& c, bool insert) {
  w.pending().campaigns.push_back(c);
  w.Touch(CampaignKey(c.campaign_id()));
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      insert ? w.db().Prepare("INSERT INTO campaigns(body, campaign_id) "
                              "VALUES(?, ?)")
             : w.db().Prepare("UPDATE campaigns SET body = ? WHERE "
                              "campaign_id = ?"));
  std::string body;
  c.SerializeToString(&body);
  s.BindBlob(1, body).Bind(2, c.campaign_id());
  return s.Run();
}

absl::StatusOr<CampaignMap> LoadCampaigns(sqlite::Connection& db) {
  CampaignMap campaigns;
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db.Prepare("SELECT campaign_id, body FROM campaigns"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    v1::Campaign c;
    if (!c.ParseFromString(s.Text(1))) {
      return absl::DataLossError(
          StrCat("campaign ", s.Text(0), ": stored record does not parse"));
    }
    campaigns.emplace(s.Text(0), std::move(c));
  }
  return campaigns;
}

}  // namespace gatekeeper
