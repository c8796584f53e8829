// gkctl admin backup | purge: a consistent copy of the daemon's database,
// and retention.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "clients/gkctl/commands.h"
#include "daemon/common/crypto.h"
#include "gatekeeper/v1/admin_service.grpc.pb.h"

namespace gkctl {
namespace {

namespace v1 = gatekeeper::v1;

struct BackupOptions {
  std::string out;
  std::string requested_by;
};

int Backup(const Globals& g, const BackupOptions& o) {
  const std::string tmp = o.out + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error("cannot create " + tmp);
  struct Cleanup {
    int fd;
    std::string tmp;
    bool keep = false;
    ~Cleanup() {
      if (fd >= 0) ::close(fd);
      if (!keep) ::unlink(tmp.c_str());
    }
  } cleanup{fd, tmp};

  v1::BackupRequest req;
  req.set_requested_by(o.requested_by);
  // A large database takes minutes: no deadline (Ctrl-C stops it).
  grpc::ClientContext ctx;
  auto reader = NewStub<v1::AdminService>(g)->Backup(&ctx, req);
  gatekeeper::Sha256Hasher hash;
  uint64_t bytes = 0;
  v1::BackupChunk chunk;
  std::optional<v1::BackupSummary> summary;
  while (reader->Read(&chunk)) {
    const std::string& d = chunk.data();
    size_t done = 0;
    while (done < d.size()) {
      const ssize_t n = ::write(fd, d.data() + done, d.size() - done);
      if (n <= 0) throw Error("cannot write " + tmp);
      done += static_cast<size_t>(n);
    }
    hash.Update(d);
    bytes += d.size();
    if (chunk.has_summary()) summary = chunk.summary();
  }
  CheckRpc(reader->Finish());
  if (!summary.has_value()) throw Error("the backup ended without a summary");
  const std::string sha = gatekeeper::ToHex(hash.Finish());
  if (summary->bytes() != bytes || summary->sha256() != sha) {
    throw Error("the backup arrived damaged (size or SHA-256 differs)");
  }
  if (::fsync(fd) != 0) throw Error("cannot fsync " + tmp);
  ::close(cleanup.fd);
  cleanup.fd = -1;
  if (std::rename(tmp.c_str(), o.out.c_str()) != 0) {
    throw Error("cannot rename " + tmp + " to " + o.out);
  }
  cleanup.keep = true;
  std::cout << "backup written to " << o.out << ": " << bytes
            << " bytes, sha256 " << sha << "\naudit log: checkpoint of "
            << summary->checkpoint().size() << " entries, root "
            << summary->checkpoint().root_hash() << "\nlogged as audit_seq "
            << summary->audit_seq() << "\ncheck it with: gatekeeperd "
            << "--verify-data-dir " << o.out << "\n";
  return kExitOk;
}

int Purge(const Globals& g, bool dry_run, const std::string& requested_by) {
  v1::PurgeRequest req;
  req.set_dry_run(dry_run);
  req.set_requested_by(requested_by);
  v1::PurgeResponse resp;
  // A first purge of years of records takes a while.
  grpc::ClientContext ctx;
  CheckRpc(NewStub<v1::AdminService>(g)->Purge(&ctx, req, &resp));
  if (g.json) {
    PrintJson(resp);
    return kExitOk;
  }
  const v1::PurgeCounts& n = resp.purged();
  std::cout << (dry_run ? "would purge" : "purged") << ": "
            << n.decision_entries() << " decision entries (before "
            << FormatTime(resp.decisions_before()) << "), "
            << n.provision_records() << " provision records (before "
            << FormatTime(resp.provision_records_before()) << "), "
            << n.withdrawn_consents() << " withdrawn consents (before "
            << FormatTime(resp.withdrawn_consents_before()) << "), "
            << n.disclosure_reports() << " disclosure reports (before "
            << FormatTime(resp.disclosure_reports_before()) << "); "
            << n.audit_entries() << " audit entries in all\n";
  if (resp.cut_seq() == 0) {
    std::cout << "chain not cut: the log has no complete 256-entry chunk yet\n";
  } else {
    std::cout << "chain cut at entry " << resp.cut_seq() << "\n";
  }
  for (uint64_t seq : resp.audit_seqs()) {
    std::cout << "logged as audit_seq " << seq << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddAdminCommands(CLI::App& app, const Globals& g, Action* action) {
  CLI::App* group = app.add_subcommand("admin", "Operate the daemon's data");
  group->require_subcommand(1);
  auto o = std::make_shared<BackupOptions>();
  CLI::App* backup = group->add_subcommand(
      "backup",
      "Take a consistent copy of the database while the daemon serves "
      "(SQLite's online backup API), with a fresh signed checkpoint, into "
      "FILE (written as FILE.tmp and renamed once its SHA-256 matched). The "
      "keys are not in it: back them up apart");
  backup->add_option("--out", o->out, "The backup file")->required();
  backup
      ->add_option("--requested-by", o->requested_by,
                   "Who takes it (operator id, job name); logged")
      ->required();
  OnSelect(backup, action, [&g, o] { return Backup(g, *o); });

  auto p = std::make_shared<std::pair<bool, std::string>>(false, "");
  CLI::App* purge = group->add_subcommand(
      "purge",
      "Remove the records past their retention (config retention) and cut "
      "the audit chain there, logged as audit.purged; the daemon does this "
      "daily. --dry-run only says what would go");
  purge->add_flag("--dry-run", p->first, "Remove nothing");
  purge
      ->add_option("--requested-by", p->second,
                   "Who purges (operator id); logged")
      ->required();
  OnSelect(purge, action, [&g, p] { return Purge(g, p->first, p->second); });
}

}  // namespace gkctl
