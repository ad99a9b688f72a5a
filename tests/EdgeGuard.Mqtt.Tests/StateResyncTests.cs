using System.Collections.Immutable;
using System.Diagnostics;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Retained state the journal cannot announce: the site's state changes and no event follows (a
/// journal on read-only storage hands out none, a full one drops point changes). The publisher
/// finds the retained topics out of date by itself and republishes them.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class StateResyncTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset BypassEnds = new(2026, 11, 24, 6, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Check = TimeSpan.FromSeconds(1);

    private static SiteState State(SiteMode mode, params (string Point, bool Active)[] points) => SiteStates.Of(mode, points);

    [Fact]
    public async Task A_lockdown_no_event_announces_reaches_the_retained_lockdown_state_within_seconds()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(SiteMode.Normal, ("panic-1", false));
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == Root + "/state/lockdown", Patience, "initial normal state");

        // The controller locks the site down; the journal hands out no event (read-only storage).
        var changed = Stopwatch.StartNew();
        harness.State.Current = State(SiteMode.Lockdown, ("panic-1", true));

        await office.WaitForAsync(
            r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "lockdown", Patience, "lockdown state");
        Assert.True(changed.Elapsed < TimeSpan.FromSeconds(5), $"the lockdown state took {changed.Elapsed.TotalSeconds:0.0} s");
        Assert.Empty(office.On(Root + "/events"));

        // What a console that connects now is told by the broker.
        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/lockdown", "office-late", persistent: false);
        var retained = await late.WaitForAsync(r => r.Retain, Patience, "retained lockdown state");
        Assert.Equal("lockdown", retained.Json.GetProperty("mode").GetString());
        Assert.Equal("panic-1", retained.Json.GetProperty("point").GetString());
        Assert.True(retained.Json.GetProperty("sirenSounding").GetBoolean());
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public async Task A_point_change_no_event_announces_is_republished_at_the_second_check_that_sees_it()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/points/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, time: time);
        harness.State.Current = State(SiteMode.Normal, ("door-a", false), ("door-b", false));
        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => office.Receipts.Count == 2, Patience, "initial point states");
        var states = harness.Publisher.StatePublishes;

        // A full journal dropped both events: door-a opened, the office bypassed door-b.
        harness.State.Current = State(SiteMode.Normal, ("door-a", true), ("door-b", false)) with
        {
            Bypasses = ImmutableSortedDictionary.CreateRange(
                StringComparer.Ordinal, [KeyValuePair.Create("door-b", new ActiveBypass(new PointBypass(BypassEnds, "op-1"), TimeSpan.FromHours(9)))]),
        };

        // One check is not enough: the event could still be on its way from the controller.
        await NextCheckAsync(harness, time);
        Assert.Equal(states, harness.Publisher.StatePublishes);

        await NextCheckAsync(harness, time);
        await office.WaitForAsync(r => r.Topic == Root + "/state/points/door-a" && r.Json.GetProperty("active").GetBoolean(), Patience, "door-a active");
        var doorB = await office.WaitForAsync(
            r => r.Topic == Root + "/state/points/door-b" && r.Json.GetProperty("bypassedUntil").ValueKind != System.Text.Json.JsonValueKind.Null, Patience, "door-b bypassed");
        Assert.Equal("2026-11-24T06:00:00.000Z", doorB.Json.GetProperty("bypassedUntil").GetString());
        Assert.Equal(states + 2, harness.Publisher.StatePublishes);
        Assert.Equal(2, harness.Publisher.StateResyncs);

        // Shown now: later checks send nothing more.
        await NextCheckAsync(harness, time);
        await NextCheckAsync(harness, time);
        Assert.Equal(states + 2, harness.Publisher.StatePublishes);
        Assert.Equal(4, office.Receipts.Count);
    }

    /// <summary>
    /// Normal operation: every change comes with its event, whose refresh shows it. Checks that run
    /// between a change and its event (one that is on its way) and a burst must add no state
    /// message to those the events cause; then a change with no event is republished, so the
    /// checks were running all along.
    /// </summary>
    [Fact]
    public async Task A_change_of_only_the_suspended_scenarios_is_republished_at_the_second_check_that_sees_it()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/lockdown", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, time: time);
        var lockdown = State(SiteMode.Lockdown, ("panic-1", true));
        harness.State.Current = lockdown;
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == Root + "/state/lockdown", Patience, "initial lockdown state");
        var states = harness.Publisher.StatePublishes;

        // Same mode, scenario, siren: only the list of what the lockdown took over differs, which
        // the retained state must show (its locks stay locked).
        harness.State.Current = lockdown with
        {
            Suspended = [new SuspendedScenario(SiteMode.ShelterInPlace, new LockdownInfo("keyswitch", "key-annex", SiteStates.Since.AddMinutes(-9), "shelter-annex"))],
        };
        await NextCheckAsync(harness, time);
        Assert.Equal(states, harness.Publisher.StatePublishes);
        await NextCheckAsync(harness, time);

        var shown = await office.WaitForAsync(
            r => r.Json.GetProperty("suspended").GetArrayLength() == 1, Patience, "the suspended shelter in the lockdown state");
        var suspended = shown.Json.GetProperty("suspended")[0];
        Assert.Equal("shelter-annex", suspended.GetProperty("scenario").GetString());
        Assert.Equal("shelterInPlace", suspended.GetProperty("mode").GetString());
        Assert.Equal("2026-11-23T18:50:58.250Z", suspended.GetProperty("since").GetString());
        Assert.Equal(states + 1, harness.Publisher.StatePublishes);
        Assert.Equal(1, harness.Publisher.StateResyncs);
    }

    [Fact]
    public async Task With_every_change_announced_by_its_event_the_checks_republish_nothing()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, time: time);
        harness.State.Current = State(SiteMode.Normal, ("door-a", false), ("panic-1", false));
        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => harness.Publisher.StatePublishes == 3, Patience, "initial states");
        var expected = 3L;
        var seq = 0L;

        // Step by step, each change seen by one check before its event arrives: one refresh each.
        for (var step = 0; step < 3; step++)
        {
            harness.State.Current = State(SiteMode.Normal, ("door-a", true), ("panic-1", false));
            await NextCheckAsync(harness, time);
            harness.Outbox.Append("point.activated", "door-a", "lobby", """{"kind":"doorContact"}""");
            await SettledAsync(harness, ++seq, ++expected);

            harness.State.Current = State(SiteMode.Lockdown, ("door-a", true), ("panic-1", true));
            harness.Outbox.Append("point.activated", "panic-1", "lobby", """{"kind":"panicButton"}""");
            await NextCheckAsync(harness, time);
            harness.Outbox.Append("lockdown.started", "panic-1", "lobby", """{"cause":"panic-button"}""", Severity.Critical);
            await SettledAsync(harness, seq += 2, expected += 2);

            harness.State.Current = State(SiteMode.Normal, ("door-a", false), ("panic-1", false));
            harness.Outbox.Append("point.restored", "door-a", "lobby", """{"kind":"doorContact"}""");
            harness.Outbox.Append("point.restored", "panic-1", "lobby", """{"kind":"panicButton"}""");
            harness.Outbox.Append("lockdown.cleared", null, null, """{"by":"key-guardroom"}""");
            await NextCheckAsync(harness, time);
            await SettledAsync(harness, seq += 3, expected += 3);
            await NextCheckAsync(harness, time);
        }

        // A burst with the clock stopped, ending in lockdown with door-a open; then the deferred
        // point refreshes come due, and the checks run.
        for (var i = 1; i <= 100; i++)
        {
            var active = i % 2 == 1;
            harness.State.Current = State(active ? SiteMode.Lockdown : SiteMode.Normal, ("door-a", active), ("panic-1", active));
            harness.Outbox.Append(active ? "point.activated" : "point.restored", "door-a", "lobby", """{"kind":"doorContact"}""");
            harness.Outbox.Append(active ? "lockdown.started" : "lockdown.cleared", "panic-1", "lobby", "{}", Severity.Critical);
        }

        harness.State.Current = State(SiteMode.Lockdown, ("door-a", true), ("panic-1", false));
        harness.Outbox.Append("point.activated", "door-a", "lobby", """{"kind":"doorContact"}""");
        harness.Outbox.Append("lockdown.started", "panic-1", "lobby", "{}", Severity.Critical);
        seq += 202;
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == seq, Patience, "PUBACKs of the burst");
        for (var i = 0; i < 3; i++)
        {
            await NextCheckAsync(harness, time);
        }

        var afterBurst = harness.Publisher.StatePublishes;
        await NextCheckAsync(harness, time);
        await NextCheckAsync(harness, time);
        Assert.Equal(afterBurst, harness.Publisher.StatePublishes);
        Assert.Equal(0, harness.Publisher.StateResyncs);
        await using (var late = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/#", "office-late", persistent: false))
        {
            await Eventually.TrueAsync(() => late.Receipts.Count == 4, Patience, "three retained states and state/delivery");
            Assert.Equal("ok", Assert.Single(late.On(Root + "/state/delivery")).Json.GetProperty("status").GetString());
            Assert.Equal("lockdown", Assert.Single(late.On(Root + "/state/lockdown")).Json.GetProperty("mode").GetString());
            Assert.True(Assert.Single(late.On(Root + "/state/points/door-a")).Json.GetProperty("active").GetBoolean());
            Assert.False(Assert.Single(late.On(Root + "/state/points/panic-1")).Json.GetProperty("active").GetBoolean());
        }

        // The control: the same checks republish a change no event announced.
        harness.State.Current = State(SiteMode.Normal, ("door-a", true), ("panic-1", false));
        await NextCheckAsync(harness, time);
        await NextCheckAsync(harness, time);
        await office.WaitForAsync(r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "normal", Patience, "normal again");
        Assert.Equal(afterBurst + 1, harness.Publisher.StatePublishes);
        Assert.Equal(1, harness.Publisher.StateResyncs);
        Assert.Equal(1, harness.Publisher.Connects);
    }

    // Moves the publisher's clock one check interval and waits until that check has run.
    private static async Task NextCheckAsync(PublisherHarness harness, FakeTimeProvider time)
    {
        var checks = harness.Publisher.StateChecks;
        time.Advance(Check);
        await Eventually.TrueAsync(() => harness.Publisher.StateChecks > checks, Patience, $"state check {checks + 1}");
    }

    // Waits until the events through seq are acknowledged and the refreshes they cause are sent.
    private static async Task SettledAsync(PublisherHarness harness, long seq, long statePublishes)
    {
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == seq, Patience, $"PUBACK of seq {seq}");
        await Eventually.TrueAsync(() => harness.Publisher.StatePublishes >= statePublishes, Patience, $"{statePublishes} state messages");
        Assert.Equal(statePublishes, harness.Publisher.StatePublishes);
    }
}
