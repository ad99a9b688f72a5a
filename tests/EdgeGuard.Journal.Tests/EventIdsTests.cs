namespace EdgeGuard.Journal.Tests;

/// <summary>The journal's UUIDv7 ids: RFC 9562's layout, the event's time, and no repeats.</summary>
public sealed class EventIdsTests
{
    [Fact]
    public void An_id_is_version_7_with_the_rfc_variant_and_the_events_unix_milliseconds()
    {
        var ids = new EventIds();
        var at = new DateTimeOffset(2026, 12, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));

        var id = ids.Next(at);

        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2); // 10xx: the RFC 9562 variant
        var text = id.ToString("N");
        Assert.Equal(at.ToUnixTimeMilliseconds(), Convert.ToInt64(text[..12], 16));
    }

    [Fact]
    public void Ids_do_not_repeat_across_many_refills_of_the_random_bits_within_one_millisecond()
    {
        var ids = new EventIds();
        var at = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);
        var seen = new HashSet<Guid>();
        for (var i = 0; i < 100_000; i++)
        {
            Assert.True(seen.Add(ids.Next(at)), $"id {i} repeated an earlier one");
        }

        // And the random part really varies in every byte it owns (not a counter in one corner).
        var sample = seen.Take(1_000).Select(g => g.ToByteArray(bigEndian: true)).ToList();
        for (var b = 6; b < 16; b++)
        {
            Assert.True(sample.Select(bytes => bytes[b]).Distinct().Count() > 1, $"byte {b} never changed");
        }
    }

    [Fact]
    public void An_event_dated_before_1970_gets_the_epoch_rather_than_failing()
    {
        var id = new EventIds().Next(new DateTimeOffset(1969, 7, 20, 20, 17, 0, TimeSpan.Zero));

        Assert.Equal(7, id.Version);
        Assert.Equal(0, Convert.ToInt64(id.ToString("N")[..12], 16));
    }

    [Fact]
    public void The_same_event_time_gives_the_same_timestamp_as_the_runtimes_own_version_7()
    {
        var at = new DateTimeOffset(2030, 1, 1, 12, 0, 0, 1, TimeSpan.Zero);

        Assert.Equal(Guid.CreateVersion7(at).ToString("N")[..12], new EventIds().Next(at).ToString("N")[..12]);
    }
}
