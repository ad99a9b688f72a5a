using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeGuard.Hosting;

/// <summary>
/// Loggers that never throw. Microsoft.Extensions.Logging hands a provider's exception to the one
/// who logged (an AggregateException, once every provider had its turn), and those who log are the
/// loops that protect the site: a log line at the controller's boot, in a decision or in the
/// publisher's loop would stop it, and a panic press after it would lock nothing. A log line is
/// worth less than the decision it describes: one that fails is dropped, and the first failure is
/// written to stderr (journald keeps it under systemd).
/// </summary>
internal static class FailSafeLogging
{
    /// <summary>Wraps the host's logger factory so that every logger it makes is fail-safe.</summary>
    public static ILoggingBuilder AddFailSafe(this ILoggingBuilder logging)
    {
        // The factory AddLogging registers, made the same way (the providers and filters from the
        // container, which owns and disposes the providers), behind the wrapper.
        logging.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new FailSafeLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(),
            sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>()))));
        return logging;
    }

    private sealed class FailSafeLoggerFactory(ILoggerFactory inner) : ILoggerFactory
    {
        private int _failed;

        // Not guarded: a logger that cannot be made is a setup problem (a filter the framework
        // cannot parse), which GatewayHost.LoggingProblem reports before anything runs.
        public ILogger CreateLogger(string categoryName) => new FailSafeLogger(inner.CreateLogger(categoryName), this);

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
                Console.Error.WriteLine($"edgeguard: logging failed, and log lines that fail are dropped from now on: {exception.GetType().Name}: {exception.Message}");
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
    private sealed class FailSafeLogger(ILogger inner, FailSafeLoggerFactory factory) : ILogger
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
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
            catch (Exception ex)
            {
                factory.Failed(ex);
            }
        }
    }
#pragma warning restore CA1031
}
