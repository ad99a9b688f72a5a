using System.Text;
using EdgeGuard.Configuration;
using Microsoft.Extensions.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The valid baseline (a copy of the EdgeGuard section of the sample appsettings.json, kept here so
/// that edits to the shipped sample do not silently change what the broken-config cases test) and
/// helpers to mutate it key by key, as an environment variable or override would.
/// </summary>
internal static class TestConfigs
{
    public const string BaselineJson = """
    {
      "EdgeGuard": {
        "site": "embassy-demo",
        "gateway": "gw-chancery",
        "stateDirectory": "state",
        "hardware": { "driver": "libgpiod", "chip": "0" },
        "zones": [
          { "id": "lobby", "name": "Public lobby" },
          { "id": "chancery", "name": "Chancery" },
          { "id": "perimeter", "name": "Perimeter fence" },
          { "id": "guardroom", "name": "Guard room" }
        ],
        "points": [
          { "id": "door-lobby", "kind": "doorContact", "line": 17, "activeLevel": "high", "pull": "up", "debounceMs": 25, "zone": "lobby" },
          { "id": "door-chancery", "kind": "doorContact", "line": 27, "activeLevel": "high", "pull": "up", "debounceMs": 25, "zone": "chancery" },
          { "id": "fence-north", "kind": "perimeter", "line": 22, "activeLevel": "high", "pull": "up", "debounceMs": 200, "zone": "perimeter" },
          { "id": "panic-lobby", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "debounceMs": 500, "zone": "lobby" },
          { "id": "panic-guardroom", "kind": "panicButton", "line": 24, "activeLevel": "high", "pull": "up", "debounceMs": 500, "zone": "guardroom" },
          { "id": "tamper-gateway", "kind": "tamper", "line": 25, "activeLevel": "high", "pull": "up", "debounceMs": 50, "zone": "guardroom" },
          { "id": "key-guardroom", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "debounceMs": 50, "zone": "guardroom" },
          { "id": "rex-lobby", "kind": "requestToExit", "line": 6, "activeLevel": "low", "pull": "up", "debounceMs": 25, "zone": "lobby" },
          { "id": "fire-panel", "kind": "fireAlarm", "line": 26, "activeLevel": "high", "pull": "up", "debounceMs": 100, "zone": "guardroom" },
          { "id": "key-evacuate", "kind": "keyswitch", "line": 21, "activeLevel": "low", "pull": "up", "debounceMs": 50, "zone": "guardroom" },
          { "id": "key-drill", "kind": "keyswitch", "line": 7, "activeLevel": "low", "pull": "up", "debounceMs": 50, "zone": "guardroom" }
        ],
        "outputs": [
          { "id": "lock-lobby", "kind": "lock", "line": 12, "activeLevel": "high", "zone": "lobby", "failMode": "failSafe", "egress": true, "normallyLocked": false, "hardwiredExit": true },
          { "id": "lock-chancery", "kind": "lock", "line": 13, "activeLevel": "high", "zone": "chancery", "failMode": "failSecure", "egress": false, "normallyLocked": true },
          { "id": "siren-main", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "guardroom" },
          { "id": "strobe-lobby", "kind": "strobe", "line": 19, "activeLevel": "high", "zone": "lobby" },
          { "id": "lamp-lockdown", "kind": "indicator", "line": 20, "activeLevel": "high", "zone": "guardroom" }
        ],
        "doors": [
          { "id": "lobby", "lock": "lock-lobby", "contact": "door-lobby", "requestToExit": [ "rex-lobby" ], "heldOpenSeconds": 30, "releaseSeconds": 5 }
        ],
        "lockdown": {
          "zones": [],
          "sirenSeconds": 120,
          "clearKeyswitches": [ "key-guardroom" ],
          "drillTriggers": [ "key-drill" ]
        },
        "scenarios": [
          { "id": "evacuate", "mode": "evacuation", "zones": [], "rank": 200, "triggers": [ "key-evacuate" ], "releasers": [ "key-guardroom" ], "sirenSeconds": 600 }
        ],
        "drill": { "mutedOutputs": [ "siren-main" ] },
        "threatLevels": {
          "initial": 1,
          "levels": [
            { "level": 1, "name": "normal", "armedZones": [ "perimeter" ] },
            { "level": 3, "name": "elevated", "armedZones": [ "perimeter" ], "heldOpenSeconds": 15 },
            { "level": 5, "name": "critical", "armedZones": [ "perimeter", "lobby" ], "breachStartsLockdown": true, "heldOpenSeconds": 5 }
          ]
        },
        "lifeSafety": { "fireResetKeyswitches": [ "key-guardroom" ] },
        "simulation": { "controlSocket": "" },
        "mqtt": { "host": "", "port": 1883 }
      }
    }
    """;

    /// <summary>The shipped sample, copied next to the test assembly by the host project.</summary>
    public static string SamplePath => Path.Combine(AppContext.BaseDirectory, "appsettings.json");

    public static IConfiguration FromJson(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    /// <summary>The baseline flattened to configuration keys (<c>EdgeGuard:points:0:line</c> → <c>17</c>).</summary>
    public static Dictionary<string, string?> Baseline() =>
        FromJson(BaselineJson).AsEnumerable()
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);

    public static IConfiguration FromKeys(IEnumerable<KeyValuePair<string, string?>> keys) =>
        new ConfigurationBuilder().AddInMemoryCollection(keys).Build();

    /// <summary>Reads the baseline after <paramref name="mutate"/> has edited its keys.</summary>
    /// <summary>
    /// The baseline with a mutual-TLS broker connection to the office (port 8883) from these
    /// files, loaded as <c>validate</c> loads them unless <paramref name="loadFiles"/> is false.
    /// </summary>
    public static ConfigResult ReadWithTls(string ca, string cert, string key, bool loadFiles = true) => Read(
        k =>
        {
            k.Set("mqtt:host", "broker.office.example");
            k.Set("mqtt:port", "8883");
            k.Set("mqtt:tls:caFile", ca);
            k.Set("mqtt:tls:certFile", cert);
            k.Set("mqtt:tls:keyFile", key);
        },
        loadFiles: loadFiles);

    public static ConfigResult Read(Action<Dictionary<string, string?>> mutate, bool simulate = false, bool loadFiles = false)
    {
        var keys = Baseline();
        mutate(keys);
        return GatewayConfigReader.Read(FromKeys(keys), simulate, loadFiles);
    }

    /// <summary>Sets a key below <c>EdgeGuard:</c>, e.g. <c>points:1:line</c>.</summary>
    public static void Set(this Dictionary<string, string?> keys, string key, string? value) => keys[$"EdgeGuard:{key}"] = value;

    /// <summary>Removes a key below <c>EdgeGuard:</c> and everything nested under it.</summary>
    public static void Drop(this Dictionary<string, string?> keys, string key)
    {
        var full = $"EdgeGuard:{key}";
        foreach (var k in keys.Keys.Where(k => k.Equals(full, StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith(full + ":", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            keys.Remove(k);
        }
    }

    /// <summary>Renames the last segment of a scalar key (a technician's typo): <c>points:0:line</c>, <c>lne</c>.</summary>
    public static void RenameKey(this Dictionary<string, string?> keys, string key, string newName)
    {
        var value = keys[$"EdgeGuard:{key}"];
        keys.Remove($"EdgeGuard:{key}");
        keys.Set(key[..(key.LastIndexOf(':') + 1)] + newName, value);
    }

    /// <summary>Asserts one error has exactly <paramref name="path"/> and a message containing every fragment.</summary>
    public static ConfigError AssertError(ConfigResult result, string path, params string[] fragments)
    {
        Assert.Null(result.Config);
        Assert.False(result.IsValid);
        var match = result.Errors.FirstOrDefault(e =>
            string.Equals(e.Path, path, StringComparison.Ordinal)
            && fragments.All(f => e.Message.Contains(f, StringComparison.OrdinalIgnoreCase)));
        Assert.True(match is not null,
            $"Expected an error at '{path}' mentioning [{string.Join(", ", fragments)}], got:\n{result.ToReport()}");
        return match!;
    }
}
