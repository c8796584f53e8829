// Readiness and shutdown notifications to systemd (sd_notify(3)) for a
// Type=notify unit (deploy/gatekeeperd.service). When the daemon is not run by
// systemd (NOTIFY_SOCKET unset) every call does nothing.
#ifndef GATEKEEPER_DAEMON_OPS_SYSTEMD_H_
#define GATEKEEPER_DAEMON_OPS_SYSTEMD_H_

namespace gatekeeper::ops {

// READY=1: the daemon listens and answers. Call once, after the listening
// line is printed; systemd then considers the start finished.
void NotifyReady();

// RELOADING=1: a config reload began; NotifyReady() says it ended (whether
// or not the new config was taken up).
void NotifyReloading();

// STOPPING=1: the daemon has begun its graceful shutdown.
void NotifyStopping();

}  // namespace gatekeeper::ops

#endif  // GATEKEEPER_DAEMON_OPS_SYSTEMD_H_
