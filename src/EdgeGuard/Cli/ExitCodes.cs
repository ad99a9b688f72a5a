namespace EdgeGuard.Cli;

/// <summary>Process exit codes, documented in the README for scripts and systemd.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>The gateway failed at run time (hardware missing, broker port taken, ...).</summary>
    public const int Failure = 1;
    /// <summary>
    /// Configuration is invalid, or (run; <c>journal verify --schema-only</c>) the journal was migrated
    /// by a newer release: what no restart fixes, so the unit never restarts on it (RestartPreventExitStatus).
    /// </summary>
    public const int InvalidConfig = 2;
    /// <summary>A scenario expectation did not hold, or the simulator could not be reached.</summary>
    public const int ScenarioFailed = 3;
    /// <summary><c>journal verify</c> found the journal edited, cut or reordered; the report says where.</summary>
    public const int JournalTampered = 4;
    /// <summary>
    /// <c>walktest</c> did not pass: a point never seen, a loop cut or bridged, or a hardware fault (at start or
    /// during the test); the report lists them.
    /// </summary>
    public const int WalkTestIncomplete = 5;
}
