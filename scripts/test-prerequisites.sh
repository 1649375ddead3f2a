#!/usr/bin/env bash
# Runs before `npm test` (npm's `pretest`): the tests use real parts, and a fresh machine of this project's kind has
# RabbitMQ and Mosquitto running but no Chromium. Installs what is missing where it can (apt-get, as root), and
# otherwise stops with one clear message per missing part instead of a failure deep inside a test.
# .ci/run calls `npm test` too, so CI and a developer get the same set-up.
set -euo pipefail

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
apt_updated=0

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Chromium for the editor tests (test/browser, playwright-core drives the system's browser).
if [ ! -x "$chromium_path" ]; then
  if [ -z "${CHROMIUM_PATH:-}" ] && can_install; then
    echo "npm test: installing Chromium for the editor tests (apt-get install chromium) …"
    apt_install chromium
  else
    missing+=("Chromium for the editor tests: not found at $chromium_path. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.")
  fi
fi

# openssl makes the self-signed certificate of the TLS verification test.
if ! command -v openssl >/dev/null 2>&1; then
  if can_install; then
    echo "npm test: installing openssl for the TLS test (apt-get install openssl) …"
    apt_install openssl
  else
    missing+=("openssl, for the TLS verification test (Debian/Ubuntu: sudo apt-get install openssl).")
  fi
fi

# The services are started by the machine (or by .ci/run), not by the tests: say which one does not answer.
if ! port_open 5672; then
  missing+=("RabbitMQ on 127.0.0.1:5672 does not answer (Debian/Ubuntu: sudo apt-get install rabbitmq-server; or docker run -d -p 5672:5672 rabbitmq:3).")
fi
if ! command -v rabbitmqctl >/dev/null 2>&1; then
  missing+=("rabbitmqctl, with which the tests create least-privilege users (it comes with rabbitmq-server; run the tests as a user allowed to use it).")
fi
if ! port_open 1883; then
  missing+=("Mosquitto on 127.0.0.1:1883 does not answer (Debian/Ubuntu: sudo apt-get install mosquitto).")
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "npm test needs these, which this machine lacks:" >&2
  for line in "${missing[@]}"; do echo "  - $line" >&2; done
  exit 1
fi
