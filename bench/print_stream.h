// The bare streaming client of gkprintbench: a print run streamed from memory
// through InsertGate.CheckInsertBatch, with print-gate's shape (the sync
// client API, a sender thread keeping `in_flight` batches ahead of the
// answers, the answers read on the calling thread) and none of its work (no
// CSV read or written, no answer checked beyond its batch number and document
// count, no digest): what the transport and the protocol cost. The batches
// are built once from the manifest's layout (print_layout.h) and sent again
// and again with new batch numbers. Thread-compatible; one call at a time.
#ifndef GATEKEEPER_BENCH_PRINT_STREAM_H_
#define GATEKEEPER_BENCH_PRINT_STREAM_H_

#include <cstdint>
#include <string>

namespace gatekeeper::bench {

struct StreamOptions {
  std::string target;  // HOST:PORT
  std::string run_id;
  uint64_t documents = 0;  // to send, in batches of batch_size (last short)
  uint64_t customers = 1;  // of the layout
  uint32_t batch_size = 2000;
  uint32_t in_flight = 4;
  // Distinct batches built up front and sent in turn.
  uint32_t prebuilt_batches = 16;
};

struct StreamResult {
  bool ok = false;
  std::string error;  // when !ok
  uint64_t batches = 0, documents = 0, decisions = 0;
  // Serialized message bytes (protobuf, without gRPC's framing).
  uint64_t request_bytes = 0, response_bytes = 0;
  double seconds = 0;      // from the stream's start to the summary
  double cpu_seconds = 0;  // of this process over the same time
  std::string run_digest;  // the server's summary's

  double DocumentsPerSecond() const {
    return seconds > 0 ? static_cast<double>(documents) / seconds : 0;
  }
  double MegabytesPerSecond() const {
    return seconds > 0 ? static_cast<double>(request_bytes + response_bytes) /
                             1e6 / seconds
                       : 0;
  }
};

StreamResult StreamRun(const StreamOptions& options);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_PRINT_STREAM_H_
