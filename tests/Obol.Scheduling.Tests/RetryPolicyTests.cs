using Obol.Scheduling.Execution;
using Obol.Scheduling.Runner;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling.Tests;

public class RetryPolicyTests
{
    private static readonly RetryPolicy Policy = new(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));

    [Fact]
    public void The_ceiling_doubles_per_attempt_up_to_the_maximum()
    {
        Assert.Equal(
            [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60)],
            Enumerable.Range(1, 5).Select(Policy.Ceiling).ToList());
        Assert.Equal(TimeSpan.FromSeconds(60), Policy.Ceiling(500));
    }

    [Fact]
    public void Full_jitter_spreads_the_wait_over_zero_to_the_ceiling()
    {
        Assert.Equal(TimeSpan.Zero, Policy.Delay(3, 0));
        Assert.Equal(TimeSpan.FromSeconds(20), Policy.Delay(3, 0.5));
        Assert.True(Policy.Delay(3, 0.999999) < TimeSpan.FromSeconds(40));
    }

    private static ScheduledPaymentRow Claimed(long attempts, string? frequency = null) => new()
    {
        Id = "sp_x", MerchantId = "mer_x", Status = ScheduledPaymentStatus.Processing, Amount = 100, Currency = "USD",
        PaymentMethod = "pm_card_visa", CaptureMethod = "automatic", ExecuteAt = Now, Occurrence = 1, OccurrenceDueAt = Now,
        NextAttemptAt = Now.AddMinutes(1), Attempts = attempts, TotalAttempts = attempts, CreatedAt = Now, UpdatedAt = Now,
        RecurrenceFrequency = frequency, RecurrenceInterval = frequency is null ? null : 1, RecurrenceCount = frequency is null ? null : 2,
    };

    private static readonly DateTimeOffset Now = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_retryable_failure_before_the_last_attempt_waits_and_the_last_one_dead_letters()
    {
        var retry = CompletionRules.Decide(Claimed(2), new PaymentExecutionResult.Retryable("psp_unavailable"), Now, Policy, 0.5);
        Assert.Equal(ScheduledPaymentStatus.Scheduled, retry.Status);
        Assert.Equal(Now + TimeSpan.FromSeconds(10), retry.NextAttemptAt);
        Assert.Equal("psp_unavailable", retry.LastErrorCode);
        Assert.Null(retry.Execution);

        var dead = CompletionRules.Decide(Claimed(4), new PaymentExecutionResult.Retryable("psp_unavailable"), Now, Policy, 0.5);
        Assert.Equal(ScheduledPaymentStatus.DeadLettered, dead.Status);
        Assert.Equal("attempts_exhausted", dead.History.Reason);
    }

    [Fact]
    public void A_decline_is_final_with_its_code()
    {
        var failed = CompletionRules.Decide(Claimed(1), new PaymentExecutionResult.Declined("pay_1", "card_declined"), Now, Policy, 0.5);
        Assert.Equal(ScheduledPaymentStatus.Failed, failed.Status);
        Assert.Equal("card_declined", failed.LastErrorCode);
        Assert.Equal("declined", failed.Execution!.Outcome);
    }

    [Fact]
    public void Success_moves_a_recurring_schedule_to_its_next_occurrence_with_fresh_attempts()
    {
        var next = CompletionRules.Decide(Claimed(2, RecurrenceFrequency.Daily), new PaymentExecutionResult.Succeeded("pay_1", "captured"), Now, Policy, 0.5);
        Assert.Equal(ScheduledPaymentStatus.Scheduled, next.Status);
        Assert.Equal(2, next.Occurrence);
        Assert.Equal(0, next.Attempts);
        Assert.Equal(Now.AddDays(1), next.NextAttemptAt);
        Assert.Equal("sp_x:occ:1", next.Execution!.IdempotencyKey);

        var done = CompletionRules.Decide(Claimed(1), new PaymentExecutionResult.Succeeded("pay_1", "captured"), Now, Policy, 0.5);
        Assert.Equal(ScheduledPaymentStatus.Succeeded, done.Status);
    }
}
