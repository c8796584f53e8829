#include "bench/print_stream.h"

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/print_layout.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/insert_gate.grpc.pb.h"

namespace gatekeeper::bench {
namespace {

double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Documents [first, first + count) of the layout as one batch request.
v1::InsertBatchRequest BuildBatch(uint64_t first, uint64_t count,
                                  uint64_t customers) {
  v1::InsertBatchRequest req;
  v1::InsertBatch* b = req.mutable_batch();
  for (uint64_t d = first; d < first + count; ++d) {
    v1::InsertItem* item = b->add_items();
    item->set_document_id(DocumentIdOf(d));
    item->set_customer_id(CustomerIdOf(CustomerOfDocument(d, customers)));
    const DocumentCodes codes = CodesOfDocument(d);
    for (int k = 0; k < codes.count; ++k) {
      item->add_campaign_ids(codes.codes[static_cast<size_t>(k)]);
    }
  }
  return req;
}

}  // namespace

StreamResult StreamRun(const StreamOptions& o) {
  StreamResult out;
  const uint64_t full = o.documents / o.batch_size;
  const uint64_t tail = o.documents % o.batch_size;
  const uint64_t total_batches = full + (tail > 0 ? 1 : 0);
  if (total_batches == 0) {
    out.error = "nothing to send";
    return out;
  }
  // batches[j] for j < prebuilt: the full batch sent as j, j + prebuilt, ...;
  // the last one: the short tail, if any.
  const uint64_t prebuilt =
      std::min<uint64_t>(std::max<uint32_t>(o.prebuilt_batches, 1), full);
  std::vector<v1::InsertBatchRequest> batches;
  for (uint64_t j = 0; j < prebuilt; ++j) {
    batches.push_back(BuildBatch(j * o.batch_size, o.batch_size, o.customers));
  }
  if (tail > 0) {
    batches.push_back(BuildBatch(full * o.batch_size, tail, o.customers));
  }
  auto slot = [&](uint64_t batch_no) -> size_t {
    return static_cast<size_t>(batch_no < full ? batch_no % prebuilt
                                               : batches.size() - 1);
  };
  std::vector<uint64_t> request_sizes(batches.size()),
      response_sizes(batches.size(), 0);
  std::vector<int> items(batches.size()), decisions(batches.size(), 0);
  for (size_t j = 0; j < batches.size(); ++j) {
    request_sizes[j] = batches[j].ByteSizeLong();
    items[j] = batches[j].batch().items_size();
    for (const v1::InsertItem& item : batches[j].batch().items()) {
      decisions[j] += item.campaign_ids_size();
    }
  }

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  auto channel = grpc::CreateCustomChannel(
      o.target, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10))) {
    out.error = StrCat("cannot connect to ", o.target);
    return out;
  }
  auto stub = v1::InsertGate::NewStub(channel);
  grpc::ClientContext ctx;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = ProcessCpuSeconds();
  auto stream = stub->CheckInsertBatch(&ctx);
  {
    v1::InsertBatchRequest open;
    open.mutable_open()->set_print_run_id(o.run_id);
    open.mutable_open()->set_actor("gkprintbench");
    // As print-gate asks: the answers carry reason bits, not the ids.
    open.mutable_open()->set_compact_answers(true);
    out.request_bytes += open.ByteSizeLong();
    stream->Write(open);
  }

  std::mutex mu;
  std::condition_variable cv;
  uint64_t answered = 0;  // guarded by mu
  bool stop = false;      // guarded by mu
  std::thread sender;
  std::string error;
  uint64_t expected = 0;  // the next batch_no to be answered
  bool opened = false, summarized = false;
  v1::InsertBatchResponse resp;
  while (stream->Read(&resp)) {
    if (resp.has_opened() && !opened) {
      opened = true;
      out.response_bytes += resp.ByteSizeLong();
      sender = std::thread([&] {
        for (uint64_t n = 0; n < total_batches; ++n) {
          {
            std::unique_lock<std::mutex> lock(mu);
            cv.wait(lock, [&] { return stop || n - answered < o.in_flight; });
            if (stop) return;
          }
          v1::InsertBatchRequest& req = batches[slot(n)];
          req.mutable_batch()->set_batch_no(n);
          if (!stream->Write(req)) return;  // the reader learns why
        }
        v1::InsertBatchRequest close;
        close.mutable_close();
        if (stream->Write(close)) stream->WritesDone();
      });
    } else if (resp.has_batch() && opened) {
      const v1::BatchDecided& b = resp.batch();
      const size_t j = slot(expected);
      if (b.batch_no() != expected || b.reason_bits_size() != decisions[j]) {
        error = StrCat("answer for batch ", b.batch_no(), " with ",
                       b.reason_bits_size(), " decisions when batch ", expected,
                       " of ", decisions[j], " was due");
        break;
      }
      // The same batch content gets the same answer: sized once.
      if (response_sizes[j] == 0) response_sizes[j] = resp.ByteSizeLong();
      out.response_bytes += response_sizes[j];
      out.request_bytes += request_sizes[j];
      out.decisions += static_cast<uint64_t>(b.reason_bits_size());
      out.documents += static_cast<uint64_t>(items[j]);
      ++out.batches;
      ++expected;
      {
        std::lock_guard<std::mutex> lock(mu);
        ++answered;
      }
      cv.notify_all();
    } else if (resp.has_summary() && opened && !summarized) {
      summarized = true;
      out.response_bytes += resp.ByteSizeLong();
      const v1::RunSummary& s = resp.summary();
      out.run_digest = s.run_digest();
      if (s.documents() != out.documents || s.batches() != out.batches ||
          s.decisions() != out.decisions) {
        error = StrCat("the summary (", s.batches(), " batches, ",
                       s.documents(), " documents, ", s.decisions(),
                       " decisions) does not match the answers (", out.batches,
                       ", ", out.documents, ", ", out.decisions, ")");
      }
    } else {
      error = "unexpected answer: " + resp.ShortDebugString().substr(0, 200);
      break;
    }
  }
  out.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  out.cpu_seconds = ProcessCpuSeconds() - cpu0;
  if (!error.empty()) ctx.TryCancel();
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_all();
  if (sender.joinable()) sender.join();
  const grpc::Status status = stream->Finish();
  if (error.empty() && !status.ok()) {
    error = StrCat("stream failed: ", static_cast<int>(status.error_code()),
                   " ", status.error_message());
  }
  if (error.empty() && !summarized) error = "the stream ended without summary";
  if (error.empty() && out.batches != total_batches) {
    error = StrCat(out.batches, " batches answered of ", total_batches);
  }
  out.ok = error.empty();
  out.error = error;
  return out;
}

}  // namespace gatekeeper::bench
