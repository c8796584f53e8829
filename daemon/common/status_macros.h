// Early-return helpers for absl::Status and absl::StatusOr.
#ifndef GATEKEEPER_DAEMON_COMMON_STATUS_MACROS_H_
#define GATEKEEPER_DAEMON_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RETURN_IF_ERROR(expr) \
  do {                        \
    absl::Status _s = (expr); \
    if (!_s.ok()) return _s;  \
  } while (0)

#define GK_ASSIGN_OR_RETURN_IMPL(var, tmp, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  var = std::move(*tmp)
#define GK_CONCAT_INNER(a, b) a##b
#define GK_CONCAT(a, b) GK_CONCAT_INNER(a, b)
#define ASSIGN_OR_RETURN(var, expr) \
  GK_ASSIGN_OR_RETURN_IMPL(var, GK_CONCAT(_r_, __LINE__), expr)

#endif  // GATEKEEPER_DAEMON_COMMON_STATUS_MACROS_H_
