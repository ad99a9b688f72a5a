using CsCheck;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The early hand-off under random lives: bursts, a full or read-only disk and its return, power cuts in the
/// middle of a commit or while idle, clean restarts, and the office acknowledging. An "office"
/// reads everything the journal hands out, as the publisher would. Whatever happens, no seq is
/// ever handed out under two ids, new seqs only grow, every row of the final journal reached the
/// office, every seq the office holds that the journal lacks lies in a range a journal.gap row
/// declares, and the chain verifies.
/// </summary>
public sealed class HandOffProperties
{
    private static readonly Gen<Step> Steps = Gen.Frequency(
        (6, Gen.Int[1, 40].Select(n => (Step)new Publish(n))),
        (1, Gen.Const<Step>(new DiskFull())),
        (1, Gen.Const<Step>(new DiskReadOnly())),
        (1, Gen.Const<Step>(new DiskBack())),
        (2, Gen.Int[1, 20].Select(n => (Step)new PowerCutDuringCommit(n))),
        (1, Gen.Const<Step>(new PowerCutIdle())),
        (1, Gen.Const<Step>(new CleanRestart())),
        (2, Gen.Const<Step>(new Acknowledge())));

    [Fact]
    public void No_seq_is_ever_reused_and_every_jump_is_declared_whatever_the_gateway_lives_through()
    {
        Steps.Array[1, 10].Sample(steps =>
        {
            using var life = new GatewayLife();
            foreach (var step in steps)
            {
                life.Do(step);
                life.OfficeReads();
            }

            life.AssertConsistent();
        }, iter: 40, threads: 1);
    }

    private abstract record Step;

    private sealed record Publish(int Count) : Step;

    private sealed record DiskFull : Step;

    private sealed record DiskReadOnly : Step;

    private sealed record DiskBack : Step;

    private sealed record PowerCutDuringCommit(int Count) : Step;

    private sealed record PowerCutIdle : Step;

    private sealed record CleanRestart : Step;

    private sealed record Acknowledge : Step;

    // One gateway's journal over its life: the current file, the journal on it, and the office's view.
    private sealed class GatewayLife : IDisposable
    {
        private readonly TempDirectory _temp = new();
        private readonly FakeTimeProvider _time = new(JournalHarness.T0);
        private readonly Dictionary<long, Guid> _office = [];
        private readonly List<IReadOnlyList<JournalRecord>> _handedOut = [];
        private EventJournal? _cut;
        private int _files;
        private int _events;
        private long _highestSeen;
        private string _path;
        private JournalDatabase _database;
        private EventJournal _journal;

        public GatewayLife()
        {
            _path = _temp.File("gateway-0.db");
            (_database, _journal) = Open(_path);
        }

        public void Do(Step step)
        {
            switch (step)
            {
                case Publish(var count):
                    PublishAndFlush(count);
                    break;
                case DiskFull:
                    // The writer's connection may not grow the file any further: SQLITE_FULL.
                    _database.Read(c => Pragma(c, $"max_page_count = {Pragma(c, "page_count")}"));
                    break;
                case DiskReadOnly:
                    // Every write fails (SQLITE_READONLY), however small: a card the kernel remounted
                    // read-only. What the full policy keeps is then handed out from memory.
                    _database.Read(c => Pragma(c, "query_only = 1"));
                    break;
                case DiskBack:
                    _database.Read(c => Pragma(c, "max_page_count = 1073741823"));
                    _database.Read(c => Pragma(c, "query_only = 0"));
                    break;
                case PowerCutDuringCommit(var count):
                    var image = _temp.File($"gateway-{++_files}.db");
                    var taken = false;
                    // Runs on the writer inside its transaction, after the office was handed the
                    // batch: it only copies (an assertion failing here would look like a failed commit).
                    _journal.BeforeCommit = _ =>
                    {
                        if (!taken)
                        {
                            taken = true;
                            CopyFiles(_path, image);
                            // The power went here: nothing this journal announces later reaches anyone.
                            _cut = _journal;
                        }
                    };
                    PublishAndFlush(count);
                    if (taken)
                    {
                        Restart(image);
                    }

                    break;
                case PowerCutIdle:
                    var idle = _temp.File($"gateway-{++_files}.db");
                    // Nothing the journal announces after the cut reaches anyone: its stop may still
                    // commit (an episode's recovery, pending since the disk came back) into a file the
                    // next start never sees.
                    _cut = _journal;
                    CopyFiles(_path, idle);
                    Restart(idle);
                    break;
                case CleanRestart:
                    Restart(_path);
                    break;
                case Acknowledge:
                    try
                    {
                        _journal.MarkDelivered(Math.Min(_highestSeen, _journal.LastSeq));
                    }
                    catch (JournalException)
                    {
                        // A read-only disk takes no cursor either; the publisher logs it and goes on.
                    }

                    break;
            }
        }

