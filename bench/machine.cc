#include "bench/machine.h"

#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "daemon/common/strings.h"

namespace gatekeeper::bench {

namespace fs = std::filesystem;

std::string ExampleConfigYaml(std::string_view tool, const fs::path& data_dir,
                              std::string_view extra) {
  return StrCat("# Written by ", tool,
                R"yaml(: config/gatekeeper.example.yaml on 127.0.0.1:0.
listen: "127.0.0.1:0"
data_dir: ")yaml",
                data_dir.string(), R"yaml("
utc_offset: "+09:00"
max_batch: 512
)yaml",
                extra, R"yaml(companies:
  - id: "hikari-net"
    legal_name: "ひかりネット株式会社"
    address: "東京都千代田区丸の内1-1-1"
    phone: "0120-000-111"
    representative: "代表取締役 山田太郎"
  - id: "denki-home"
    legal_name: "でんきホームサービス株式会社"
    address: "大阪府大阪市北区梅田2-2-2"
    phone: "0120-000-222"
    representative: "代表取締役 佐藤花子"
notices:
  - id: "ad-2026-04"
    purpose: AD_INSERT
    company_ids: ["hikari-net", "denki-home"]
    text: "電気料金のご請求書に、グループ会社(ひかりネット株式会社、でんきホームサービス株式会社)の広告チラシを同封することに同意します。"
  - id: "tm-2026-04"
    purpose: TELEMARKETING
    company_ids: ["hikari-net"]
    text: "私の電話番号を、ひかりネット株式会社に提供し、同社から光回線サービスのご案内の電話を受けることに同意します。"
)yaml");
}

absl::StatusOr<DataDir> PrepareDataDir(const std::string& flag,
                                       std::string_view tool) {
  DataDir out;
  if (flag.empty()) {
    std::string tmpl = StrCat("/tmp/", tool, "-XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return absl::UnavailableError("mkdtemp failed");
    }
    out.path = tmpl;
    out.temporary = true;
    return out;
  }
  out.path = fs::absolute(flag);
  std::error_code ec;
  fs::create_directories(out.path, ec);
  if (ec) {
    return absl::UnavailableError(StrCat(
        "--data-dir: cannot create ", out.path.string(), ": ", ec.message()));
  }
  fs::permissions(out.path, fs::perms::owner_all, fs::perm_options::replace,
                  ec);
  return out;
}

uint64_t SeedMarker::Read(const fs::path& dir) const {
  std::ifstream in(dir / file);
  std::string word;
  int found_layout = 0;
  uint64_t n = 0;
  if (!(in >> word >> found_layout) || word != "layout" ||
      found_layout != layout) {
    return 0;
  }
  if (!(in >> word >> n) || word != key) return 0;
  return n;
}

absl::Status SeedMarker::Write(const fs::path& dir, uint64_t n) const {
  const fs::path tmp = dir / StrCat(file, ".tmp");
  {
    std::ofstream out(tmp);
    out << "layout " << layout << "\n" << key << " " << n << "\n";
    if (!out) return absl::UnavailableError("cannot write the seed marker");
  }
  std::error_code ec;
  fs::rename(tmp, dir / file, ec);
  if (ec) return absl::UnavailableError(ec.message());
  return absl::OkStatus();
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

std::string FsType(const fs::path& p) {
  struct statfs s {};
  if (::statfs(p.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53UL:
      return "ext4";
    case 0x01021994UL:
      return "tmpfs (fsync is free: durability costs nothing here)";
    case 0x794C7630UL:
      return "overlayfs";
    case 0x9123683EUL:
      return "btrfs";
    case 0x58465342UL:
      return "xfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "fs magic 0x%lx",
                    static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

uint64_t FileSize(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

uint64_t TotalMemoryKib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  while (in >> key >> kib) {
    if (key == "MemTotal:") return kib;
    in.ignore(64, '\n');
  }
  return 0;
}

std::string Mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB",
                static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

double SelfCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace gatekeeper::bench
