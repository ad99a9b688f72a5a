using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Two boxes with one gateway id (a cloned SD card: same key, so the same client ids) on Mosquitto
/// 2.0, which closes a taken-over connection without DISCONNECT 142: the gateway must notice.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class DuplicateGatewayTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Availability = Root + "/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Two gateways with one id (a cloned SD card: same config, same key, so the same client ids).
    // One is in lockdown, the other normal. On Mosquitto 2.0 (Debian's) a takeover is closed
    // without DISCONNECT 142, so they take each other's connection in turn, each reconnect
    // republishing its own retained state: the office's state/lockdown flips between lockdown and
    // normal, availability flips online/offline, and neither gateway journals anything.
    [Fact]
    public async Task Two_gateways_with_one_id_are_noticed_rather_than_fighting_over_the_retained_state()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");

        await using var a = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 6);
        a.State.Current = SiteStates.Of(SiteMode.Lockdown, ("door-a", true));
        await a.StartAndCatchUpAsync();
        await using var b = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 6);
        b.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await b.StartAsync();

        await Task.Delay(TimeSpan.FromSeconds(15));

        var modes = office.On(Root + "/state/lockdown").Select(r => r.Text!.Contains("\"mode\":\"lockdown\"") ? "L" : "N").ToList();
        var flips = modes.Zip(modes.Skip(1)).Count(p => p.First != p.Second);
        output.WriteLine($"connects a={a.Publisher.Connects} b={b.Publisher.Connects}; state/lockdown seen {modes.Count}, flips {flips}: {string.Join("", modes)}");
        output.WriteLine($"availability: {string.Join(", ", office.On(Availability).Select(r => $"{r.Text}/{r.UserProperties.GetValueOrDefault("session")}"))}");
        var faults = a.Faults.Events.Concat(b.Faults.Events).Select(e => e.Type).ToList();
        output.WriteLine($"faults: {string.Join(", ", faults)}");

        Assert.True(faults.Count > 0, $"{flips} flips of the retained state/lockdown between two sites, {a.Publisher.Connects + b.Publisher.Connects} connects, and no fault journaled by either gateway");
    }

    // A cloned card's command connection: same client id, clean start false, so each takeover
    // finds the session present (no command.session-lost) and Mosquitto 2.0 sends no 142. The
    // office's signed lockdowns are handed to whichever box holds the id at that moment; the
    // office gets "done" for every one and cannot tell which box ran it.
    [Fact]
    public async Task Office_commands_to_a_gateway_id_held_by_two_boxes_are_not_silently_run_by_the_other_box()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        using var supervisor = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await using var site = new CommandHarness(output, broker.Port, supervisor: supervisor, quiet: true);
        await site.StartAsync();
        await using var clone = new CommandHarness(output, broker.Port, supervisor: supervisor, quiet: true);
        await clone.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        var done = 0;
        for (var i = 0; i < 8; i++)
        {
            var results = await office.SendAndWaitAsync(site.Sign(CommandType.Lockdown), $"c{i}", count: 2, timeout: TimeSpan.FromSeconds(20));
            done += results.Count(r => r.Result == "done");
            await Task.Delay(700);
        }

        var noticed = site.Journal.Events.Concat(clone.Journal.Events)
            .Where(e => e.Type is "command.session-lost" or "fault.session-taken-over").Select(e => e.Type).ToList();
        output.WriteLine($"office got done x{done}; executed by the site {site.Executor.Executed.Count}, by the clone {clone.Executor.Executed.Count}; noticed: [{string.Join(", ", noticed)}]");
        Assert.True(
            clone.Executor.Executed.Count == 0 || noticed.Count > 0,
            $"{clone.Executor.Executed.Count} of {done} lockdowns answered 'done' ran on the other box, and neither journaled anything");
    }

    // What the office sees of a clone without any fault: each process has an instance id of its
    // own on its availability (the will too) and its command results, so two boxes on one
    // gateway id, even with one session, show as two instances.
    [Fact]
    public async Task Two_gateways_with_one_id_show_the_office_two_instances_on_availability()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var a = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = "aaaaaaaaaaaaaaaa" }, output, session: 6);
        await a.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties.GetValueOrDefault("instance") == "aaaaaaaaaaaaaaaa", Patience, "birth of a");
        await using var b = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = "bbbbbbbbbbbbbbbb" }, output, session: 6);
        await b.StartAsync();

        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties.GetValueOrDefault("instance") == "bbbbbbbbbbbbbbbb", Patience, "birth of b");
        await office.WaitForAsync(r => r.Text == "offline" && r.UserProperties.GetValueOrDefault("instance") is "aaaaaaaaaaaaaaaa" or "bbbbbbbbbbbbbbbb", Patience, "a will naming its instance");
        Assert.Equal(16, ProcessInstance.Id.Length);
        Assert.True(ProcessInstance.IsValid(ProcessInstance.Id));
    }

    // The rule the two probes above rely on, without a broker: silent closes in a row, each
    // reached by a connect that worked, are a takeover; a failed connect (a broker down) or a
    // close with an error (our keep-alive running out) ends the row.
    [Fact]
    public void Silent_closes_in_a_row_count_as_a_takeover_unless_a_connect_failed_between()
    {
        var episode = new TakeoverEpisode(TimeSpan.FromSeconds(60));
        var normal = MqttClientDisconnectReason.NormalDisconnection;
        var short_ = TimeSpan.FromSeconds(2);

        Assert.False(episode.Observe(normal, short_, silent: true).TakenOver);
        Assert.False(episode.Observe(normal, short_, silent: true).TakenOver);
        episode.ConnectFailed(); // the broker went down: those were its closes
        Assert.False(episode.Observe(normal, short_, silent: true).TakenOver);
        Assert.False(episode.Observe(normal, short_, silent: true).TakenOver);
        Assert.False(episode.Observe(normal, short_, silent: false).TakenOver); // an error here: not the broker's
        Assert.False(episode.Observe(normal, short_, silent: true).TakenOver);
        Assert.False(episode.Observe(normal, TimeSpan.FromMinutes(5), silent: true).TakenOver); // one that lasted
        Assert.False(episode.InEpisode);

        Assert.False(episode.Observe(normal, short_, silent: true).TakenOver);
        Assert.False(episode.Observe(normal, short_, silent: true).TakenOver);
        Assert.Equal((true, true, 0L), episode.Observe(normal, short_, silent: true)); // the third: an alarm
        Assert.True(episode.InEpisode);
        Assert.Equal((true, false, 0L), episode.Observe(normal, short_, silent: true)); // the fight goes on
        Assert.Equal((false, false, 2L), episode.Observe(normal, TimeSpan.FromMinutes(5), silent: true));
        Assert.False(episode.InEpisode);
    }
}
