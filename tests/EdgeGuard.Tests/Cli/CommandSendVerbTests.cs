using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeGuard.Cli;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// <c>edgeguard command send</c> against answers it must not believe: a client that may publish on
/// the command topic can make the gateway answer junk with the office's correlation data, so the
/// tool takes only an answer naming its command id and the SHA-256 of the bytes it sent. Real
/// Mosquitto; a test client plays the gateway, so the order of the answers is the test's.
/// </summary>
public sealed class CommandSendVerbTests
{
    private const string Site = "site-a";
    private const string Gateway = "gw-1";
    private const string Root = $"edgeguard/v1/{Site}/{Gateway}";

    [Fact]
    public async Task Answers_about_other_bytes_or_another_command_are_ignored_and_its_own_answer_is_taken()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        var junkHash = Sha256("{\"id\":"u8);
        await using var gateway = await FakeGateway.StartAsync(broker.Port, (id, hash) =>
        [
            // What the gateway answers to junk or to a bad signature published with the office's
            // correlation data, and an answer about the right bytes naming another command.
            Result("", junkHash, "rejected", "malformed: payload is not JSON"),
            Result(id, Sha256("{}"u8), "rejected", "bad-signature: signature does not verify"),
            Result("0b8f6f62-54c4-4c1e-9d0e-7a3c1f7d6e21", hash, "done", null),
            // Its exact bytes republished with the retain flag and its correlation data.
            Result(id, hash, "rejected", $"{Core.Commands.CommandRejections.Code(Core.Commands.CommandRejection.Retained)}: retained messages are never obeyed as commands"),
            Result(id, hash, "accepted", null),
            Result(id, hash, "done", "lockdown running\n\u001b[2Jdone: all clear\u202e\u2028"),
        ]);

        var (code, output, error) = await SendAsync(state, broker.Port, timeoutSeconds: 15);

