// Every RPC the daemon serves: each method of each service declared in
// proto/gatekeeper/v1, by its full gRPC name ("/gatekeeper.v1.S/M"), from the
// generated descriptors. A new .proto file of services must be linked in by
// naming one of its messages below, or ServedMethods() aborts saying so.
#ifndef GATEKEEPER_TESTS_TESTING_SERVED_METHODS_H_
#define GATEKEEPER_TESTS_TESTING_SERVED_METHODS_H_

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gatekeeper/v1/admin_service.pb.h"
#include "gatekeeper/v1/audit_service.pb.h"
#include "gatekeeper/v1/campaign_service.pb.h"
#include "gatekeeper/v1/consent_service.pb.h"
#include "gatekeeper/v1/dial_gate.pb.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gatekeeper::testing {

inline std::vector<std::string> ServedMethods() {
  // Naming a message of each file links its descriptors in.
  (void)v1::PurgeRequest::descriptor();
  (void)v1::Checkpoint::descriptor();
  (void)v1::CreateCampaignRequest::descriptor();
  (void)v1::RecordConsentRequest::descriptor();
  (void)v1::CheckDialRequest::descriptor();
  (void)v1::CheckInsertRequest::descriptor();
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<std::string> methods;
  for (const auto& entry : std::filesystem::directory_iterator(
           GATEKEEPER_SOURCE_DIR "/proto/gatekeeper/v1")) {
    if (entry.path().extension() != ".proto") continue;
    const std::string name =
        "gatekeeper/v1/" + entry.path().filename().string();
    const auto* file = pool->FindFileByName(name);
    if (file == nullptr) {
      std::fprintf(stderr,
                   "%s is not linked in: name one of its messages in "
                   "tests/testing/served_methods.h\n",
                   name.c_str());
      std::abort();
    }
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.push_back("/" + service->full_name() + "/" +
                          service->method(m)->name());
      }
    }
  }
  std::sort(methods.begin(), methods.end());
  return methods;
}

}  // namespace gatekeeper::testing

#endif  // GATEKEEPER_TESTS_TESTING_SERVED_METHODS_H_
