# The Debian package `cpack -G DEB` makes from the install rules: one package,
# crmmap_VERSION_ARCH.deb, holding the command, the man page, completion,
# serve's systemd unit, the docs and examples, and the VM library with its
# headers and .pc file for embedding (static, small: no -dev split).
# The runtime dependencies are what dpkg-shlibdeps finds the binary linking
# (libcjson1, libcurl4, libmicrohttpd12, libsqlite3-0, libssl3, zlib1g, libc6).
set(CPACK_PACKAGE_NAME crmmap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CRMMAP_DEB_MAINTAINER "crmmap maintainers <maintainers@crmmap.invalid>" CACHE STRING
    "the Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT ${CRMMAP_DEB_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "compiler and runtime for a declarative CRM field-mapping language")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "crmmap checks .map files against the field definitions of a CRM (Salesforce,
HubSpot, Dynamics 365, Pipedrive), tests and compiles them to bytecode, and
transfers records to the CRM's REST API, batched, retried and journaled.
`crmmap serve` receives lead webhooks; its systemd unit is crmmap-serve.service.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The embedding headers and .pc file name these; a runtime-only user does not need them.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libssl-dev, zlib1g-dev, pkg-config")
set(CPACK_GENERATOR DEB)
include(CPack)
