using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// The annex's MCP23017 as the expander tests wire it: INTA on host line 4, a panic button on A0, a door
/// contact on A1, the annex lock on B0. Shared by the tests of its reset and of its boot failure.
/// </summary>
internal static class AnnexExpander
{
    public const int IntLine = 4;
    public const int LockPin = 8; // B0

    public static readonly ExpanderOptions Expander = new("mcp23017@0x20", 1, 0x20, IntLine);
    public static readonly PointDefinition Panic = new("panic-annex", PointKind.PanicButton, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A0" };
    public static readonly PointDefinition Door = new("door-annex", PointKind.DoorContact, -1, true, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A1" };
    public static readonly OutputDefinition LockAnnex = new("lock-annex", OutputKind.Lock, -1, true, "annex") { LineAddress = "mcp23017@0x20:B0" };

    /// <summary>A second chip that carries only the lobby's egress maglock (outputs only: no interrupt line in use).</summary>
    public static readonly ExpanderOptions Relays = new("mcp23017@0x21", 1, 0x21, 5);

    public static readonly OutputDefinition ExitLobby = new("lock-lobby-exit", OutputKind.Lock, -1, true, "lobby", LockFailMode.FailSafe, Egress: true)
    {
        LineAddress = "mcp23017@0x21:B0",
    };
}
