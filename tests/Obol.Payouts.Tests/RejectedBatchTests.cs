using CsCheck;
using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

/// <summary>A rejected call changes nothing: not the payout, and none of its valid records.</summary>
public sealed class RejectedBatchTests
{
    private readonly DasherPayoutService _service = new();

    public RejectedBatchTests()
    {
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 10, bonusPay: 50, deliveryCountsToGetBonus: 1);
        _service.AddDeliveryActivity("d1", [Records.Start("A", "08:00"), Records.End("A", "08:09"), Records.Start("B", "08:30")]);
    }

    public static TheoryData<string, string[]> RejectedCalls => new()
    {
        { "malformed last", [Records.End("B", "08:39"), Records.Start("N", "12:00"), Records.End("N", "12:59"), "orderId=X,action=START,time=24:00"] },
        { "malformed first", ["orderId=,action=START,time=10:00", Records.End("B", "08:39"), Records.Start("N", "12:00"), Records.End("N", "12:59")] },
        { "conflict with recorded", [Records.End("B", "08:39"), Records.Start("N", "12:00"), Records.End("N", "12:59"), Records.Start("A", "08:01")] },
        { "conflict inside the call", [Records.End("B", "08:39"), Records.Start("N", "12:00"), Records.End("N", "12:59"), Records.End("N", "13:00")] },
        { "duplicate then conflict", [Records.End("B", "08:39"), Records.End("B", "08:39"), Records.Start("N", "12:00"), Records.End("N", "12:59"), Records.End("B", "08:40")] },
    };

    [Theory]
    [MemberData(nameof(RejectedCalls))]
    public void Rejected_call_leaves_the_payout_unchanged(string reason, string[] call)
    {
        _ = reason; // names the case in the test output
        var before = _service.Payout("d1");

        Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", call));

        Assert.Equal(before, _service.Payout("d1"));
    }

    [Theory]
    [MemberData(nameof(RejectedCalls))]
    public void Valid_records_of_a_rejected_call_are_not_applied(string reason, string[] call)
    {
        _ = reason;
        Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", call));

        // Had B's END at 08:39 or N's START/END been kept, these other times would now conflict.
        _service.AddDeliveryActivity("d1", [Records.End("B", "08:30"), Records.Start("N", "13:00"), Records.End("N", "13:00")]);

        Assert.Equal((10 + 1 + 1) * 10 + (3 * 50), _service.Payout("d1"));
    }

    [Fact]
    public void Rejected_lazy_sequence_applies_nothing()
    {
        static IEnumerable<string> Lazy()
        {
            yield return Records.End("B", "08:39");
            yield return "orderId=Z,action=STOP,time=10:00";
        }

        var before = _service.Payout("d1");

        Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", Lazy()));

        Assert.Equal(before, _service.Payout("d1"));
    }

    [Fact]
    public void Service_keeps_working_after_a_rejected_call()
    {
        Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [Records.Start("A", "07:00")]));

        _service.AddDeliveryActivity("d1", [Records.End("B", "08:39")]);

        Assert.Equal((10 + 10) * 10 + (2 * 50), _service.Payout("d1"));
    }

    private static readonly Gen<string[]> BadRecords = Gen.OneOfConst<string[]>(
        ["orderId=X,action=START,time=24:00"],
        ["orderId=X,action=START,time=9:5"],
        ["orderId=,action=END,time=10:00"],
        ["orderId=X,action=PAUSE,time=10:00"],
        ["orderId=X,action=START,time=10:00,tip=5"],
        [Records.Start("Z", "10:00"), Records.Start("Z", "10:01")]);

    [Fact]
    public void Any_rejected_call_leaves_the_day_as_if_it_was_never_made()
    {
        Gen.Select(ActivityGen.Day, ActivityGen.Terms, BadRecords, Gen.Int[0, 1_000], Gen.Int[0, 1_000]).Sample((activity, terms, bad, callPick, positionPick) =>
        {
            var service = new DasherPayoutService();
            service.AddOrUpdatePayoutMetadata("d1", terms.Rate, terms.BonusPay, terms.PerBonus);
            var rejectedCall = callPick % activity.Calls.Length;
            var accepted = new List<string>();
            for (var i = 0; i < activity.Calls.Length; i++)
            {
                var call = activity.Calls[i].ToList();
                if (i != rejectedCall)
                {
                    service.AddDeliveryActivity("d1", call);
                    accepted.AddRange(call);
                    continue;
                }

                call.InsertRange(positionPick % (call.Count + 1), bad);
                var before = service.Payout("d1");
                Assert.Throws<ArgumentException>(() => service.AddDeliveryActivity("d1", call));
                Assert.Equal(before, service.Payout("d1"));
            }

            var expected = PayoutOracle.Payout(PayoutOracle.Deliveries(accepted), terms.Rate, terms.BonusPay, terms.PerBonus);
            Assert.Equal(expected, service.Payout("d1"));
        }, iter: 300);
    }
}
