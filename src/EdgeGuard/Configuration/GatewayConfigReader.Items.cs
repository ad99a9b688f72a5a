namespace EdgeGuard.Configuration;

// What every list item is read with: its subject for messages, its id, and the keys points and
// outputs share.
public static partial class GatewayConfigReader
{
    /// <summary>The keys points and outputs share, as read (each null when wrong, after reporting why).</summary>
    private readonly record struct DeviceKeys<TKind>(string? Subject, string? Id, TKind? Kind, int? Line, bool? ActiveHigh)
        where TKind : struct;

    private sealed partial class Run
    {
        /// <summary>An id usable as an MQTT topic level. Returned as typed even when invalid, for cross-checks.</summary>
        private string? Id(ConfigNode node, string? subject, bool required)
        {
            var id = _w.Scalar(node, subject, required);
            if (id is null)
            {
                return null;
            }

            if (id.Length > MaxIdLength || !IsIdText(id))
            {
                var lower = id.Trim().ToLowerInvariant();
                var hint = ConfigWalker.DidYouMean(lower != id && lower.Length > 0 && IsIdText(lower) ? lower : null);
                var why = id.Length > MaxIdLength
                    ? $"it is longer than {MaxIdLength} characters"
                    : "use only lowercase letters a-z, digits 0-9, '-' and '_'";
                _w.Error(node, subject,
                    $"{node.Key} '{id}' is not a valid id{hint}: {why} (ids become MQTT topic levels, where '+', '#', '/' and spaces are not allowed)");
            }

            return id;
        }

        /// <summary>
        /// Reads, in schema order, the keys a point or an output starts with (id, kind, line,
        /// activeLevel) and registers its id and line for the cross-checks. Null when the item is not
        /// an object: that is reported and its keys are skipped.
        /// </summary>
        private DeviceKeys<TKind>? Device<TKind>(ConfigNode item, string noun, string unnamed, IReadOnlyList<string> keys,
            IReadOnlyList<(string Name, TKind Value)> kinds, bool input)
            where TKind : struct
        {
            var subject = Subject(noun, item);
            if (!_w.Object(item, subject, keys))
            {
                return null;
            }

            var description = subject ?? unnamed;
            var id = Id(item.Child("id"), subject, required: true);
            RegisterId(item.Child("id"), subject, id, description);
            var kind = _w.Enum(item.Child("kind"), subject, required: true, kinds);
            var line = LineOf(item, subject, description, input, kind as Core.Site.PointKind?);
            var activeHigh = ActiveLevelOf(item, subject, input);
            return new DeviceKeys<TKind>(subject, id, kind, line, activeHigh);
        }

        /// <summary>
        /// How messages name an item: <c>point 'door-1'</c>, from its id as typed (even if invalid) so a
        /// technician can find it; null when it has no id, and the message stands alone.
        /// </summary>
        private static string? Subject(string noun, ConfigNode item)
        {
            var id = item.Section.GetSection("id").Value;
            return string.IsNullOrWhiteSpace(id) ? null : $"{noun} '{id}'";
        }

        private static bool IsIdText(string text) =>
            text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
    }
}