        Assert.True(code == ExitCodes.Ok, output + error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"sent to {Root}/commands", lines[0]);
        Assert.StartsWith("ignored an answer about other bytes (payload_sha256 " + junkHash, lines[1], StringComparison.Ordinal);
        Assert.StartsWith("ignored an answer about other bytes (payload_sha256 ", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("ignored an answer about another command (command_id 0b8f6f62-", lines[3], StringComparison.Ordinal);
        Assert.Equal("ignored an answer about a retained copy of its bytes (this tool never sends retained)", lines[4]);
        // Its own answer's reason is anyone's text too: no new line, escape or bidi override of its own.
        Assert.Equal(["accepted", "done: lockdown running??[2Jdone: all clear??"], lines[5..]);
        // Nothing an ignored answer said is shown: its reason is anyone's text.
        Assert.DoesNotContain("malformed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_final_answer_about_other_bytes_alone_is_no_answer_and_the_send_fails_at_its_timeout()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = await FakeGateway.StartAsync(broker.Port, (id, hash) =>
        [
            // Another command's stored "done", as the gateway answers a copy of its bytes.
            Result(id, Sha256("{\"other\":true}"u8), "done", null),
            // An answer without the field (an older gateway) proves nothing either.
            $"{{\"command_id\":\"{id}\",\"result\":\"done\",\"reason\":null,\"ts\":\"2026-11-23T19:05:00.210Z\"}}",
            "not json",
        ]);

        var (code, output, error) = await SendAsync(state, broker.Port, timeoutSeconds: 2);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("no final answer within 2 s", error, StringComparison.Ordinal);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("ignored an answer about other bytes (payload_sha256 ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("ignored an answer without payload_sha256", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("ignored an answer that is not a command result", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_that_come_before_the_send_is_confirmed_are_printed_after_sent_to()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = await FakeGateway.StartAsync(broker.Port, (id, hash) =>
            [Result(id, hash, "accepted", null), Result(id, hash, "done", null)]);
        // The gateway answers at once; the broker's PUBACK may be handled after its answers (a
        // loaded machine did: "ignored ..." came before "sent to"). The writer holds the "sent to"
        // line until an answer is written too, or 5 s pass if none is written while it waits.
        using var output = new HoldingWriter("sent to ");

        var (code, _, error) = await SendAsync(state, broker.Port, timeoutSeconds: 15, output);

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Equal([$"sent to {Root}/commands", "accepted", "done"], output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // --tls-key alone turned TLS off: the signed command and the password went in clear text.
    [Fact]
    public async Task A_client_key_without_its_certificate_is_refused_not_sent_in_clear_text()
    {
        using var state = new TempDirectory();
        var clientKey = state.File("office.key");
        await File.WriteAllTextAsync(clientKey, "not read: refused before");

        var (code, output, error) = await SendToNoBrokerAsync(state, "--tls-key", clientKey, "--timeout", "1");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("tls: the client certificate and its key file must be set together", error, StringComparison.Ordinal);
        Assert.DoesNotContain("sent to", output, StringComparison.Ordinal);
    }

    // The answers are not signed: sent in clear text to another machine, or over TLS trusting any
    // public CA, a broker on the way could answer "done" for a command that never reached the gateway.
    [Theory]
    [InlineData("clear", "in clear text")]
    [InlineData("unpinned", "--tls-ca is required with TLS")]
    public async Task A_command_to_an_office_broker_that_is_not_pinned_is_refused_before_it_is_sent(string how, string message)
    {
        using var state = new TempDirectory();
        var keys = state.File("client");
        Assert.Equal(ExitCodes.Ok, (await CliRun.InvokeAsync("keys", "new", "--operator", "office", "--out", keys)).Code);
        string[] extra = how == "clear"
            ? ["--timeout", "1"]
            : ["--tls-cert", state.File("office.crt"), "--tls-key", Path.Combine(keys, "office.key.pem"), "--timeout", "1"];

        var (code, output, error) = await SendToHostAsync(state, "broker.office.example", extra);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("sent to", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_tls_beside_a_tls_option_is_refused_as_a_contradiction()
    {
        using var state = new TempDirectory();

        var (code, output, error) = await SendToHostAsync(state, "broker.office.example", "--no-tls", "--tls-ca", state.File("ca.pem"), "--timeout", "1");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("--no-tls contradicts the --tls-* options given", error, StringComparison.Ordinal);
        Assert.DoesNotContain("sent to", output, StringComparison.Ordinal);
    }

    // A TLS file that does not load threw past the verb: System.CommandLine's stack trace.
    [Fact]
    public async Task A_ca_file_that_does_not_load_is_named_without_a_stack_trace()
    {
        using var state = new TempDirectory();
        var ca = state.File("office-ca.pem");
        await File.WriteAllTextAsync(ca, "not a cert");

        var (code, output, error) = await SendToNoBrokerAsync(state, "--tls-ca", ca, "--timeout", "1");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith($"tls: CA certificate file '{ca}'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("sent to", output, StringComparison.Ordinal);
    }

    // Unset, the variable sent no password, and the broker's refusal read "cannot reach the broker".
    [Fact]
    public async Task A_password_variable_that_is_not_set_is_named_before_anything_is_sent()
    {
        using var state = new TempDirectory();

        var (code, output, error) = await SendToNoBrokerAsync(state, "--username", "office", "--password-env", "EDGEGUARD_TEST_SURELY_UNSET", "--timeout", "1");

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("--password-env: environment variable 'EDGEGUARD_TEST_SURELY_UNSET' is not set", error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", error, StringComparison.Ordinal);
        Assert.DoesNotContain("sent to", output, StringComparison.Ordinal);
    }

    // Out of TimeSpan's range or negative, the wait threw after the command had been sent: a stack
    // trace while the gateway carried out the lockdown.
    [Theory]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("5000000")]
    [InlineData("NaN")]
    [InlineData("1e20")]
    public async Task A_timeout_out_of_range_is_refused_before_anything_is_sent(string timeout)
    {
        using var state = new TempDirectory();

        var (code, output, error) = await SendToNoBrokerAsync(state, "--timeout", timeout);

        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains($"--timeout must be a number of seconds above 0 and at most 86400, got '{timeout}'", error + output, StringComparison.Ordinal);
        Assert.DoesNotContain("sent to", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    // A lockdown signed with a new key of sup.jones, to a port no broker listens on, with extra options:
    // for what is refused before anything is sent.
    private static Task<(int Code, string Out, string Err)> SendToNoBrokerAsync(TempDirectory state, params string[] extra) =>
        SendToHostAsync(state, "127.0.0.1", extra);

    private static async Task<(int Code, string Out, string Err)> SendToHostAsync(TempDirectory state, string host, params string[] extra)
    {
        var keys = state.File("keys");
        Assert.Equal(ExitCodes.Ok, (await CliRun.InvokeAsync("keys", "new", "--operator", "sup.jones", "--out", keys)).Code);
        return await CliRun.InvokeAsync(
            ["command", "send", "lockdown", "--key", Path.Combine(keys, "sup.jones.key.pem"), "--operator", "sup.jones",
             "--site", Site, "--gateway", Gateway, "--broker", host, "--port", "1", .. extra]);
    }

    private static async Task<(int Code, string Out, string Err)> SendAsync(TempDirectory state, int port, int timeoutSeconds, TextWriter? output = null)
    {
        var keys = state.File("keys");
        Assert.Equal(ExitCodes.Ok, (await CliRun.InvokeAsync("keys", "new", "--operator", "sup.jones", "--out", keys)).Code);
        return await CliRun.InvokeAsync(
            output, "command", "send", "lockdown", "--key", Path.Combine(keys, "sup.jones.key.pem"), "--operator", "sup.jones",
            "--site", Site, "--gateway", Gateway, "--broker", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture));
    }

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string Result(string id, string hash, string result, string? reason) => JsonSerializer.Serialize(
        new Dictionary<string, string?>
        {
            ["command_id"] = id,
            ["payload_sha256"] = hash,
            ["result"] = result,
            ["reason"] = reason,
            ["ts"] = "2026-11-23T19:05:00.210Z",
        });

    /// <summary>
    /// Plays the gateway: on the first command, publishes the given answers with its correlation
    /// data, in order (one QoS 1 publisher on one topic: the broker keeps that order).
    /// </summary>
    private sealed class FakeGateway : IAsyncDisposable
    {
        private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();

        public static async Task<FakeGateway> StartAsync(int port, Func<string, string, string[]> answers)
        {
            var gateway = new FakeGateway();
            var answered = 0;
            gateway._client.ApplicationMessageReceivedAsync += async e =>
            {
                if (Interlocked.Exchange(ref answered, 1) == 1)
                {
                    return;
                }

                var payload = e.ApplicationMessage.Payload.ToArray();
                using var command = JsonDocument.Parse(payload);
                var id = command.RootElement.GetProperty("id").GetString()!;
                foreach (var answer in answers(id, Sha256(payload)))
                {
                    await gateway._client.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic(Root + "/command-results").WithPayload(answer)
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                        .WithCorrelationData(e.ApplicationMessage.CorrelationData).Build());
                }
            };
            await gateway._client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("fake-gateway").Build());
            await gateway._client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(Root + "/commands", MqttQualityOfServiceLevel.AtLeastOnce).Build());
            return gateway;
        }

        public async ValueTask DisposeAsync()
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync();
            }

            _client.Dispose();
        }
    }

    /// <summary>
    /// Output that holds a line starting with <c>held</c> until another line is written (bounded),
    /// so whatever the tool would print meanwhile from another thread goes first.
    /// </summary>
    private sealed class HoldingWriter(string held) : StringWriter
    {
        private readonly ManualResetEventSlim _other = new();
        private readonly Lock _gate = new();

        public override void WriteLine(string? value)
        {
            if (value?.StartsWith(held, StringComparison.Ordinal) == true)
            {
                _other.Wait(TimeSpan.FromSeconds(5));
            }

            lock (_gate)
            {
                base.WriteLine(value);
            }

            _other.Set();
        }

        protected override void Dispose(bool disposing)
        {
            _other.Dispose();
            base.Dispose(disposing);
        }
    }
}
