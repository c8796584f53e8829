#include "daemon/ops/dashboard.h"

namespace gatekeeper {

// The page is dashboard/index.html, made a string literal at build time
// (cmake/EmbedText.cmake) so that it can be edited as HTML.
std::string_view DashboardHtml() {
  static constexpr std::string_view kPage =
#include "dashboard_html.inc"
      ;
  return kPage;
}

}  // namespace gatekeeper
