using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// The bench's office subscriber in a child process: this executable run with
/// <c>--office-subscriber PORT FILTER…</c>. The child stamps every message the moment MQTTnet hands
/// it over (<see cref="TimedSubscriber.Stamp"/>) and writes one line per message to its stdout,
/// <c>TIMESTAMP SEQ BYTES TOPIC</c>, after a first line <c>subscribed</c>; it ends when its stdin
/// is closed. The parent reads the lines on a thread of its own, which blocks in the pipe's read
/// rather than queuing on the thread pool the gateway uses.
/// </summary>
internal sealed class OfficeSubscriberProcess : IAsyncDisposable
{
    /// <summary>The argument that makes this executable the child.</summary>
    public const string ChildArgument = "--office-subscriber";

    private const string SubscribedLine = "subscribed";

    private readonly Process _child;
    private readonly Thread _reader;
    private readonly ChannelWriter<Arrival> _arrivals;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private OfficeSubscriberProcess(Process child, ChannelWriter<Arrival> arrivals)
    {
        _child = child;
        _arrivals = arrivals;
        _reader = new Thread(ReadArrivals) { IsBackground = true, Name = "office reader" };
        _reader.Start();
    }

    /// <summary>The child's process id.</summary>
    public int ProcessId => _child.Id;

    /// <summary>Completes once the child has subscribed; fails if it ended first.</summary>
    public Task Subscribed => _subscribed.Task;

    /// <summary>Starts the child; its arrivals go to <paramref name="arrivals"/>.</summary>
    public static OfficeSubscriberProcess Start(int port, string[] filters, ChannelWriter<Arrival> arrivals)
    {
        var executable = Environment.ProcessPath ?? throw new InvalidOperationException("no path to this executable");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet")
        {
            start.ArgumentList.Add(typeof(OfficeSubscriberProcess).Assembly.Location); // run as "dotnet bench.dll"
        }

        start.ArgumentList.Add(ChildArgument);
        start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        foreach (var filter in filters)
        {
            start.ArgumentList.Add(filter);
        }

        var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        return new OfficeSubscriberProcess(child, arrivals);
    }

    /// <summary>The child's side: subscribes, reports every message on stdout, ends when stdin closes.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args.Length < 2 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            await Console.Error.WriteLineAsync($"usage: {ChildArgument} PORT FILTER…");
            return 2;
        }

        var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
        var gate = new Lock();
        var client = await TimedSubscriber.ConnectClientAsync(port, args[1..], message =>
        {
            var arrival = TimedSubscriber.Stamp(message);
            lock (gate)
            {
                output.Write(string.Create(CultureInfo.InvariantCulture, $"{arrival.Timestamp} {arrival.Seq} {arrival.PayloadBytes} {arrival.Topic}\n"));
                output.Flush();
            }

            return Task.CompletedTask;
        });
        lock (gate)
        {
            output.Write(SubscribedLine + "\n");
            output.Flush();
        }

        // Until the parent closes our stdin (or dies, which closes it too).
        await using (var input = Console.OpenStandardInput())
        {
            await input.CopyToAsync(Stream.Null);
        }

        await client.DisconnectAsync(new MQTTnet.MqttClientDisconnectOptionsBuilder().Build());
        client.Dispose();
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _child.StandardInput.Close();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _child.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _child.Kill();
        }

        _reader.Join(TimeSpan.FromSeconds(10));
        _child.Dispose();
    }

    private void ReadArrivals()
    {
        var output = _child.StandardOutput;
        while (output.ReadLine() is { } line)
        {
            if (line == SubscribedLine)
            {
                _subscribed.TrySetResult();
                continue;
            }

            var parts = line.Split(' ', 4);
            _arrivals.TryWrite(new Arrival(
                long.Parse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
                long.Parse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
                parts[3],
                int.Parse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture)));
        }

        _subscribed.TrySetException(new InvalidOperationException("the office subscriber process ended before it subscribed"));
    }
}
