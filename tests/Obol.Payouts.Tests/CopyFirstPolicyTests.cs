using Obol.Payouts.Earnings;

namespace Obol.Payouts.Tests;

public sealed class CopyFirstPolicyTests
{
    [Fact]
    public void Copies_keep_being_tried_while_at_most_seven_of_the_last_sixteen_failed()
    {
        var policy = new CopyFirstPolicy();
        for (var i = 0; i < 160; i++)
        {
            Assert.True(policy.ShouldTry());
            policy.Record(copied: i % 16 >= 7);
        }
    }

    [Fact]
    public void Eight_failures_in_sixteen_attempts_pause_the_copies_for_256_batches()
    {
        var policy = new CopyFirstPolicy();
        for (var i = 0; i < 16; i++)
        {
            Assert.True(policy.ShouldTry());
            policy.Record(copied: i % 2 == 0);
        }

        Assert.Equal(256, Enumerable.Range(0, 256).Count(_ => !policy.ShouldTry()));
        Assert.True(policy.ShouldTry());

        // After the pause the history starts afresh: a success keeps the copies going.
        policy.Record(copied: true);
        Assert.True(policy.ShouldTry());
    }
}
