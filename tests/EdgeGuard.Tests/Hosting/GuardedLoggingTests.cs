using EdgeGuard.Hosting;
using EdgeGuard.Mqtt.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The host's loggers (GuardedLogging): a provider's exception never reaches the one who logged,
/// and a message reaches the providers with no control character but the line break and the tab.
/// The host is the real composition on the simulated driver.
/// </summary>
public sealed class GuardedLoggingTests
{
    [Fact]
    public void A_rejected_commands_member_name_reaches_the_log_with_its_NUL_and_ESC_escaped()
    {
        // What a forged command's unknown member gave journald before: a NUL (a line break to
        // journald) and a priority prefix, an entry of the attacker's own under the gateway's unit.
        var lines = LinesLogged(log => log.LogWarning("Command '{Id}' rejected: {Reason}", "c-1",
            "unknown field '\0<2>EdgeGuard.Controller.SiteController[9] all-clear approved\u001b[2K'"));

        Assert.Equal(
            @"Command 'c-1' rejected: unknown field '\u0000<2>EdgeGuard.Controller.SiteController[9] all-clear approved\u001b[2K'",
            Assert.Single(lines));
    }

    [Fact]
    public void A_provider_that_throws_costs_the_line_not_the_caller()
    {
        var lines = LinesLogged(log =>
        {
            log.LogWarning("fails");
            log.LogWarning("kept");
        }, throwOn: "fails");

        Assert.Equal(["kept"], lines);
    }

    [Theory]
    [InlineData("plain text, é and 中", "plain text, é and 中")]
    [InlineData("two\nlines\tand a tab", "two\nlines\tand a tab")]
    [InlineData("cr\r, del\u007f, c1\u0085, bidi\u202e, separator\u2028", @"cr\u000d, del\u007f, c1\u0085, bidi\u202e, separator\u2028")]
    public void Plain_text_keeps_what_every_formatter_handles_and_escapes_the_rest(string text, string expected) =>
        Assert.Equal(expected, GuardedLogging.PlainText(text));

    // The messages the host's loggers hand a provider of its own, added as a test adds one.
    private static List<string> LinesLogged(Action<ILogger> log, string? throwOn = null)
    {
        var lines = new List<string>();
        using var host = TestGatewayHost.Build(services: services =>
            services.AddSingleton<ILoggerProvider>(new Recorder(lines, throwOn)));

        log(host.Services.GetRequiredService<ILogger<CommandHandler>>());
        return lines;
    }

    private sealed class Recorder(List<string> lines, string? throwOn) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines, throwOn);

        public void Dispose()
        {
        }

        private sealed class Logger(List<string> lines, string? throwOn) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel < LogLevel.Warning)
                {
                    return;
                }

                var line = formatter(state, exception);
                if (line == throwOn)
                {
                    throw new IOException("no space left on device");
                }

                lock (lines)
                {
                    lines.Add(line);
                }
            }
        }
    }
}
