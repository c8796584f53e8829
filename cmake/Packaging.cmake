# CPack: `cd build && cpack -G DEB` builds consent-gatekeeper_<version>_<arch>.deb
# from the install rules (prefix /usr, configuration in /etc). The maintainer
# scripts are in deploy/debian/.
set(GATEKEEPER_PACKAGE_MAINTAINER
  "Consent Gatekeeper maintainers <maintainers@users.noreply.r-seed-44cab31d.example>"
  CACHE STRING "Maintainer field of the Debian package")

set(CPACK_PACKAGE_NAME consent-gatekeeper)
set(CPACK_PACKAGE_VENDOR "Consent Gatekeeper")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "consent checks for bill inserts and sales calls, with a hash-chained audit log")
set(CPACK_PACKAGE_DESCRIPTION
  "gatekeeperd decides, for every leaflet enclosed in a bill and every outbound
sales dial, whether the customer's recorded consent allows it (ALLOW or BLOCK
with stable reason codes, failing closed), and keeps the evidence: consent
records with their proof and history and a tamper-evident, hash-chained log of
every change and decision. Includes gkctl (admin CLI), print-gate (the print
shop's client), libgkdial and gk-dial-hook (dialer hook, Asterisk AGI), a
systemd unit, a logrotate snippet and Prometheus and Grafana examples.")
set(CPACK_GENERATOR DEB)
# Install with DESTDIR set to the staging tree and CMAKE_INSTALL_PREFIX=/usr
# (whatever the build's own prefix), so that deploy/CMakeLists.txt puts the
# conffiles in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_NAME consent-gatekeeper)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${GATEKEEPER_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies are computed by dpkg-shlibdeps (package dpkg-dev);
# adduser is for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
  ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
  ${PROJECT_SOURCE_DIR}/deploy/debian/postrm
  ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
