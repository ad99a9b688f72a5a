using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeGuard.Hosting;

/// <summary>
/// The host's loggers, guarded two ways.
/// <para>
/// They never throw. Microsoft.Extensions.Logging hands a provider's exception to the one who
/// logged (an AggregateException, once every provider had its turn), and those who log are the
/// loops that protect the site: a log line at the controller's boot, in a decision or in the
/// publisher's loop would stop it, and a panic press after it would lock nothing. A log line is
/// worth less than the decision it describes: one that fails is dropped, and the first failure is
/// written to stderr (journald keeps it under systemd).
/// </para>
/// <para>
/// Their messages hold no control characters but the line break and the tab, which every
/// formatter handles: the rest are written as <c>\uXXXX</c>. A message quotes text from outside (a
/// rejected office command's unknown member name, which anyone who may publish on the command
/// topic chooses), and the systemd formatter replaces only line breaks: journald splits its input
/// at a NUL too and reads a <c>&lt;N&gt;</c> at a line's start as its priority, so a forged command
/// planted an entry of its own, at the priority it chose, under the gateway's unit; a terminal
/// would run its ESC sequences.
/// </para>
/// </summary>
internal static class GuardedLogging
{
    /// <summary>Wraps the host's logger factory so that every logger it makes is guarded.</summary>
    public static ILoggingBuilder AddGuarded(this ILoggingBuilder logging)
    {
        // The factory AddLogging registers, made the same way (the providers and filters from the
        // container, which owns and disposes the providers), behind the wrapper.
        logging.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new GuardedLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(),
            sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>()))));
        return logging;
    }

    /// <summary>
    /// <paramref name="text"/> with every control character but the line break and the tab, every
    /// format character and the Unicode line and paragraph separators written as <c>\uXXXX</c>.
    /// </summary>
    internal static string PlainText(string text)
    {
        // No table of the 65,536 chars built at start-up: a message is a few hundred, most ASCII.
        var first = 0;
        while (first < text.Length && !IsEscaped(text[first]))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var plain = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (IsEscaped(c))
            {
                plain.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                plain.Append(c);
            }
        }

        return plain.ToString();
    }

    private static bool IsEscaped(char c) =>
        c is not ('\n' or '\t')
        && char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private sealed class GuardedLoggerFactory(ILoggerFactory inner) : ILoggerFactory
    {
        private int _failed;

        // Not guarded: a logger that cannot be made is a setup problem (a filter the framework
        // cannot parse), which GatewayHost.LoggingProblem reports before anything runs.
        public ILogger CreateLogger(string categoryName) => new GuardedLogger(inner.CreateLogger(categoryName), this);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();

        internal void Failed(Exception exception)
        {
            if (Interlocked.Exchange(ref _failed, 1) == 1)
            {
                return;
            }

            try
            {
                Console.Error.WriteLine($"edgeguard: logging failed, and log lines that fail are dropped from now on: {exception.GetType().Name}: {PlainText(exception.Message)}");
            }
#pragma warning disable CA1031 // Nowhere else to tell.
            catch (Exception)
#pragma warning restore CA1031
            {
                // stderr is gone too: nowhere to tell.
            }
        }
    }

#pragma warning disable CA1031 // The point of the class: a provider's failure never reaches the caller.
    private sealed class GuardedLogger(ILogger inner, GuardedLoggerFactory factory) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            try
            {
                return inner.BeginScope(state);
            }
            catch (Exception ex)
            {
                factory.Failed(ex);
                return null;
            }
        }

        public bool IsEnabled(LogLevel logLevel)
        {
            try
            {
                return inner.IsEnabled(logLevel);
            }
            catch (Exception ex)
            {
                factory.Failed(ex);
                return false;
            }
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                inner.Log(logLevel, eventId, state, exception, (s, e) => PlainText(formatter(s, e)));
            }
            catch (Exception ex)
            {
                factory.Failed(ex);
            }
        }
    }
#pragma warning restore CA1031
}
