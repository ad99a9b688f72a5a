#!/usr/bin/env python3
"""Writes a gateway's appsettings.json: the template (the site's pin map, scenarios, logging) with
this gateway's identity, broker, TLS files and state directory filled in. Used by
provision-gateway.sh, which also asks it (--operator-keys CONFIG) where the operators' public key
files are, (--time-zone CONFIG) which time zone threatLevels names and (--mqtt-host CONFIG) the
broker's host. Keys are matched case-insensitively, as the gateway reads them, so a template
that spells a key differently is updated in place rather than given a duplicate.

A template is read as the gateway reads its config (.NET's JSON configuration provider): // and
/* */ comments and trailing commas are accepted, a UTF-8 byte order mark is ignored, a key given
twice in one object (in any spelling) is refused. When nothing needs filling in, the template is
copied byte for byte, so an installed config re-rendered with the same values keeps its comments."""
import argparse
import json
import sys

STATE_DIRECTORY = "/var/lib/edgeguard"
TLS_FILES = {
    "caFile": "/etc/edgeguard/tls/ca.pem",
    "certFile": "/etc/edgeguard/tls/gateway.crt",
    "keyFile": "/etc/edgeguard/tls/gateway.key",
}


class ConfigError(Exception):
    """A template the gateway would not read either: the message names the file (and line)."""


class DuplicateKey(Exception):
    """A key given twice in one object (the message says which)."""


def _blank(chars, start, end):
    # Spaces where a comment or trailing comma was, newlines kept: json's line and column numbers
    # stay those of the file, for the error message.
    for i in range(start, end):
        if chars[i] not in "\r\n":
            chars[i] = " "


def _line_col(text, index):
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def as_strict_json(text, name):
    """TEXT with what .NET's JSON reader skips (comments and trailing commas, outside strings)
    blanked out. A comma is trailing only after a value ('[,]' and '{,}' stay, for json to refuse,
    as the gateway does)."""
    chars = list(text)
    significant = []  # indices of the last two characters outside strings and comments
    i, n, in_string = 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            in_string = c != '"'
        elif c == '"':
            in_string = True
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            _blank(chars, i, end)
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                line, col = _line_col(text, i)
                raise ConfigError(f"{name}:{line}:{col}: a /* comment is never closed")
            _blank(chars, i, end + 2)
            i = end + 2
            continue
        elif c in "]}" and len(significant) == 2 and text[significant[1]] == ",":
            if text[significant[0]] not in "[{,:":
                _blank(chars, significant[1], significant[1] + 1)
        if c == '"' or not (in_string or c.isspace()):
            significant = (significant + [i])[-2:]
        i += 1
    return "".join(chars)


def _unique_keys(pairs):
    # The gateway's reader refuses a key given twice in one object, in any spelling (its keys are
    # case-insensitive), two objects too (ConfigFileShape.cs: they would merge key by key, which
    # neither meant); json would keep the last silently. Merged here, the written config no longer
    # showed the duplicate, and validated with half of it lost.
    result = {}
    for key, value in pairs:
        first = next((k for k in result if k.lower() == key.lower()), None)
        if first is None:
            result[key] = value
        else:
            raise DuplicateKey(f"the key '{key}' is given twice in one object (first as '{first}'); the gateway refuses that")
    return result


def load_config(path):
    """The config at PATH as the gateway reads it, and its bytes as they are."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8-sig")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None
    try:
        config = json.loads(as_strict_json(text, path), object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    except DuplicateKey as e:
        raise ConfigError(f"{path}: {e}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return config, raw


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
    config, _ = load_config(config_file)
    operators = child(child(child(config, "EdgeGuard"), "commands"), "operators")
    for index, item in enumerate(operators if isinstance(operators, list) else []):
        path = child(item, "publicKeyFile")
        if isinstance(path, str) and "\n" not in path and "\t" not in path:
            print(f"{index}\t{path}")


# The settings provision-gateway.sh asks for by option, each EdgeGuard.SECTION.KEY of a config, and why:
# --time-zone, whether --root DIR needs a tz database; --mqtt-host, to tell a time server an earlier
# release was given from the broker's host.
STRING_QUERIES = {"--time-zone": ("threatLevels", "timeZone"), "--mqtt-host": ("mqtt", "host")}


def print_setting(config_file, section, key):
    """Prints EdgeGuard.SECTION.KEY of CONFIG_FILE when it is a one-line string (nothing otherwise)."""
    config, _ = load_config(config_file)
    value = child(child(child(config, "EdgeGuard"), section), key)
    if isinstance(value, str) and "\n" not in value:
        print(value)


def main():
    try:
        run()
    except ConfigError as e:
        # What is wrong and where, for the technician: never a traceback.
        print(f"render-config: {e}", file=sys.stderr)
        sys.exit(1)


def run():
    if len(sys.argv) == 3 and sys.argv[1] == "--operator-keys":
        operator_keys(sys.argv[2])
        return
    if len(sys.argv) == 3 and sys.argv[1] in STRING_QUERIES:
        print_setting(sys.argv[2], *STRING_QUERIES[sys.argv[1]])
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
    # Given when the gateway's certificate names a CRL distribution point or an OCSP responder:
    # only then can a revocation check (online, offline) succeed at all.
    parser.add_argument("--revocation-url", action="store_true")
    args = parser.parse_args()

    config, raw = load_config(args.template)
    as_read = json.dumps(config)
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
        revocation = child(tls, "revocation")
        if revocation is None:
            tls["revocation"] = "noCheck"
        elif not args.revocation_url and not (isinstance(revocation, str) and revocation.strip().lower() == "nocheck"):
            # Kept, it passed edgeguard validate and every TLS connect then failed: the status of the
            # broker's certificate cannot be fetched from an address no certificate names.
            raise ConfigError(
                f"{args.template}: mqtt.tls.revocation '{revocation}' needs a CRL or OCSP address, and the"
                " gateway's certificate names none (the office CA of deploy/office/certs.sh publishes"
                " neither): every connect to the broker would fail. Set it to noCheck, or remove it"
                " (provisioning writes noCheck); the broker is pinned to caFile")
    else:
        # Explicitly off, never just absent: the gateway refuses plain MQTT to a broker that is not on
        # loopback unless tls.enabled is false (an isolated test network). The template's TLS files go
        # with the rest of its tls section: with TLS off they are not used, so they must not be checked.
        for existing in [k for k in mqtt if k.lower() == "tls"]:
            del mqtt[existing]
        mqtt["tls"] = {"enabled": False}

    if json.dumps(config) == as_read:
        # Every value already as given (a re-run on the installed config): the file as written,
        # comments and layout included. json.dumps tells true from 1, which == on dicts does not.
        with open(args.output, "wb") as f:
            f.write(raw)
        return
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
