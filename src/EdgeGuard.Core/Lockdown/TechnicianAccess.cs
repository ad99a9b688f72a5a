using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// Installer access authorised by a user, as EN 50131-1 asks (access level 3 only once a level-2
/// user has granted it): a technician's <c>bypass</c> is carried out only while a supervisor's
/// <c>technician-access</c> is in force. Without it one technician's key, stolen or misused, could
/// take a door contact or a fence out of service for a day with nobody on the site's side agreeing.
/// An unbypass needs none: it puts protection back. Part of <see cref="SiteDecider"/>: pure.
/// </summary>
/// <remarks>
/// The grant ends at its signed time by both clocks, as a bypass does (<see cref="ActiveBypass"/>),
/// when a supervisor or the technician sends <c>technician-access-end</c>, or at a restart (not
/// persisted: the visit is asked for again). Bypasses made under it keep their own signed ends,
/// which may not be later than the grant's.
/// </remarks>
internal static class TechnicianAccess
{
    /// <summary>The longest one grant lasts: a working day; a longer job is granted again each day.</summary>
    public static readonly TimeSpan MaxGrant = TimeSpan.FromHours(12);

    /// <summary>
    /// Why a technician's command may not be carried out now, or null: a bypass needs a grant in
    /// force, signed before the bypass (one held back on the broker from before must not ride on a
    /// grant given since for another job), and may not outlast it (the supervisor agreed to that
    /// window, not to the bypass's own 24 h).
    /// </summary>
    public static string? Refusal(SiteState state, VerifiedCommand verified, Moment now)
    {
        var command = verified.Command;
        if (verified.Role != OperatorRole.Technician || command.Type != CommandType.Bypass)
        {
            return null;
        }

        if (state.TechnicianAccess is not { } access || access.Window.EndedAt(now))
        {
            return "a technician's bypass needs a supervisor's technician-access in force (EN 50131: installer access is authorised by a user), and none is";
        }

        if (command.IssuedAt < access.SignedAt)
        {
            return $"signed at {WireTime.Format(command.IssuedAt)}, before the technician access in force was granted (signed at {WireTime.Format(access.SignedAt)}); sign it again if it is still wanted";
        }

        var grantEnd = access.Window.Grant.Until;
        return CommandTypes.TryParseTimestamp(command.StringArgument("until") ?? "") is { } until && until > grantEnd
            ? $"'until' is after the technician access ends at {WireTime.Format(grantEnd)}: a technician's bypass lasts at most as long as the access a supervisor granted"
            : null;
    }

    /// <summary>Grants technician access until the command's <c>until</c>.</summary>
    public static (SiteState, string?, string) Grant(SiteState state, CommandEnvelope command, Moment now, List<DomainEvent> events)
    {
        var text = command.StringArgument("until") ?? "";
        if (CommandTypes.TryParseTimestamp(text) is not { } until || until <= now.Utc)
        {
            return (state, $"'until' ({text}) has already passed", "");
        }

        if (until - now.Utc > MaxGrant)
        {
            return (state, $"'until' is more than {MaxGrant.TotalHours:0} h ahead; a longer job is granted again each day", "");
        }

        events.Add(new TechnicianAccessGranted(now.Utc, command.Operator, until));
        var window = ActiveBypass.From(new PointBypass(until, command.Operator), now, MaxGrant);
        return (state with { TechnicianAccess = new TechnicianVisit(window, command.IssuedAt) }, null, $"technician access until {WireTime.Format(until)}");
    }

    /// <summary>Ends technician access now.</summary>
    public static (SiteState, string?, string) End(SiteState state, CommandEnvelope command, Moment now, List<DomainEvent> events)
    {
        if (state.TechnicianAccess is null)
        {
            return (state, "no technician access is in force", "");
        }

        events.Add(new TechnicianAccessEnded(now.Utc, TechnicianAccessEnd.Ended, command.Operator));
        return (state with { TechnicianAccess = null }, null, "technician access ended");
    }

    /// <summary>Before every decision while a grant is in force: ends it once its time ran out.</summary>
    public static SiteState EndExpired(SiteState state, Moment now, List<DomainEvent> events)
    {
        if (state.TechnicianAccess is not { } access)
        {
            return state;
        }

        var current = access.Window.Tightened(now, MaxGrant);
        if (current.EndedAt(now))
        {
            events.Add(new TechnicianAccessEnded(now.Utc, TechnicianAccessEnd.Expired, null));
            return state with { TechnicianAccess = null };
        }

        return ReferenceEquals(current, access.Window) ? state : state with { TechnicianAccess = access with { Window = current } };
    }
}

/// <summary>A supervisor's technician access in force.</summary>
/// <param name="Window">Its end on both clocks, as a bypass's (<see cref="ActiveBypass"/>; the grant's operator is the supervisor).</param>
/// <param name="SignedAt">When the supervisor signed it: a technician's bypass signed before it is refused.</param>
public sealed record TechnicianVisit(ActiveBypass Window, DateTimeOffset SignedAt);

/// <summary>Why technician access ended (<see cref="TechnicianAccessEnded"/>).</summary>
public enum TechnicianAccessEnd
{
    /// <summary>Its signed time ran out.</summary>
    Expired,
    /// <summary>The office ended it (<c>technician-access-end</c>).</summary>
    Ended,
}

/// <summary>A supervisor authorised technicians' bypasses until <see cref="Until"/> (EN 50131 installer access).</summary>
/// <param name="At">When it was granted.</param>
/// <param name="Operator">The supervisor who signed it.</param>
/// <param name="Until">When it ends (as signed).</param>
public sealed record TechnicianAccessGranted(DateTimeOffset At, string Operator, DateTimeOffset Until) : DomainEvent(At)
{
    public override string Type => "technician.access-granted";

    // Warning: for its duration one technician's key can take points out of service.
    public override Severity Severity => Severity.Warning;
}

/// <summary>Technician access is over: a technician's bypass is refused again.</summary>
/// <param name="At">When it ended.</param>
/// <param name="Reason">Why.</param>
/// <param name="Operator">Who ended it; null when it ran out.</param>
public sealed record TechnicianAccessEnded(DateTimeOffset At, TechnicianAccessEnd Reason, string? Operator) : DomainEvent(At)
{
    public override string Type => "technician.access-ended";
    public override Severity Severity => Severity.Info;
}
