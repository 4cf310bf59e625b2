#!/usr/bin/env bash
# Generates throw-away TLS fixtures for the listener tests into the directory given as $1 (never into the
# repo: no key is committed). Everything is signed with EC P-256 keys so a run takes well under a second.
#
#   ca.crt / ca.key            test CA (stands in for the ZPA App Connector enrollment CA)
#   server.crt / server.key    relay certificate for localhost, 127.0.0.1 and ::1, signed by the CA
#   server2.crt / server2.key  a second relay certificate (CN zpa-relay-2), to test a SIGHUP reload
#   client.crt / client.key    App Connector client certificate signed by the CA
#   other-ca.crt               an unrelated CA
#   stranger.crt / stranger.key  a client certificate signed by the unrelated CA (must be refused)
set -euo pipefail
out="${1:?usage: generate.sh OUTPUT_DIR}"
mkdir -p "$out"
cd "$out"
days=2
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # name cn
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.crt"
}
leaf() { # name cn ca extfile-lines
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%b\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -sha256 -days "$days" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
server_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'
client_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'
ca ca 'zpa-relay test CA'
ca other-ca 'unrelated test CA'
leaf server zpa-relay ca "$server_ext"
leaf server2 zpa-relay-2 ca "$server_ext"
leaf client app-connector-1 ca "$client_ext"
leaf stranger stranger other-ca "$client_ext"
rm -f ./*.srl
