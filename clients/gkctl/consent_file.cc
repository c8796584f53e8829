// gkctl consent import | export: consents to and from RFC 4180 CSV files.
//
// import runs in two passes over the file, so that nothing of a file with
// bad rows is stored (unless --skip-bad): the first parses every record and
// streams the good ones to ImportConsents with validate_only (the daemon
// checks each exactly as RecordConsent would, and against the request_ids it
// holds); the second, when every row passed or the bad ones are set aside,
// streams them again for real. The file is read twice rather than held in
// memory (a million rows would be about half a GiB of messages).
#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

#include "clients/common/csv.h"
#include "clients/common/progress.h"
#include "clients/gkctl/commands.h"
#include "clients/gkctl/import_rows.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/consent_service.grpc.pb.h"

namespace gkctl {
namespace {

namespace fs = std::filesystem;
namespace v1 = gatekeeper::v1;
using gatekeeper::StrCat;
using gkclient::CsvReader;
using google::protobuf::util::TimeUtil;

// The export file's: the import's with phone_masked for phone_number, then
// what a migration needs besides.
constexpr std::string_view kExportColumns[] = {
    "request_id",   "customer_id", "purpose",      "company_id",
    "phone_masked", "notice_id",   "channel",      "evidence_ref",
    "collected_at", "expires_at",  "collected_by", "consent_id",
    "state",        "recorded_at"};

// Rows a message (the daemon's limit is 10,000) and bytes a message.
constexpr int kRowsPerMessage = 10'000;
constexpr size_t kBytesPerMessage = 8 << 20;
// Rows listed on stderr when a file has bad rows and --skip-bad is absent.
constexpr size_t kBadRowsShown = 20;

struct ImportOptions {
  std::string file, skip_bad;
};

struct ExportOptions {
  std::string out, customer, requested_by;
};

// "ad-insert" for PURPOSE_AD_INSERT: the spelling of gkctl's flags.
template <typename E>
std::string FlagName(E value) {
  std::string s = ShortName(value);
  for (char& c : s) {
    c = c == '_'
            ? '-'
            : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

std::string TimeText(bool has, const google::protobuf::Timestamp& t) {
  return has ? TimeUtil::ToString(t) : std::string();
}

// 64-bit FNV-1a, to find request_ids used twice in a file without keeping
// them all.
uint64_t Hash(std::string_view s, uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Opens `path` and checks the header; the reader is positioned on the first
// data record.
struct CsvFile {
  explicit CsvFile(const std::string& path) : in(path, std::ios::binary) {
    if (!in) {
      throw Error(StrCat(path, ": cannot open (", std::strerror(errno), ")"));
    }
    reader = std::make_unique<CsvReader>(in);
    std::vector<std::string> header;
    if (reader->Next(header) != CsvReader::Result::kRecord) {
      throw Error(StrCat(path, ": line 1: expected the header \"",
                         ImportHeader(), "\""));
    }
    if (!IsImportHeader(header)) {
      throw Error(StrCat(path, ": line 1: the header must be exactly \"",
                         ImportHeader(), "\""));
    }
  }
  std::ifstream in;
  std::unique_ptr<CsvReader> reader;
};

// One pass over the file: every good record (not in `bad`) sent to
// ImportConsents, `on_bad` told of the others. Fills `lines` (row i+1 of the
// stream is file line lines[i]) and, when `bad_out` is set, adds the rows
// that fail to parse to `bad`.
struct PassResult {
  v1::ImportConsentsResponse response;
  std::vector<uint32_t> lines;
  uint64_t records = 0;
};

PassResult RunPass(
    const Globals& g, const std::string& path, bool validate_only,
    uint32_t max_errors, std::map<uint64_t, std::string>* bad,
    const std::function<void(uint64_t line, const std::vector<std::string>&,
                             const std::string& error)>& on_bad,
    uint64_t total_records) {
  CsvFile file(path);
  PassResult out;
  // No deadline for the whole stream (a million rows take seconds): the
  // --timeout applies to each message's write and to the answer.
  grpc::ClientContext ctx;
  auto stub = NewStub<v1::ConsentService>(g);
  auto writer = stub->ImportConsents(&ctx, &out.response);
  gkclient::Progress progress(validate_only ? "checking " : "importing",
                              total_records, "rows");
  ImportRowParser parser;
  // (request_id hash, content hash, line): duplicates found after the pass.
  std::vector<std::array<uint64_t, 3>> ids;
  v1::ImportConsentsRequest msg;
  msg.set_validate_only(validate_only);
  msg.set_max_errors(max_errors);
  size_t msg_bytes = 0;
  bool stream_ok = true;
  auto flush = [&] {
    if (msg.consents_size() == 0) return;
    if (stream_ok && !writer->Write(msg)) stream_ok = false;
    msg.clear_consents();
    msg_bytes = 0;
  };
  std::vector<std::string> fields;
  const bool first_pass = bad != nullptr && validate_only;
  while (stream_ok) {
    const CsvReader::Result r = file.reader->Next(fields);
    if (r == CsvReader::Result::kEnd) break;
    const uint64_t line = file.reader->line();
    if (r == CsvReader::Result::kError) {
      if (file.reader->fatal()) {
        throw Error(StrCat(path, ": line ", line, ": ", file.reader->error()));
      }
      ++out.records;
      if (first_pass) (*bad)[line] = StrCat("record: ", file.reader->error());
      on_bad(line, fields, StrCat("record: ", file.reader->error()));
      continue;
    }
    ++out.records;
    progress.Update(out.records);
    if (!first_pass) {
      auto it = bad->find(line);
      if (it != bad->end()) {
        on_bad(line, fields, it->second);
        continue;
      }
    }
    uint64_t content = 0;
    if (first_pass) {
      content = 1;
      for (const auto& f : fields) content = Hash(f, Hash("\x1f", content));
    }
    v1::RecordConsentRequest* req = msg.add_consents();
    try {
      parser.Parse(fields, *req);
    } catch (const Error& e) {
      msg.mutable_consents()->RemoveLast();
      (*bad)[line] = e.what();
      on_bad(line, {}, e.what());
      continue;
    }
    if (first_pass) ids.push_back({Hash(req->request_id()), content, line});
    msg_bytes += req->ByteSizeLong();
    out.lines.push_back(static_cast<uint32_t>(line));
    if (msg.consents_size() >= kRowsPerMessage ||
        msg_bytes >= kBytesPerMessage) {
      flush();
    }
  }
  flush();
  if (stream_ok) writer->WritesDone();
  grpc::Status s = writer->Finish();
  progress.Finish();
  CheckRpc(s);
  if (first_pass) {
    // The same request_id for two different consents: the later line is bad
    // (the daemon would reject it, but only when importing).
    std::stable_sort(ids.begin(), ids.end(),
                     [](const auto& a, const auto& b) { return a[0] < b[0]; });
    for (size_t i = 1; i < ids.size(); ++i) {
      size_t j = i;
      while (j > 0 && ids[j - 1][0] == ids[i][0]) {
        --j;
        if (ids[j][1] != ids[i][1]) {
          (*bad)[ids[i][2]] = StrCat("request_id: also used on line ",
                                     ids[j][2], " for a different consent");
          break;
        }
      }
    }
  }
  return out;
}

// The daemon's rejections (rows of the stream) as file lines.
void AddRejections(const PassResult& pass,
                   std::map<uint64_t, std::string>& bad) {
  for (const auto& e : pass.response.errors()) {
    if (e.row() == 0 || e.row() > pass.lines.size()) {
      throw Error(
          StrCat("the daemon rejected row ", e.row(), ", which was not sent"));
    }
    bad[pass.lines[e.row() - 1]] =
        e.field().empty() ? e.reason() : StrCat(e.field(), ": ", e.reason());
  }
  if (pass.response.rejected() >
      static_cast<uint64_t>(pass.response.errors_size())) {
    throw Error(StrCat("the daemon rejected ", pass.response.rejected(),
                       " rows but listed only ", pass.response.errors_size()));
  }
}

// Writes to "<path>.tmp-<pid>" and renames over `path` on Commit().
class AtomicFile {
 public:
  explicit AtomicFile(std::string path)
      : path_(std::move(path)),
        tmp_(StrCat(path_, ".tmp-", static_cast<long>(::getpid()))),
        out_(tmp_, std::ios::binary | std::ios::trunc) {
    if (!out_) {
      throw Error(StrCat(tmp_, ": cannot create (", std::strerror(errno), ")"));
    }
  }
  ~AtomicFile() {
    if (!committed_) {
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
  }
  void Write(const std::string& s) {
    out_.write(s.data(), static_cast<std::streamsize>(s.size()));
  }
  void Commit() {
    out_.flush();
    out_.close();
    if (!out_) throw Error(StrCat(tmp_, ": write failed"));
    std::error_code ec;
    fs::rename(tmp_, path_, ec);
    if (ec)
      throw Error(
          StrCat(path_, ": cannot rename into place (", ec.message(), ")"));
    committed_ = true;
  }

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

int Import(const Globals& g, const ImportOptions& o) {
  std::map<uint64_t, std::string> bad;  // line -> "field: reason"
  // Pass 1: parse everything and have the daemon check it all.
  const uint32_t max_errors = o.skip_bad.empty() ? 1000 : 1'000'000;
  PassResult check = RunPass(
      g, o.file, /*validate_only=*/true, max_errors, &bad,
      [](uint64_t, const std::vector<std::string>&, const std::string&) {}, 0);
  AddRejections(check, bad);
  if (!bad.empty() && o.skip_bad.empty()) {
    size_t shown = 0;
    for (const auto& [line, why] : bad) {
      if (shown++ == kBadRowsShown) {
        std::cerr << "gkctl: ... and " << bad.size() - kBadRowsShown
                  << " more\n";
        break;
      }
      std::cerr << "gkctl: " << o.file << ": line " << line << ": " << why
                << "\n";
    }
    throw Error(StrCat(o.file, ": ", bad.size(), " bad rows of ", check.records,
                       ", nothing imported (--skip-bad FILE imports the rest "
                       "and writes the bad rows to FILE)"));
  }
  // Pass 2: the import, bad rows set aside.
  std::unique_ptr<AtomicFile> bad_file;
  if (!o.skip_bad.empty()) {
    bad_file = std::make_unique<AtomicFile>(o.skip_bad);
    std::string header;
    std::vector<std::string_view> cols(std::begin(kImportColumns),
                                       std::end(kImportColumns));
    cols.push_back("error");
    gkclient::AppendCsvRecord(header, cols, "\r\n");
    bad_file->Write(header);
  }
  uint64_t set_aside = 0;
  PassResult run = RunPass(
      g, o.file, /*validate_only=*/false, max_errors, &bad,
      [&](uint64_t, const std::vector<std::string>& fields,
          const std::string& why) {
        ++set_aside;
        if (!bad_file) return;
        std::vector<std::string_view> cols(fields.begin(), fields.end());
        cols.resize(kImportColumnCount);
        cols.push_back(why);
        std::string rec;
        gkclient::AppendCsvRecord(rec, cols, "\r\n");
        bad_file->Write(rec);
      },
      check.records);
  if (bad_file) bad_file->Commit();
  const auto& r = run.response;
  std::cout << "imported " << r.imported() << ", already present "
            << r.already_present() << ", rejected " << set_aside + r.rejected()
            << "\n";
  if (r.rejected() > 0) {
    // Rows that passed the check and failed the import (a request_id stored
    // meanwhile with other content): neither imported nor set aside.
    std::map<uint64_t, std::string> late;
    AddRejections(run, late);
    for (const auto& [line, why] : late) {
      std::cerr << "gkctl: " << o.file << ": line " << line << ": " << why
                << "\n";
    }
    throw Error(StrCat(o.file, ": ", r.rejected(),
                       " rows passed the check but were rejected by the "
                       "import; the other rows were imported"));
  }
  return kExitOk;
}

int Export(const Globals& g, const ExportOptions& o) {
  if (o.out.empty()) throw Error("--out: is required");
  if (o.requested_by.empty()) throw Error("--requested-by: is required");
  v1::ExportConsentsRequest req;
  req.set_customer_id(o.customer);
  req.set_requested_by(o.requested_by);
  AtomicFile file(o.out);
  std::string buf;
  gkclient::AppendCsvRecord(
      buf,
      std::span<const std::string_view>(std::begin(kExportColumns),
                                        std::end(kExportColumns)),
      "\r\n");
  grpc::ClientContext ctx;
  auto reader = NewStub<v1::ConsentService>(g)->ExportConsents(&ctx, req);
  v1::ExportConsentsResponse page;
  uint64_t rows = 0;
  while (reader->Read(&page)) {
    const google::protobuf::Timestamp as_of = page.as_of();
    for (const auto& c : page.consents()) {
      std::string state = FlagName(c.state());
      if (c.state() == v1::CONSENT_STATE_GRANTED && c.has_expires_at() &&
          !(as_of < c.expires_at())) {
        state = "expired";
      }
      const std::array<std::string, std::size(kExportColumns)> fields = {
          c.request_id(),
          c.customer_id(),
          FlagName(c.purpose()),
          c.company_id(),
          c.phone_masked(),
          c.notice_id(),
          FlagName(c.channel()),
          c.evidence_ref(),
          TimeText(c.has_collected_at(), c.collected_at()),
          TimeText(c.has_expires_at(), c.expires_at()),
          c.collected_by(),
          c.consent_id(),
          state,
          TimeText(c.has_recorded_at(), c.recorded_at())};
      std::array<std::string_view, std::size(kExportColumns)> views;
      for (size_t i = 0; i < views.size(); ++i) views[i] = fields[i];
      gkclient::AppendCsvRecord(buf, views, "\r\n");
      ++rows;
    }
    if (buf.size() >= (1 << 20)) {
      file.Write(buf);
      buf.clear();
    }
  }
  CheckRpc(reader->Finish());
  file.Write(buf);
  file.Commit();
  std::cout << "exported " << rows << (rows == 1 ? " consent" : " consents")
            << " to " << o.out << "\n";
  return kExitOk;
}

}  // namespace

void AddConsentFileCommands(CLI::App& group, const Globals& g, Action* action) {
  {
    auto o = std::make_shared<ImportOptions>();
    CLI::App* cmd = group.add_subcommand(
        "import",
        "Import consents from a CSV file (header: request_id,customer_id,"
        "purpose,company_id,phone_number,notice_id,channel,evidence_ref,"
        "collected_at,expires_at,collected_by). Every row is checked first; "
        "a file with bad rows imports nothing unless --skip-bad. Re-running "
        "a file imports nothing twice (request_id)");
    cmd->add_option("file", o->file, "The CSV file")->required();
    cmd->add_option("--skip-bad", o->skip_bad,
                    "Import the good rows and write the bad ones to this "
                    "file (same columns plus error)");
    OnSelect(cmd, action, [&g, o] { return Import(g, *o); });
  }
  {
    auto o = std::make_shared<ExportOptions>();
    CLI::App* cmd = group.add_subcommand(
        "export",
        "Export consents to a CSV file: the import's columns with "
        "phone_masked for phone_number (numbers are never exported), then "
        "consent_id, state (granted, withdrawn, expired) and recorded_at. "
        "The export is logged");
    cmd->add_option("--out", o->out, "The CSV file to write (required)");
    cmd->add_option("--customer", o->customer,
                    "Only this customer's consents (default: every one)");
    cmd->add_option("--requested-by", o->requested_by,
                    "Who asks for the export (operator id): required, logged");
    OnSelect(cmd, action, [&g, o] { return Export(g, *o); });
  }
}

}  // namespace gkctl
