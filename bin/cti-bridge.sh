#!/bin/sh
# `cti-bridge` for admins on the service's host (docs/admin.md): the CLI on the Node 24 that npm ci
# put into node_modules, against the service's configuration. Link it, don't copy it:
#   ln -s /opt/cti-bridge/bin/cti-bridge.sh /usr/local/bin/cti-bridge
# so it finds its checkout through the link and follows upgrades.
set -eu
home=$(dirname "$(dirname "$(readlink -f "$0")")")
export CTI_BRIDGE_CONFIG_DIR="${CTI_BRIDGE_CONFIG_DIR:-/etc/cti-bridge}"
# The service's EnvironmentFile, so env: secret references resolve as they do for the daemon. Only
# root can read it (mode 0600); for anyone else the commands that need no secret still work.
secrets="${CTI_BRIDGE_SECRETS_FILE:-/etc/cti-bridge/secrets.env}"
if [ -r "$secrets" ]; then
  export CTI_BRIDGE_SECRETS_FILE="$secrets"
else
  unset CTI_BRIDGE_SECRETS_FILE
fi
exec "$home/node_modules/node/bin/node" "$home/bin/cti-bridge.js" "$@"
