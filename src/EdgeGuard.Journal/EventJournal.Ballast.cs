namespace EdgeGuard.Journal;

// The writer's side of the ballast (JournalDatabase.Ballast.cs): after every round it tells the
// host once that the ballast is out, and puts it back as soon as the disk has room for it twice
// over (a free-space check, no write, while it has not). An attempt that fails is not repeated
// for a minute (monotonic clock), so a card that stays full is not written to in vain. While a
// ballast a full disk freed is out, the full episode does not end (EventJournal.FullPolicy.cs).
public sealed partial class EventJournal
{
    /// <summary>How long the writer waits after a failed attempt to put the ballast back.</summary>
    internal static readonly TimeSpan BallastRetry = TimeSpan.FromMinutes(1);

    // Writer thread only: whether the host was told the ballast is out, and when an attempt to put
    // it back last failed.
    private bool _ballastReported;
    private TimeSpan? _ballastFailedAt;

    private void TendBallast()
    {
        if (!_database.BallastOut)
        {
            return;
        }

        if (!_ballastReported)
        {
            _ballastReported = true;
            Report(JournalException.For(_database.Path, _database.BallastText(released: true)));
        }

        var now = Monotonic();
        if (_ballastFailedAt is { } failed && now - failed < BallastRetry)
        {
            return;
        }

        if (!_database.TryRestoreBallast())
        {
            _ballastFailedAt = now;
            return;
        }

        _ballastReported = false;
        _ballastFailedAt = null;
        Report(JournalException.For(_database.Path, _database.BallastText(released: false)));
    }
}
