using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Files;

namespace EdgeGuard.Configuration;

// The journal section: its limits and where a journal goes when the state directory cannot hold one.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        private JournalOptions? Journal(ConfigNode node)
        {
            if (node.IsPresent && !_w.Object(node, null, JournalKeys))
            {
                return null;
            }

            var maxRecords = _w.Int(node.Child("maxRecords"), null, required: false, 1_000, 100_000_000, DefaultJournalMaxRecords);
            var maxAge = _w.Int(node.Child("maxDeliveredAgeDays"), null, required: false, 1, 3_650, DefaultJournalMaxDeliveredAgeDays);
            var fallbackNode = node.Child("fallbackDirectory");
            var fallback = _w.PathValue(fallbackNode, null, required: false)?.Trim() ?? JournalOpener.DefaultFallbackDirectory;
            if (!Path.IsPathFullyQualified(fallback))
            {
                // Relative to what? The working directory is the state directory under systemd, the
                // one place this directory stands in for.
                _w.Error(fallbackNode, null, $"fallbackDirectory must be an absolute path (it is '{fallback}'); the default is {JournalOpener.DefaultFallbackDirectory}, systemd's RuntimeDirectory");
                return null;
            }

            JournalDirectory(fallbackNode, fallback);
            return maxRecords is not null && maxAge is not null
                ? new JournalOptions(maxRecords.Value, maxAge.Value) { FallbackDirectory = fallback }
                : null;
        }

        /// <summary>
        /// When validating: the state directory or the fallback directory held to
        /// <see cref="CheckedDirectory"/>'s rule. Whoever may put a file there could feed the
        /// gateway a forged journal or safety state (it adopts a RAM journal it finds in the
        /// fallback directory), and /dev/shm, which PrivateTmp does not cover, is anyone's. At
        /// <c>run</c> it is not checked, as for the TLS files: a mode changed after provisioning
        /// must not stop the site's protection.
        /// </summary>
        private void JournalDirectory(ConfigNode node, string directory)
        {
            if (!loadFiles || !OperatingSystem.IsLinux())
            {
                return;
            }

            try
            {
                if (CheckedDirectory.Problem(directory, "journal or safety state") is { } problem)
                {
                    _w.Error(node, null, problem);
                }
            }
            catch (TypeLoadException ex)
            {
                // statx needs glibc 2.28 (Debian 10), as for every file validate checks.
                _w.Error(node, null, $"directory '{directory}' cannot be checked: this system's C library lacks a call the checks need (glibc 2.28 or later): {ex.Message}");
            }
        }
    }
}
