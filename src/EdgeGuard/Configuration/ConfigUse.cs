namespace EdgeGuard.Configuration;

/// <summary>
/// What the verb reading a configuration does with it (<see cref="GatewayConfigReader.Read"/>). It
/// matters on simulated hardware only: the checks of what the simulated gateway would open, and of where
/// it would publish, are for a verb that does so, while a tool that reads only the configuration's
/// paths may be given a real site's configuration, whose lines are its real chip's and whose broker
/// is the office's.
/// </summary>
public enum ConfigUse
{
    /// <summary><c>run</c>, and <c>validate</c>, which checks as for <c>run</c>: opens the GPIO lines.</summary>
    Gateway,

    /// <summary>
    /// <c>walktest</c>: opens the GPIO lines but publishes nothing (its events stay on the screen), so
    /// on simulated hardware it may have the site's broker off this machine.
    /// </summary>
    WalkTest,

    /// <summary>
    /// The journal and sim verbs: they read the state directory or the control socket from the
    /// configuration and open no line, so <c>--simulate</c> only spares them a hardware driver.
    /// </summary>
    Paths,
}
