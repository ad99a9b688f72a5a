using System.Text;
using CsCheck;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>
/// Hostile payloads: random bytes, random JSON-ish text and mutations of a real signed command.
/// No exception escapes the verifier, and nothing is accepted except the very command that was
/// signed (a mutation that only adds whitespace between tokens is the same command).
/// </summary>
public sealed class CommandFuzzProperties : IDisposable
{
    private readonly CommandKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "1e9", "-0", "1.5", "99999999999999999999",
        "\"id\"", "\"type\"", "\"args\"", "\"signature\"", "\"operator\"", "\"site\"", "\"gateway\"", "\"issued_at\"", "\"expires_at\"",
        "\"lockdown\"", "\"all-clear\"", "\"sup.jones\"", "\"2026-11-23T19:05:00.000Z\"", " ", "\n", "\u00e9", "\U0001F600", "\u2028",
    ];

    [Fact]
    public void Random_payloads_are_rejected_without_an_exception()
    {
        var bytes = Gen.Byte.Array[0, 600];
        var text = Gen.Int[0, Fragments.Length - 1].Array[0, 60].Select(ix => Encoding.UTF8.GetBytes(string.Concat(ix.Select(i => Fragments[i]))));
        Gen.Frequency((1, bytes), (2, text)).Sample(payload =>
        {
            var verdict = _kit.Verifier().Verify(payload, retained: false, CommandKit.Now);
            Assert.False(verdict.Accepted);
            Assert.NotNull(verdict.Reason);
        }, iter: 6000, threads: 1);
    }

    private enum Mutation { Flip, Delete, Insert, Truncate, Duplicate, Splice }

    [Fact]
    public void Mutated_signed_commands_are_rejected_unless_they_are_the_same_command()
    {
        var original = CommandKit.Unsigned(CommandType.SetThreatLevel, "sup.jones", CommandKit.Args(("level", new JsonIntegerItem(3))));
        var signed = CommandKit.Signed(_kit.Supervisor, original);
        var signingBytes = CommandSigner.Sign(original, _kit.Supervisor).SigningBytes();
        var rejected = 0;

        var gen = Gen.Select(Gen.Enum<Mutation>(), Gen.Int[0, signed.Length - 1], Gen.Byte, Gen.Int[1, 8]);
        gen.Sample((mutation, at, value, length) =>
        {
            var payload = Mutate(signed, mutation, at, value, length);
            // A fresh replay store each time, so a mutant is judged on its own merits, not as a replay.
            var verdict = new CommandVerifier(_kit.Keys, new InMemorySeenCommandIds(), _kit.Options).Verify(payload, retained: false, CommandKit.Now);
            if (verdict.Accepted)
            {
                Assert.Equal(signingBytes, verdict.Command!.Command.SigningBytes());
            }
            else
            {
                rejected++;
            }
        }, iter: 6000, threads: 1);

        Assert.True(rejected > 5000, $"only {rejected} of 6000 mutants were rejected");
    }

    private static byte[] Mutate(byte[] signed, Mutation mutation, int at, byte value, int length)
    {
        var list = signed.ToList();
        switch (mutation)
        {
            case Mutation.Flip:
                list[at] ^= (byte)(value == 0 ? 1 : value);
                break;
            case Mutation.Delete:
                list.RemoveRange(at, Math.Min(length, list.Count - at));
                break;
            case Mutation.Insert:
                list.Insert(at, value);
                break;
            case Mutation.Truncate:
                list.RemoveRange(at, list.Count - at);
                break;
            case Mutation.Duplicate:
                list.InsertRange(at, signed.Skip(at).Take(length));
                break;
            case Mutation.Splice:
                // Moves a chunk elsewhere: reorders characters within strings or across fields.
                var chunk = list.Skip(at).Take(length).ToList();
                list.RemoveRange(at, chunk.Count);
                list.InsertRange((at * 7) % (list.Count + 1), chunk);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mutation));
        }

        return [.. list];
    }
}
