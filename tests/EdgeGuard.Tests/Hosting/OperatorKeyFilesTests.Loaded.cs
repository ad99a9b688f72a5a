using EdgeGuard.Configuration;
using EdgeGuard.Core.Commands;
using EdgeGuard.Hosting;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// Keys that loaded at start, read again by the minute's check: a key file deleted (a stolen key
/// revoked) stops being trusted, a key rotated in place is used, without a restart.
/// </summary>
public sealed partial class OperatorKeyFilesTests
{
    // A supervisor's key is stolen: the technician deletes its file. The key must stop working
    // within the minute's check, not at the next restart, and the office hears of it as of a file
    // missing at start.
    [Fact]
    public void A_loaded_key_whose_file_is_deleted_is_no_longer_trusted_after_the_recheck()
    {
        var jones = WriteKey("sup.jones");
        using var keys = Start([Loaded("sup.jones", jones)], []);
        Assert.NotNull(keys.Find("sup.jones"));

        File.Delete(jones);
        keys.Recheck();

        Assert.Null(keys.Find("sup.jones"));
        Assert.Equal("the key file does not exist", keys.Unavailable("sup.jones"));
        var fault = Assert.IsType<OperatorKeyFault>(Assert.Single(_reported));
        Assert.Equal(("sup.jones", jones), (fault.Operator, fault.File));
        Assert.Contains("OFFICE COMMANDS OF 'sup.jones' REFUSED", keys.Problem, StringComparison.Ordinal);
        Assert.Empty(_rotated);
    }

    // The minute's timer does it without a call: a deleted file is noticed within the interval.
    [Fact]
    public void The_recheck_timer_notices_a_loaded_keys_file_gone()
    {
        var jones = WriteKey("sup.jones");
        using var keys = Start([Loaded("sup.jones", jones)], []);

        File.Delete(jones);
        _time.Advance(OperatorKeyFiles.RecheckInterval);

        Assert.Null(keys.Find("sup.jones"));
        Assert.Single(_reported, e => e is OperatorKeyFault);
    }

    // A rotation in place: the new key is used from the check on (the old one refused), with no
    // fault; the controller is told, to drop an approval the old key gave; the file put back after
    // a deletion is restored as any missing key is.
    [Fact]
    public void A_loaded_key_replaced_in_place_is_used_after_the_recheck_and_the_old_one_is_not()
    {
        var jones = WriteKey("sup.jones");
        using var keys = Start([Loaded("sup.jones", jones)], []);
        var old = keys.Find("sup.jones")!.PublicKey;

        WriteKey("sup.jones");
        keys.Recheck();

        var rotated = keys.Find("sup.jones")!.PublicKey;
        Assert.False(rotated.AsSpan().SequenceEqual(old.AsSpan()));
        Assert.Null(OperatorKeyFile.Read("sup.jones", jones, out var onDisk));
        Assert.True(rotated.AsSpan().SequenceEqual(onDisk.AsSpan()));
        Assert.Equal(OperatorRole.Supervisor, keys.Find("sup.jones")!.Role);
        Assert.Empty(_reported);
        Assert.Equal(["sup.jones"], _rotated);

        File.Delete(jones);
        keys.Recheck();
        Assert.Null(keys.Find("sup.jones"));
        WriteKey("sup.jones");
        keys.Recheck();

        Assert.NotNull(keys.Find("sup.jones"));
        Assert.IsType<OperatorKeyRestored>(_reported[^1]);
        Assert.Null(keys.Problem);
    }

    // A loaded operator's file replaced by a copy of another's key: neither name may approve for
    // the other, so the replaced one stops being trusted.
    [Fact]
    public void A_loaded_key_replaced_by_a_copy_of_another_operators_key_is_no_longer_trusted()
    {
        var jones = WriteKey("sup.jones");
        var smith = WriteKey("sup.smith");
        using var keys = Start([Loaded("sup.jones", jones), Loaded("sup.smith", smith)], []);

        File.Copy(jones, smith, overwrite: true);
        keys.Recheck();

        Assert.Null(keys.Find("sup.smith"));
        Assert.Contains("same public key as operator 'sup.jones'", keys.Unavailable("sup.smith"), StringComparison.Ordinal);
        Assert.NotNull(keys.Find("sup.jones"));
    }

    // What the controller's loop asks per command: the trusted set as it is, never a file read (the
    // loop drives the locks and must not wait on a card). A withdrawn key is untrusted at once; one
    // put back is trusted again only once a command of theirs or the check has read it.
    [Fact]
    public void Trusted_answers_from_memory_and_reads_no_file()
    {
        var jones = WriteKey("sup.jones");
        using var keys = Start([Loaded("sup.jones", jones)], []);
        IOperatorKeys lookup = keys;
        Assert.NotNull(lookup.Trusted("sup.jones"));

        File.Delete(jones);
        keys.Recheck();
        Assert.Null(lookup.Trusted("sup.jones"));
        WriteKey("sup.jones");

        Assert.Null(lookup.Trusted("sup.jones"));
        Assert.DoesNotContain(_reported, e => e is OperatorKeyRestored);
        Assert.NotNull(keys.Find("sup.jones"));
        Assert.NotNull(lookup.Trusted("sup.jones"));
    }
}
