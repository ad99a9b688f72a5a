using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Cli;

/// <summary>
/// <c>edgeguard command send</c>: the security office signs a command, publishes it to the gateway's
/// commands topic with a response topic and correlation data, and prints every answer (accepted or
/// rejected, then done or rejected) until the final one or the timeout. Only an answer naming the
/// command's id and the SHA-256 of the bytes published counts; others are printed as ignored.
/// </summary>
internal static class CommandSendVerb
{
    /// <summary>The longest wait for a final answer: a day, far beyond any command's lifetime.</summary>
    public const int MaxTimeoutSeconds = 86_400;

    public static Command Create(Option<FileInfo> key, Option<string> op, Option<string> site, Option<string> gateway, Option<string[]> args, Option<string> ttl, Argument<string> type)
    {
        var broker = new Option<string>("--broker") { Description = "The office broker's host name or IP address.", Required = true };
        var port = new Option<int?>("--port") { Description = "Broker port (default 8883 with TLS, 1883 without)." };
        var ca = new Option<FileInfo?>("--tls-ca") { Description = "PEM of the CA that issued the broker's certificate (turns TLS on, pinned to it)." };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "The office client certificate (PEM), with --tls-key." };
        var certKey = new Option<FileInfo?>("--tls-key") { Description = "The office client certificate's private key (PEM)." };
        var noTls = new Option<bool>("--no-tls") { Description = "Send in clear text to a broker on another machine: an isolated test network only." };
        var user = new Option<string?>("--username") { Description = "Broker user name." };
        var password = new Option<string?>("--password-env") { Description = "Name of an environment variable holding the broker password (never on the command line)." };
        var timeout = new Option<double>("--timeout") { Description = $"Seconds to wait for the final answer (default 30, at most {MaxTimeoutSeconds}).", DefaultValueFactory = _ => 30 };
        timeout.Validators.Add(result =>
        {
            // Checked before anything is sent: out of TimeSpan's range (or negative) it threw after
            // the command had gone, a stack trace while the gateway carried it out. From the token:
            // text that is no number is the parser's error (dotnet/command-line-api#2645).
            if (result.Tokens is [{ Value: var text }]
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaxTimeoutSeconds))
            {
                result.AddError($"--timeout must be a number of seconds above 0 and at most {MaxTimeoutSeconds}, got '{text}'");
            }
        });
        var send = new Command("send", "Sign a command, send it to the gateway over MQTT and print its answers.")
        {
            type, key, op, site, gateway, args, ttl, broker, port, ca, cert, certKey, noTls, user, password, timeout,
        };
        send.SetAction(async (result, cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var payload = KeysVerbs.SignedPayload(result.GetValue(type)!, result.GetValue(key)!, result.GetValue(op)!, result.GetValue(site)!,
                result.GetValue(gateway)!, result.GetValue(args) ?? [], result.GetValue(ttl)!, error, out var lifetime);
            if (payload is null)
            {
                return ExitCodes.Failure;
            }

            string? secret = null;
            if (result.GetValue(password) is { } variable && (secret = Environment.GetEnvironmentVariable(variable)) is null)
            {
                // Sent without one, the broker's refusal read as a network failure.
                error.WriteLine($"--password-env: environment variable '{variable}' is not set");
                return ExitCodes.Failure;
            }

            // Any TLS option turns TLS on: a key given without its certificate is then refused
            // (the pair must be set together), never a command sent in clear text.
            var tlsOn = result.GetValue(ca) is not null || result.GetValue(cert) is not null || result.GetValue(certKey) is not null;
            var options = new MqttPublisherOptions
            {
                Site = result.GetValue(site)!,
                Gateway = result.GetValue(gateway)!,
                Host = result.GetValue(broker)!,
                Port = result.GetValue(port),
                ClientId = $"edgeguard-office-{Guid.NewGuid():N}",
                Username = result.GetValue(user),
                Password = secret,
                Tls = tlsOn
                    ? new MqttTlsOptions
                    {
                        Enabled = true,
                        CaCertificateFile = result.GetValue(ca)?.FullName,
                        ClientCertificateFile = result.GetValue(cert)?.FullName,
                        ClientKeyFile = result.GetValue(certKey)?.FullName,
                        RevocationMode = X509RevocationMode.NoCheck,
                        CaCertificateSetting = "--tls-ca",
                        ClientCertificateSetting = "--tls-cert",
                        ClientKeySetting = "--tls-key",
                    }
                    : MqttTlsOptions.Disabled,
            };
            // A missing file is refused here, before connecting: an office tool run by hand, unlike
            // the gateway, has nothing to protect meanwhile.
            var problems = options.Validate().Concat(options.Tls.FileProblems().Select(m => "tls: " + m)).ToList();
            problems.AddRange(Unprotected(options.Host, tlsOn, result.GetValue(ca) is not null, result.GetValue(noTls)));
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    error.WriteLine(problem);
                }

                return ExitCodes.Failure;
            }

            return await SendAsync(options, payload, lifetime, TimeSpan.FromSeconds(result.GetValue(timeout)), output, error, cancellationToken).ConfigureAwait(false);
        });
        return send;
    }

    // The command's answers are not signed: a broker the tool cannot tell from the office's (clear
    // text on the network, or TLS trusting any public CA) could answer "done" for a command that
    // never reached the gateway. TLS is pinned to --tls-ca, and clear text to another machine needs
    // --no-tls, as the gateway's config needs tls.enabled false.
    private static IEnumerable<string> Unprotected(string host, bool tlsOn, bool pinned, bool noTls)
    {
        if (tlsOn && noTls)
        {
            yield return "--no-tls contradicts the --tls-* options given";
        }
        else if (tlsOn && !pinned)
        {
            yield return $"--tls-ca is required with TLS: the office broker is pinned to the office CA; without it any certificate a public CA issued for '{host}' would be accepted";
        }
        else if (!tlsOn && !noTls && !MqttPublisherOptions.IsLoopbackHost(host))
        {
            yield return $"the command and its answers would cross the network to '{host}' in clear text, where an answer can be forged: give --tls-ca (with --tls-cert and --tls-key, or --username), or --no-tls on an isolated test network";
        }
    }

    private static async Task<int> SendAsync(MqttPublisherOptions options, byte[] payload, TimeSpan lifetime, TimeSpan timeout, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var topics = new Topics(options.Site, options.Gateway);
        var correlation = RandomNumberGenerator.GetBytes(16);
        // The correlation data alone proves nothing (CommandAnswer): the answer must also be about
        // this command id and these exact bytes.
        var commandId = CommandAnswer.CommandId(payload);
        var payloadSha256 = CommandResultPayload.PayloadSha256(payload);
        var final = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The gateway may answer before this client has handled the broker's PUBACK: its answers
        // wait here until "sent to" is printed, so the office never reads an answer before the
        // send it answers. One lock also keeps the two threads' lines whole.
        var gate = new Lock();
        List<string>? early = [];
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            var message = e.ApplicationMessage;
            if (message.Topic != topics.CommandResults || !message.CorrelationData.AsSpan().SequenceEqual(correlation))
            {
                return Task.CompletedTask; // someone else's answer
            }

            CommandAnswer.Read(message.Payload, commandId, payloadSha256, out var kind, out var line);
            lock (gate)
            {
                if (early is not null)
                {
                    early.Add(line);
                }
                else
                {
                    output.WriteLine(line);
                }
            }

            if (kind is "done")
            {
                final.TrySetResult(ExitCodes.Ok);
            }
            else if (kind is "rejected")
            {
                final.TrySetResult(ExitCodes.Failure);
            }

            return Task.CompletedTask;
        };

        try
        {
            await client.ConnectAsync(ClientOptionsFactory.BuildClient(options), cancellationToken).ConfigureAwait(false);
            // Subscribe before publishing, so no answer can arrive unheard.
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(topics.CommandResults, MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken).ConfigureAwait(false);
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topics.Commands)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(false)
                .WithContentType("application/json")
                .WithResponseTopic(topics.CommandResults)
                .WithCorrelationData(correlation)
                // A broker must not hold a command for an absent gateway past its own expiry.
                .WithMessageExpiryInterval((uint)Math.Max(1, lifetime.TotalSeconds))
                .Build();
            var published = await client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
            if (!published.IsSuccess)
            {
                error.WriteLine($"the broker refused the command: {published.ReasonCode} {published.ReasonString}");
                return ExitCodes.Failure;
            }

            lock (gate)
            {
                output.WriteLine($"sent to {topics.Commands}");
                foreach (var answer in early ?? [])
                {
                    output.WriteLine(answer);
                }

                early = null;
            }

            return await final.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            error.WriteLine($"no final answer within {timeout.TotalSeconds:0.#} s; the command may still be carried out (check command-results)");
            return ExitCodes.Failure;
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException ex)
        {
            // With TLS 1.3 a broker that refuses the office's certificate resets the connection
            // before its alert is read: "Transport endpoint is not connected" or "Connection reset
            // by peer" sent the operator after the network. The probe reads the alert.
            var heard = await TlsRefusalProbe.ProbeAfterAsync(options, ex, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            error.WriteLine((heard ?? ex) is var refused && TlsRefusalProbe.AlertIn(refused) is { } alert
                ? $"the broker {options.Host}:{options.EffectivePort} refused the TLS connection with the alert '{alert}'{AlertMeaning(alert)}"
                : ex is MQTTnet.Adapter.MqttConnectingFailedException
                    // Reached, and refused: its reason (a user name or password, not authorised), not the network.
                    ? $"the broker {options.Host}:{options.EffectivePort} refused the connection: {ex.Message}"
                    : $"cannot reach the broker {options.Host}:{options.EffectivePort}: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (TlsFileException ex)
        {
            // A TLS file that does not load or that others may read or write: named, nothing sent.
            error.WriteLine($"tls: {ex.Message}");
            return ExitCodes.Failure;
        }
        finally
        {
            // The send failed after the gateway had answered (a link drop or a timeout before the
            // PUBACK, a refusal, a stop): its answers still say what it did with the command.
            lock (gate)
            {
                foreach (var answer in early ?? [])
                {
                    output.WriteLine($"{answer} (received before the broker confirmed the send)");
                }

                early = null;
            }

            if (client.IsConnected)
            {
                await client.DisconnectAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    // What the alerts an office operator meets say about the tool's own options; others as they are.
    private static string AlertMeaning(string alert) => alert switch
    {
        "certificate required" => ": it needs a client certificate (--tls-cert, --tls-key)",
        "unknown ca" or "bad certificate" or "certificate unknown" or "certificate revoked" or "certificate expired" or "unsupported certificate" or "access denied"
            => ": it does not take the client certificate (--tls-cert)",
        _ => "",
    };
}
