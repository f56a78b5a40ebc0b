using System.Diagnostics;
using Dapper;
using Npgsql;
using Obol.Chaos.Simulator;

namespace Obol.Chaos.Heal;

/// <summary>What is still under way: Obol's open payments, attempts and refunds (read from its tables) and the simulator's undelivered webhooks.</summary>
public sealed record OpenWork(long Payments, long Attempts, long Refunds, long Webhooks)
{
    public bool None => Payments == 0 && Attempts == 0 && Refunds == 0 && Webhooks == 0;

    public override string ToString() =>
        $"{Payments} payments pending/processing or with an operation in flight, {Attempts} attempts open, {Refunds} refunds open, {Webhooks} webhooks undelivered";
}

/// <summary>After the heal, waits (bounded) until nothing is in flight anywhere; what is still open then is stuck.</summary>
public sealed class Quiescence(string connectionString, SimulatorClient simulator)
{
    public async Task<(bool Quiet, OpenWork Last)> WaitAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = new OpenWork(-1, -1, -1, -1);
        var quietReadings = 0;
        while (clock.Elapsed < within)
        {
            try
            {
                last = await ReadAsync(cancellationToken);
            }
            catch (NpgsqlException)
            {
                // PostgreSQL may still be recovering from the last restart.
                quietReadings = 0;
                await Task.Delay(1000, cancellationToken);
                continue;
            }

            // Twice in a row, a second apart: a webhook being delivered right now is not yet in either count.
            quietReadings = last.None ? quietReadings + 1 : 0;
            if (quietReadings >= 2)
            {
                return (true, last);
            }

            await Task.Delay(1000, cancellationToken);
        }

        return (false, last);
    }

    public async Task<OpenWork> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var (payments, attempts, refunds) = await connection.QuerySingleAsync<(long, long, long)>(new CommandDefinition(
            """
            SELECT (SELECT count(*) FROM payments
                    WHERE status IN ('pending', 'processing') OR operation_in_flight IS NOT NULL OR amount_refunding <> 0),
                   (SELECT count(*) FROM payment_attempts WHERE status IN ('started', 'unknown', 'pending')),
                   (SELECT count(*) FROM refunds WHERE status IN ('pending', 'processing'))
            """, cancellationToken: cancellationToken));
        var webhooks = (await simulator.WebhooksAsync(cancellationToken)).Count(w => w.State == "pending");
        return new OpenWork(payments, attempts, refunds, webhooks);
    }
}
