using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Payments.Processing;
using Obol.Testing;

namespace Obol.Payments.Tests;

public class FaultSuiteTests
{
    [Theory]
    [BothDatabases]
    public async Task A_thousand_payments_under_psp_faults_end_in_the_psps_true_state_each_charged_at_most_once(DatabaseProvider provider)
    {
        const int count = 1_000;
        await using var server = await PaymentsServer.StartAsync(provider);
        var faults = new
        {
            seed = 2026,
            stripe = new
            {
                create = new { timeoutAfterCharge = 0.05, errorBeforeCharge = 0.025, errorAfterCharge = 0.025 },
                webhooks = new { duplicateRate = 0.2, reorderRate = 0.2, reorderDelayMs = 200 },
            },
            adyen = new
            {
                create = new { timeoutAfterCharge = 0.05, errorBeforeCharge = 0.025, errorAfterCharge = 0.025 },
                webhooks = new { duplicateRate = 0.2, reorderRate = 0.2, reorderDelayMs = 200 },
            },
        };
        await server.SetFaultsAsync(JsonSerializer.Serialize(faults));

        var methods = new[] { "pm_card_visa", "pm_card_mastercard", "pm_card_declined", "pm_card_insufficient_funds", "pm_bank_transfer" };
        var created = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var response = await server.CreateAsync(methods[i % methods.Length], 100 + i, key: $"fault-{i}");
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            created.Add((await response.ReadJsonAsync()).GetProperty("id").GetString()!);
        });
        Assert.Equal(count, created.Distinct().Count());

        // Let the simulator's webhooks and our resolver finish the unknown outcomes; the clock only moves when told.
        await server.SetFaultsAsync("{}");
        var resolver = server.Service<UnknownOutcomeResolver>();
        var database = server.Service<Database>();
        for (var round = 0; round < 40; round++)
        {
            server.Clock.Advance(TimeSpan.FromMinutes(10));
            await resolver.ResolveDueAsync(CancellationToken.None);
            var open = await database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM payments WHERE status IN ('pending', 'processing')"), CancellationToken.None);
            if (open == 0)
            {
                break;
            }
        }

        var stuck = await database.ReadAsync(s => s.QueryAsync<string>("SELECT id FROM payments WHERE status IN ('pending', 'processing')"), CancellationToken.None);
        Assert.Empty(stuck);

        var charges = await server.ChargesAsync();
        var byReference = charges.GroupBy(c => c.GetProperty("reference").GetString()!).ToDictionary(g => g.Key, g => g.ToList());
        var payments = await database.ReadAsync(s => s.QueryAsync<PaymentState>(
            "SELECT id AS Id, status AS Status, amount_captured AS AmountCaptured, psp AS Psp FROM payments"), CancellationToken.None);
        Assert.Equal(count, payments.Count);
        foreach (var payment in payments)
        {
            var atPsp = byReference.GetValueOrDefault(payment.Id) ?? [];
            var captured = atPsp.Where(c => c.GetProperty("status").GetString() == "captured").ToList();
            Assert.True(captured.Count <= 1, $"{payment.Id} was captured {captured.Count} times at the PSPs");
            var truth = atPsp.Count == 0 ? "none" : atPsp.Single(c => c.GetProperty("psp").GetString() == payment.Psp).GetProperty("status").GetString();
            var expected = truth switch
            {
                "captured" => "captured",
                "declined" => "declined",
                _ => throw new InvalidOperationException($"{payment.Id}: unexpected PSP state {truth}"),
            };
            Assert.True(expected == payment.Status, $"{payment.Id} is {payment.Status} but the PSP says {truth}");
            Assert.Equal(captured.Sum(c => c.GetProperty("amountCaptured").GetInt64()), payment.AmountCaptured);
        }

        await server.AssertLedgerBalancedAsync();
        Assert.Equal((payments.Sum(p => p.AmountCaptured), 0, 0), await server.AccountAsync("merchant_payable"));
    }

    private sealed class PaymentState
    {
        public string Id { get; init; } = "";
        public string Status { get; init; } = "";
        public long AmountCaptured { get; init; }
        public string? Psp { get; init; }
    }
}
