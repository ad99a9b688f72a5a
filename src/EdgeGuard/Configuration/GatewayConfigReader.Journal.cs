using EdgeGuard.Journal;

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

            return maxRecords is not null && maxAge is not null
                ? new JournalOptions(maxRecords.Value, maxAge.Value) { FallbackDirectory = fallback }
                : null;
        }
    }
}