        // The publisher's view: everything after the cursor (a replay repeats seqs, never changes them).
        public void OfficeReads()
        {
            lock (_handedOut)
            {
                foreach (var batch in _handedOut)
                {
                    Receive(batch, batch[0].Seq - 1);
                }

                _handedOut.Clear();
            }

            var after = _journal.DeliveredThrough;
            IReadOnlyList<JournalRecord> records;
            while ((records = _journal.ReadAfter(after, 500)).Count > 0)
            {
                after = Receive(records, after);
            }
        }

        private long Receive(IReadOnlyList<JournalRecord> records, long after)
        {
            foreach (var record in records)
            {
                Assert.True(record.Seq > after, $"seq {record.Seq} read after {after}");
                if (_office.TryGetValue(record.Seq, out var id))
                {
                    Assert.True(id == record.Id, $"seq {record.Seq} handed out as {id} and again as {record.Id}");
                }
                else
                {
                    Assert.True(record.Seq > _highestSeen, $"new seq {record.Seq} at or below {_highestSeen}, already handed out");
                    _office[record.Seq] = record.Id;
                    _highestSeen = record.Seq;
                }

                after = record.Seq;
            }

            return after;
        }

        public void AssertConsistent()
        {
            Restart(_path); // what is left once everything pending was written
            OfficeReads();
            var rows = _journal.Read(0, int.MaxValue);
            var gaps = rows.Where(r => r.Type == "journal.gap").Select(r => (From: Data(r, "fromSeq"), Through: Data(r, "throughSeq"), Seq: r.Seq)).ToList();
            foreach (var gap in gaps)
            {
                Assert.Equal(gap.Through + 1, gap.Seq);
            }

            foreach (var row in rows)
            {
                Assert.True(_office.TryGetValue(row.Seq, out var id) && id == row.Id, $"journaled seq {row.Seq} never reached the office under its id");
            }

            var kept = rows.Select(r => r.Seq).ToHashSet();
            foreach (var seq in _office.Keys.Where(seq => !kept.Contains(seq)))
            {
                Assert.True(gaps.Any(g => seq >= g.From && seq <= g.Through), $"the office holds seq {seq}, which the journal neither kept nor declared skipped");
            }

            using var reader = JournalReader.Open(_path);
            var report = JournalVerifier.Verify(reader);
            Assert.True(report.IsIntact, string.Join(Environment.NewLine, report.Problems.Select(p => p.Message)));
        }

        public void Dispose()
        {
            _journal.Dispose();
            _database.Dispose();
            SqliteConnection.ClearAllPools();
            _temp.Dispose();
        }

        private void PublishAndFlush(int count)
        {
            var events = new DomainEvent[count];
            for (var i = 0; i < count; i++)
            {
                _events++;
                // Now and then an event the full policy keeps, so a failing disk hands some out from memory.
                events[i] = _events % 5 == 0
                    ? new LockdownRetriggered(JournalHarness.T0.AddMilliseconds(_events), "panic button", $"p{_events}")
                    : new PointActivated(JournalHarness.T0.AddMilliseconds(_events), $"p{_events}", PointKind.DoorContact, "zone-a");
            }

            _journal.Publish(events);
            _journal.FlushAsync().WaitAsync(JournalHarness.Patience).GetAwaiter().GetResult();
        }

        // The running journal stops cleanly (it gives its reservation back to its own file) and
        // the gateway starts on path: the same file for a clean restart, a copy for a power cut.
        // The start's first event follows; a gap row to declare goes before it.
        private void Restart(string path)
        {
            _journal.BeforeCommit = null;
            _journal.Dispose();
            _database.Dispose();
            _path = path;
            (_database, _journal) = Open(path);
            PublishAndFlush(1);
        }

        // The office as an ideal publisher: it is handed every batch the moment it is announced
        // (before its commit, when early), and checks it once the step is over.
        private (JournalDatabase, EventJournal) Open(string path)
        {
            var database = JournalDatabase.Open(path);
            var journal = new EventJournal(database, _time);
            var read = journal.DeliveredThrough;
            journal.AfterAnnounce = _ =>
            {
                if (ReferenceEquals(journal, _cut))
                {
                    return;
                }

                var records = journal.ReadAfter(read, int.MaxValue);
                if (records.Count > 0)
                {
                    read = records[^1].Seq;
                    lock (_handedOut)
                    {
                        _handedOut.Add(records);
                    }
                }
            };
            return (database, journal);
        }

        private static void CopyFiles(string from, string to)
        {
            File.Copy(from, to, overwrite: true);
            if (File.Exists(from + "-wal"))
            {
                File.Copy(from + "-wal", to + "-wal", overwrite: true);
            }
        }

        private static long Pragma(SqliteConnection connection, string pragma)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA {pragma};";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        private static long Data(JournalRecord record, string name)
        {
            using var data = System.Text.Json.JsonDocument.Parse(record.DataJson);
            return data.RootElement.GetProperty(name).GetInt64();
        }
    }
}
