// print-gate's input files: the biller's manifest and the inserter's output,
// through CsvReader and the row checks. The first byte picks the file kind.
// Beyond not crashing: every row handed out holds ids that pass the same
// checks the daemon makes, and reading always ends.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "clients/print-gate/manifest.h"

namespace {

void CheckIds(const std::string& document_id,
              const std::vector<std::string>& codes) {
  if (!printgate::CheckDocumentId("d", document_id).empty()) __builtin_trap();
  for (const auto& c : codes) {
    if (!printgate::CheckCampaignId("c", c).empty()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool manifest = (data[0] & 1) == 0;
  auto in = std::make_unique<std::istringstream>(
      std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  printgate::CsvTable table(std::move(in), "fuzz.csv");
  printgate::RowProblem problem;
  if (!table.ReadHeader(
          manifest
              ? std::span<const std::string_view>(printgate::kManifestHeader)
              : std::span<const std::string_view>(printgate::kInsertedHeader),
          &problem)) {
    return 0;
  }
  // Each call consumes at least one byte, or ends.
  for (size_t calls = 0; calls <= size + 1; ++calls) {
    printgate::RowProblem p;
    printgate::RowResult r;
    if (manifest) {
      printgate::ManifestRow row;
      r = printgate::NextManifestRow(table, &row, &p);
      if (r == printgate::RowResult::kRow) {
        CheckIds(row.document_id, row.codes);
        if (!printgate::CheckCustomerId("c", row.customer_id).empty()) {
          __builtin_trap();
        }
      }
    } else {
      printgate::InsertedRow row;
      r = printgate::NextInsertedRow(table, &row, &p);
      if (r == printgate::RowResult::kRow) CheckIds(row.document_id, row.codes);
    }
    if (r == printgate::RowResult::kEnd) return 0;
    if (r == printgate::RowResult::kBad && p.fatal) return 0;
  }
  __builtin_trap();  // more records than bytes: the reader does not advance
}
