using System.Security.Cryptography;

namespace EdgeGuard.Core.Commands;

// A verbatim copy that comes after its command's expiry: a QoS 1 redelivery after a link was down
// longer than the command's lifetime (its PUBACK was lost with the link), or anyone republishing
// captured bytes. The contract answers a copy with what became of the command; "expired" told the
// office's tools and dashboards, with the office's own correlation data and payload hash, that the
// command was refused, after its "done": a lockdown carried out read as one that was not.
public sealed partial class CommandVerifier
{
    // The copy's answer while its id is still remembered (memory first, then the store's committed
    // rows, a read that waits for no writer): a finished one repeats its final result, a started one
    // is marked started for the caller to tell executing here from cut short. Null, and so refused
    // as expired as before: never seen, seen with other bytes, recorded and never handed to the
    // controller (it will be refused as expired when its turn comes), forgotten, or a store that
    // cannot be read (the copy itself is expired, which is true). No Clock: its times were judged
    // when it first came, and a copy says nothing of the clock now.
    // Only within the window the id is kept for (expires_at + the largest skew, RememberedWindow):
    // the store prunes only when a command is recorded, so on a quiet gateway an old row stays for
    // days, and copies long past it, answered as repeats, would each be journaled anew once the
    // repeat audit has forgotten the command; refused as expired, the rejection audit holds them.
    private CommandVerdict? CopyOfHandled(CommandEnvelope command, OperatorKey key, ReadOnlySpan<byte> payload, string id, DateTimeOffset now)
    {
        if (now >= RememberedWindow(command).Until)
        {
            return null;
        }

        var hash = SHA256.HashData(payload);
        SeenCommand? known;
        var fromMemory = false;
        if (_unrecorded.Find(command.Id, hash, now) is { } remembered)
        {
            known = remembered;
            fromMemory = true;
        }
        else
        {
            try
            {
                known = seen.Find(command.Id, hash);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return null;
            }
        }

        var verified = new VerifiedCommand(command, key.Role);
        return known?.Status switch
        {
            SeenStatus.Finished => new CommandVerdict(null, null, id, "handled before")
            {
                Repeat = new RepeatedCommand(verified, known.Value.Final!), Unrecorded = fromMemory, OnlyRead = !fromMemory,
            },
            SeenStatus.Started => new CommandVerdict(null, null, id, "started before")
            {
                Repeat = new RepeatedCommand(verified, Interrupted), Started = true, Unrecorded = fromMemory, OnlyRead = !fromMemory,
            },
            _ => null,
        };
    }
}
