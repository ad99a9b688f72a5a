using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>How loud a refused command is: an attack's look is an alarm, a tooling slip a warning.</summary>
public sealed class CommandRejectedSeverityTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 22, 0, 0, TimeSpan.Zero);

    // Nothing of a key-unavailable command was authenticated: under a configured name it is as
    // much a stranger's command as one under an unknown name, and the office must see it as such.
    [Theory]
    [InlineData(CommandRejection.KeyUnavailable)]
    [InlineData(CommandRejection.UnknownOperator)]
    [InlineData(CommandRejection.BadSignature)]
    public void An_unauthenticated_command_is_an_alarm(CommandRejection rejection) =>
        Assert.Equal(Severity.Alarm, Rejected(rejection).Severity);

    [Theory]
    [InlineData(CommandRejection.Expired)]
    [InlineData(CommandRejection.InvalidField)]
    public void A_late_or_malformed_command_is_a_warning(CommandRejection rejection) =>
        Assert.Equal(Severity.Warning, Rejected(rejection).Severity);

    private static CommandRejected Rejected(CommandRejection rejection) =>
        new(Now, "c-1", CommandType.Lockdown, "sup.jones", rejection, "detail");
}
