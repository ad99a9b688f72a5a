namespace EdgeGuard.Hardware;

/// <summary>
/// The gateway cannot reach its GPIO hardware as configured: a missing native library, an unknown
/// chip, a line that cannot be opened. The message is written for the technician at the console and
/// says what to fix.
/// </summary>
public sealed class HardwareException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public HardwareException()
        : base("The GPIO hardware could not be used.")
    {
    }

    /// <summary>Creates the exception with a message saying what to fix.</summary>
    public HardwareException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure underneath it.</summary>
    public HardwareException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
