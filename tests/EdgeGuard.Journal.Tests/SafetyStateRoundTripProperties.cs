using System.Collections.Immutable;
using CsCheck;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

public sealed class SafetyStateRoundTripProperties : IDisposable
{
    // Any valid UTF-16 text: SQLite stores UTF-8, where a lone surrogate has no encoding, and a
    // cause or point id is text from configuration, never arbitrary UTF-16 code units.
    private static readonly Gen<string> Text =
        Gen.Char.Where(c => !char.IsSurrogate(c)).Array[0, 24]
            .Select(Gen.Select(Gen.Int[0, 23], Gen.Int[0x1F300, 0x1FAFF]), (chars, emoji) =>
                new string(chars).Insert(Math.Min(emoji.Item1, chars.Length), char.ConvertFromUtf32(emoji.Item2)));

    // Every tick of the DateTime range (a day of margin so any offset stays representable) with
    // an offset anywhere in -14:00..+14:00, in whole minutes as DateTimeOffset requires.
    private static readonly Gen<DateTimeOffset> Since =
        Gen.Select(
            Gen.Long[TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay],
            Gen.Int[-14 * 60, 14 * 60],
            (ticks, minutes) => new DateTimeOffset(ticks, TimeSpan.FromMinutes(minutes)));

    private static readonly Gen<LockdownInfo> Lockdown =
        Gen.Select(Text, Text.Null(), Since, Text, Gen.Bool, (cause, point, since, scenario, drill) => new LockdownInfo(cause, point, since, scenario, drill));

    // Door ids as the config allows them: [a-z0-9_-], 1 to 64 characters.
    private static readonly Gen<string> DoorId = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-_"].Array[1, 64].Select(chars => new string(chars));

    private static readonly Gen<ImmutableSortedDictionary<string, DoorRelease>?> Doors =
        Gen.Select(DoorId, Gen.Enum<DoorRelease>()).Array[0, 4].Select(pairs => pairs.Length == 0
            ? null
            : pairs.DistinctBy(p => p.Item1).ToImmutableSortedDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal));

    private static readonly Gen<ImmutableSortedDictionary<string, DoorAlarm>?> Alarms =
        Gen.Select(DoorId, Gen.Int[1, 3]).Array[0, 3].Select(pairs => pairs.Length == 0
            ? null
            : pairs.DistinctBy(p => p.Item1).ToImmutableSortedDictionary(p => p.Item1, p => (DoorAlarm)p.Item2, StringComparer.Ordinal));

    // Operators are any text (a name may hold ';', '=' or '|', the store's own separators).
    private static readonly Gen<ImmutableSortedDictionary<string, PointBypass>?> Bypasses =
        Gen.Select(DoorId, Since, Text.Where(t => t.Length > 0)).Array[0, 3].Select(items => items.Length == 0
            ? null
            : items.DistinctBy(b => b.Item1).ToImmutableSortedDictionary(b => b.Item1, b => new PointBypass(b.Item2, b.Item3), StringComparer.Ordinal));

    // What a takeover suspends: a real mode, any texts (the column's own separators included), a
    // point absent or not empty (the store writes "no point" as an empty field and refuses "").
    private static readonly Gen<SuspendedScenario> Suspended =
        Gen.Select(Gen.OneOf(Gen.Const(SiteMode.Lockdown), Gen.Const(SiteMode.Evacuation), Gen.Const(SiteMode.ShelterInPlace)), Lockdown, (mode, info) =>
            new SuspendedScenario(mode, (info.Point is { Length: 0 } ? info with { Point = null } : info) with { Drill = false }));

    private static readonly Gen<SafetyState> States =
        // Every mode but normal has a cause (the store refuses anything else, both ways).
        Gen.Select(Gen.Enum<SiteMode>(), Lockdown.Null(0.3), Lockdown, Gen.Bool, Gen.Enum<LifeSafety>(), Doors, Gen.Int[0, 100].Select(i => i == 0 ? (int?)null : i), Alarms,
            (mode, lockdown, cause, siren, fire, doors, threat, alarms) =>
                new SafetyState(mode, mode == SiteMode.Normal ? lockdown : lockdown ?? cause, siren, fire, doors, threat, alarms))
        .Select(Bypasses, (state, bypasses) => state with { Bypasses = bypasses })
        // Only a real running scenario has suspended ones, and only real ones (the store refuses
        // them in normal mode, under a drill, and a suspended drill).
        .Select(Suspended.Array[0, 3], (state, suspended) =>
            state.Mode == SiteMode.Normal || state.Lockdown is not { Drill: false } || suspended.Length == 0 ? state : state with { Suspensions = [.. suspended] })
        // Held panic buttons: no record (null) and a record of none (empty) are different states.
        .Select(DoorId.Array[0, 3].Null(0.3), (state, held) => held is null ? state : state with { HeldPanics = ImmutableSortedSet.CreateRange(StringComparer.Ordinal, held) })
        // Fire inputs raised under the release: none recorded (null) and none (empty) decide alike.
        .Select(DoorId.Array[0, 3].Null(0.3), (state, raised) => raised is null ? state : state with { FireRaised = ImmutableSortedSet.CreateRange(StringComparer.Ordinal, raised) });

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Any_state_saved_then_reopened_loads_back_exactly()
    {
        States.Sample(state =>
        {
            // One file per sample: CsCheck runs samples in parallel, and each must see a restart.
            var path = _temp.File($"{Guid.NewGuid():N}.db");
            using (var database = JournalDatabase.Open(path))
            {
                var store = new SqliteSafetyStateStore(database);
                store.Save(SafetyState.Initial with { SirenSounding = !state.SirenSounding });
                store.Save(state);
            }

            using var reopened = JournalDatabase.Open(path);
            var loaded = new SqliteSafetyStateStore(reopened).Load();

            Assert.Equal(state, loaded);
            if (state.Lockdown is not null)
            {
                Assert.True(state.Lockdown.Since.EqualsExact(loaded.Lockdown!.Since), $"offset lost: {state.Lockdown.Since:O} -> {loaded.Lockdown.Since:O}");
            }

            foreach (var (saved, back) in state.SuspendedScenarios.Zip(loaded.SuspendedScenarios))
            {
                Assert.True(saved.Info.Since.EqualsExact(back.Info.Since), $"suspended offset lost: {saved.Info.Since:O} -> {back.Info.Since:O}");
            }
        }, iter: 200);
    }
}
