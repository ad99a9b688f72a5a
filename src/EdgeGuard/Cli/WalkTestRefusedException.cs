namespace EdgeGuard.Cli;

/// <summary>Why the walk test will not start; its message is the whole explanation for the technician.</summary>
internal sealed class WalkTestRefusedException : Exception
{
    public WalkTestRefusedException()
    {
    }

    public WalkTestRefusedException(string message)
        : base(message)
    {
    }

    public WalkTestRefusedException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}
