#!/usr/bin/env python3
"""Writes a gateway's appsettings.json: the template (the site's pin map, scenarios, logging) with
this gateway's identity, broker, TLS files and state directory filled in. Used by
provision-gateway.sh, which also asks it (--operator-keys CONFIG) where the operators' public key
files are. Keys are matched case-insensitively, as the gateway reads them, so a template
that spells a key differently is updated in place rather than given a duplicate."""
import argparse
import json
import sys

STATE_DIRECTORY = "/var/lib/edgeguard"
TLS_FILES = {
    "caFile": "/etc/edgeguard/tls/ca.pem",
    "certFile": "/etc/edgeguard/tls/gateway.crt",
    "keyFile": "/etc/edgeguard/tls/gateway.key",
}


def put(obj, name, value):
    for existing in list(obj):
        if existing.lower() == name.lower():
            obj[existing] = value
            return
    obj[name] = value


def section(obj, name):
    for existing, value in obj.items():
        if existing.lower() == name.lower() and isinstance(value, dict):
            return value
    put(obj, name, {})
    return section(obj, name)


def child(obj, name):
    """The value of key NAME, matched case-insensitively as the gateway reads keys (None if absent)."""
    if isinstance(obj, dict):
        for existing, value in obj.items():
            if existing.lower() == name.lower():
                return value
    return None


def operator_keys(config_file):
    """Prints INDEX<TAB>PATH for each commands.operators[INDEX].publicKeyFile of CONFIG_FILE (a string),
    so that provision-gateway.sh can point the validator at them inside --root DIR."""
    with open(config_file, encoding="utf-8") as f:
        config = json.load(f)
    operators = child(child(child(config, "EdgeGuard"), "commands"), "operators")
    for index, item in enumerate(operators if isinstance(operators, list) else []):
        path = child(item, "publicKeyFile")
        if isinstance(path, str) and "\n" not in path and "\t" not in path:
            print(f"{index}\t{path}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--operator-keys":
        operator_keys(sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("template")
    parser.add_argument("output")
    parser.add_argument("--site", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--driver", required=True)
    parser.add_argument("--chip", default="")
    parser.add_argument("--tls", dest="tls", action="store_true", default=True)
    parser.add_argument("--no-tls", dest="tls", action="store_false")
    args = parser.parse_args()

    with open(args.template, encoding="utf-8") as f:
        config = json.load(f)
    eg = section(config, "EdgeGuard")
    put(eg, "site", args.site)
    put(eg, "gateway", args.gateway)
    put(eg, "stateDirectory", STATE_DIRECTORY)
    hardware = section(eg, "hardware")
    put(hardware, "driver", args.driver)
    if args.chip:
        put(hardware, "chip", args.chip)
    mqtt = section(eg, "mqtt")
    put(mqtt, "host", args.host)
    put(mqtt, "port", args.port)
    if args.tls:
        # Other tls keys of the template (revocation, serverName) are kept.
        tls = section(mqtt, "tls")
        put(tls, "enabled", True)
        for key, path in TLS_FILES.items():
            put(tls, key, path)
        # The office CA (deploy/office/certs.sh) publishes no CRL or OCSP address, and an embassy
        # gateway may reach nothing but its broker, so an online check would refuse the office
        # broker. The broker is pinned to caFile; revoked gateways are refused by the broker's CRL.
        if not any(k.lower() == "revocation" for k in tls):
            tls["revocation"] = "noCheck"
    else:
        # Explicitly off, never just absent: the gateway refuses plain MQTT to a broker that is not on
        # loopback unless tls.enabled is false (an isolated test network). The template's TLS files go
        # with the rest of its tls section: with TLS off they are not used, so they must not be checked.
        for existing in [k for k in mqtt if k.lower() == "tls"]:
            del mqtt[existing]
        mqtt["tls"] = {"enabled": False}

    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
