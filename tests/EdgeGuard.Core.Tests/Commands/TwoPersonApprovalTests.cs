using CsCheck;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>The two-person all-clear: two different supervisors within the window, nothing less.</summary>
public sealed class TwoPersonApprovalTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromHours(5);

    private static VerifiedCommand AllClear(string op, OperatorRole role = OperatorRole.Supervisor, CommandType type = CommandType.AllClear) =>
        new(CommandKit.Unsigned(type, op), role);

    [Fact]
    public void Two_different_supervisors_within_the_window_lift_it()
    {
        var approval = TwoPersonApproval.Start("lockdown@1");
        var (afterFirst, first) = approval.Add(AllClear("sup.jones"), T0);
        var (_, second) = afterFirst.Add(AllClear("sup.brown"), T0 + TimeSpan.FromSeconds(120));

        Assert.Equal(ApprovalStatus.Pending, first.Status);
        Assert.Equal(ApprovalStatus.Done, second.Status);
        Assert.Equal(["sup.jones", "sup.brown"], second.Approvers.ToArray());
    }

    [Fact]
    public void One_approval_alone_never_lifts_it()
    {
        var (next, outcome) = TwoPersonApproval.Start("lockdown@1").Add(AllClear("sup.jones"), T0);
        Assert.Equal(ApprovalStatus.Pending, outcome.Status);
        Assert.Single(next.Approvals);
    }

    [Fact]
    public void The_same_supervisor_twice_never_lifts_it_nor_extends_the_window()
    {
        var approval = TwoPersonApproval.Start("lockdown@1");
        (approval, _) = approval.Add(AllClear("sup.jones"), T0);
        (approval, var again) = approval.Add(AllClear("sup.jones"), T0 + TimeSpan.FromSeconds(100));
        Assert.Equal(ApprovalStatus.Refused, again.Status);

        // The first approval kept its time: at 121 s it has lapsed, so a second supervisor is first again.
        var (_, late) = approval.Add(AllClear("sup.brown"), T0 + TimeSpan.FromSeconds(121));
        Assert.Equal(ApprovalStatus.Pending, late.Status);
        Assert.Equal(["sup.brown"], late.Approvers.ToArray());
    }

    [Fact]
    public void An_approval_outside_the_window_has_lapsed()
    {
        var window = TimeSpan.FromSeconds(60);
        var (approval, _) = TwoPersonApproval.Start("lockdown@1", window).Add(AllClear("sup.jones"), T0);
        var (_, outcome) = approval.Add(AllClear("sup.brown"), T0 + window + TimeSpan.FromMilliseconds(1));
        Assert.Equal(ApprovalStatus.Pending, outcome.Status);
    }

    [Fact]
    public void Only_supervisors_all_clears_count()
    {
        var approval = TwoPersonApproval.Start("lockdown@1");
        (approval, _) = approval.Add(AllClear("sup.jones"), T0);

        Assert.Equal(ApprovalStatus.Refused, approval.Add(AllClear("guard.smith", OperatorRole.Guard), T0).Outcome.Status);
        Assert.Equal(ApprovalStatus.Refused, approval.Add(AllClear("tech.lee", OperatorRole.Technician), T0).Outcome.Status);
        Assert.Equal(ApprovalStatus.Refused, approval.Add(AllClear("sup.brown", type: CommandType.Lockdown), T0).Outcome.Status);
    }

    [Fact]
    public void Approvals_for_an_earlier_lockdown_count_for_nothing()
    {
        var (approval, _) = TwoPersonApproval.Start("lockdown@1").Add(AllClear("sup.jones"), T0);
        var renewed = approval.For("lockdown@2");
        var (_, outcome) = renewed.Add(AllClear("sup.brown"), T0 + TimeSpan.FromSeconds(1));

        Assert.Same(approval, approval.For("lockdown@1"));
        Assert.Equal(ApprovalStatus.Pending, outcome.Status);
    }

    [Fact]
    public void Whatever_the_sequence_done_needs_two_distinct_supervisors_within_the_window()
    {
        var ops = new[] { ("sup.jones", OperatorRole.Supervisor), ("sup.brown", OperatorRole.Supervisor), ("guard.smith", OperatorRole.Guard), ("tech.lee", OperatorRole.Technician) };
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 200]).Array[1, 8].Sample(steps =>
        {
            var approval = TwoPersonApproval.Start("lockdown@1");
            var now = T0;
            var history = new List<(string Op, OperatorRole Role, TimeSpan At)>();
            foreach (var (who, gap) in steps)
            {
                now += TimeSpan.FromSeconds(gap);
                var (op, role) = ops[who];
                (approval, var outcome) = approval.Add(AllClear(op, role), now);
                history.Add((op, role, now));
                if (outcome.Status == ApprovalStatus.Done)
                {
                    var recent = history.Where(h => h.Role == OperatorRole.Supervisor && now - h.At <= approval.Window).Select(h => h.Op).Distinct().Count();
                    Assert.True(recent >= 2);
                    Assert.Equal(2, outcome.Approvers.Distinct().Count());
                    return;
                }
            }
        }, iter: 2000);
    }
}
