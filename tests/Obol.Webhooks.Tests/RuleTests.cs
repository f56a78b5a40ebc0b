using System.Net;
using CsCheck;
using Obol.Webhooks.Delivery;
using Obol.Webhooks.Endpoints;
using StandardWebhooks;

namespace Obol.Webhooks.Tests;

public sealed class RuleTests
{
    [Fact]
    public void Retries_wait_longer_each_time_and_stop_within_the_window() =>
        Gen.Select(Gen.Int[1, 40], Gen.Double[0, 0.999999]).Sample((attempts, random) =>
        {
            var first = DateTimeOffset.UnixEpoch;
            var now = first + TimeSpan.FromHours(attempts);
            var next = RetrySchedule.Next(attempts, first, now, TimeSpan.FromDays(3), random);
            Assert.True(next is null || (next > now && next <= first + TimeSpan.FromDays(3)));
            Assert.True(RetrySchedule.BaseDelay(attempts + 1) >= RetrySchedule.BaseDelay(attempts));
            Assert.True(RetrySchedule.BaseDelay(attempts) <= RetrySchedule.MaxDelay);
        });

    [Fact]
    public void A_delivery_failing_every_time_is_tried_about_a_dozen_times_over_about_three_days()
    {
        var first = DateTimeOffset.UnixEpoch;
        var now = first;
        var tries = 1;
        while (RetrySchedule.Next(tries, first, now, TimeSpan.FromDays(3), 0.5) is { } next)
        {
            now = next;
            tries++;
        }

        Assert.InRange(tries, 10, 16);
        Assert.InRange(now - first, TimeSpan.FromDays(2), TimeSpan.FromDays(3));
    }

    /// <remarks>
    /// The header carries one signature per secret, space-separated, as the Standard Webhooks specification has it. The
    /// StandardWebhooks NuGet package (1.1.2) finds only the first of two, so each is checked on its own here.
    /// </remarks>
    [Fact]
    public void Each_signature_of_a_rotation_verifies_with_the_StandardWebhooks_package()
    {
        var current = WebhookSignature.NewSecret();
        var previous = WebhookSignature.NewSecret();
        var body = """{"id":"evt_1","type":"payment.captured"}"""u8.ToArray();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signatures = WebhookSignature.Header([current, previous], "evt_1", timestamp, body).Split(' ');
        Assert.Equal(2, signatures.Length);
        foreach (var (secret, signature) in new[] { current, previous }.Zip(signatures))
        {
            new StandardWebhook(secret).Verify(System.Text.Encoding.UTF8.GetString(body), new Microsoft.AspNetCore.Http.HeaderDictionary
            {
                ["webhook-id"] = "evt_1",
                ["webhook-timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["webhook-signature"] = signature,
            });
        }
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.100.100.200", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fc00::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("224.0.0.1", false)]
    public void Only_public_addresses_are_dialled(string address, bool allowed) =>
        Assert.Equal(allowed, EndpointAddressRule.IsPublic(IPAddress.Parse(address)));
}
