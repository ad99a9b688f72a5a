#!/usr/bin/env python3
"""Writes a gateway's appsettings.json: the template (the site's pin map, scenarios, logging) with
this gateway's identity, broker, TLS files and state directory filled in. Used by
provision-gateway.sh. Keys are matched case-insensitively, as the gateway reads them, so a template
that spells a key differently is updated in place rather than given a duplicate."""
import argparse
import json

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


def main():
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
        for existing in [k for k in mqtt if k.lower() == "tls"]:
            del mqtt[existing]

    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
