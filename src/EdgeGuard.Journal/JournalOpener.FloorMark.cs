using System.Globalization;

namespace EdgeGuard.Journal;

// The volatile journal's floors, written beside it when they are raised (on tmpfs, which lives as
// long as the boot): a later start of this boot that cannot read that journal (damaged: set aside,
// or the real journal back takes over from it) still knows what it may have given out. Its seqs
// and sessions are unknown then, and with the wall clock behind the card's top (no RTC, before
// NTP) the clock's floor is below them: the next volatile journal, seeded from the same card, or
// the real journal taking over, gave out the same seqs again (two events under one seq at the
// office) and the same session. The mark bounds them by the time since it was written, on the
// monotonic clock: at most one seq a microsecond and one start a second of that journal's life,
// what SeqFloor and SessionFloor assume of the wall clock. Best effort: a mark that cannot be
// written or read leaves the floors to the wall clock and the card, as before.
public static partial class JournalOpener
{
    private readonly record struct FloorMark(long Seq, long Session, long Timestamp)
    {
        public static FloorMark? Read(string fallbackPath)
        {
            try
            {
                var parts = File.ReadAllText(PathFor(fallbackPath)).Split(' ');
                return parts.Length == 3 && Parse(parts[0]) is { } seq && Parse(parts[1]) is { } session && Parse(parts[2]) is { } timestamp
                    ? new(seq, session, timestamp)
                    : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        // The floors a volatile journal was just given, and when.
        public static void Write(string fallbackPath, NewJournalFloors floors, TimeProvider time)
        {
            var path = PathFor(fallbackPath);
            try
            {
                File.WriteAllText(path + ".new", string.Create(CultureInfo.InvariantCulture, $"{floors.Seq} {floors.Session} {time.GetTimestamp()}"));
                File.Move(path + ".new", path, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        // Its journal retired: a later one is seeded afresh.
        public static void Delete(string fallbackPath)
        {
            try
            {
                File.Delete(PathFor(fallbackPath));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        // Above every seq and session the journal it marks can have given out by now.
        public NewJournalFloors Bound(TimeProvider time)
        {
            var life = time.GetElapsedTime(Timestamp);
            return new(Seq + (long)life.TotalMicroseconds + 1, Session + (long)life.TotalSeconds + 1);
        }

        private static string PathFor(string fallbackPath) => fallbackPath + ".floors";

        private static long? Parse(string text) =>
            long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
    }
}
