// The security options every command-line client takes (README, "Security"):
// --tls-ca, --cert, --key and --token-file, or the GATEKEEPER_TLS_CA,
// GATEKEEPER_CERT, GATEKEEPER_KEY and GATEKEEPER_TOKEN_FILE variables.
#ifndef GATEKEEPER_CLIENTS_COMMON_SECURITY_FLAGS_H_
#define GATEKEEPER_CLIENTS_COMMON_SECURITY_FLAGS_H_

#include <CLI/CLI.hpp>

#include "clients/common/channel.h"

namespace gatekeeper::clients {

inline void AddSecurityOptions(CLI::App& app, ChannelSecurity& security) {
  app.add_option("--tls-ca", security.tls_ca,
                 "CA certificate (PEM) of the daemon's TLS certificate; "
                 "connects with TLS")
      ->type_name("FILE")
      ->envname("GATEKEEPER_TLS_CA");
  app.add_option("--cert", security.cert,
                 "Client certificate (PEM) for mutual TLS; needs --key")
      ->type_name("FILE")
      ->envname("GATEKEEPER_CERT");
  app.add_option("--key", security.key,
                 "Private key (PEM, mode 0600) of --cert")
      ->type_name("FILE")
      ->envname("GATEKEEPER_KEY");
  app.add_option("--token-file", security.token_file,
                 "File (mode 0600) whose first line is a bearer token, sent "
                 "with every call")
      ->type_name("FILE")
      ->envname("GATEKEEPER_TOKEN_FILE");
}

}  // namespace gatekeeper::clients

#endif  // GATEKEEPER_CLIENTS_COMMON_SECURITY_FLAGS_H_
