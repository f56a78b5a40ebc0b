using Dapper;
using Npgsql;
using Obol.Chaos.Client;

namespace Obol.Chaos.Checker;

public sealed record DbPayment
{
    public string Id { get; init; } = "";
    public string? IdempotencyKey { get; init; }
    public string Status { get; init; } = "";
    public long Amount { get; init; }
    public string Currency { get; init; } = "";
    public string CaptureMethod { get; init; } = "";
    public string PaymentMethod { get; init; } = "";
    public long AmountCapturable { get; init; }
    public long AmountCaptured { get; init; }
    public long AmountRefunded { get; init; }
    public long AmountRefunding { get; init; }
    public string? Psp { get; init; }
    public string? PspReference { get; init; }
    public string? OperationInFlight { get; init; }
    public string? LastErrorCode { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed record DbRefund
{
    public string Id { get; init; } = "";
    public string PaymentId { get; init; } = "";
    public long Amount { get; init; }
    public string Status { get; init; } = "";
    public string? PspReference { get; init; }
    public string? IdempotencyKey { get; init; }
    public string? LastErrorCode { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed record DbAttempt
{
    public string Id { get; init; } = "";
    public string PaymentId { get; init; } = "";
    public string Operation { get; init; } = "";
    public string Psp { get; init; } = "";
    public long Amount { get; init; }
    public string? RefundId { get; init; }
    public string Status { get; init; } = "";
    public string? PspReference { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public int ResolveCount { get; init; }
}

public sealed record DbEvent
{
    public string PaymentId { get; init; } = "";
    public int Sequence { get; init; }
    public string Type { get; init; } = "";
    public string? FromStatus { get; init; }
    public string? ToStatus { get; init; }
    public string Source { get; init; } = "";
    public string? Data { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// Obol's state once the run is quiet: its payment tables read directly (every payment, including those whose create
/// the client never heard back from), and the ledger through its API.
/// </summary>
public sealed class ObolSnapshot
{
    public required IReadOnlyList<DbPayment> Payments { get; init; }
    public required ILookup<string, DbRefund> Refunds { get; init; }
    public required ILookup<string, DbAttempt> Attempts { get; init; }
    public required ILookup<string, DbEvent> Events { get; init; }

    /// <summary>Posted balance of the merchant's <c>merchant_payable</c> account per currency (absent: never booked).</summary>
    public required IReadOnlyDictionary<string, long> MerchantPayable { get; init; }

    public required LedgerVerificationView LedgerVerification { get; init; }

    public static async Task<ObolSnapshot> ReadAsync(string connectionString, OperatorApi api, IEnumerable<string> currencies, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var payments = await connection.QueryAsync<DbPayment>(new CommandDefinition(
            """
            SELECT id AS Id, idempotency_key AS IdempotencyKey, status AS Status, amount AS Amount, currency AS Currency,
                   capture_method AS CaptureMethod, payment_method AS PaymentMethod, amount_capturable AS AmountCapturable,
                   amount_captured AS AmountCaptured, amount_refunded AS AmountRefunded, amount_refunding AS AmountRefunding,
                   psp AS Psp, psp_reference AS PspReference, operation_in_flight AS OperationInFlight, last_error_code AS LastErrorCode,
                   created_at AS CreatedAt
            FROM payments ORDER BY created_at, id
            """, cancellationToken: cancellationToken));
        var refunds = await connection.QueryAsync<DbRefund>(new CommandDefinition(
            """
            SELECT id AS Id, payment_id AS PaymentId, amount AS Amount, status AS Status, psp_reference AS PspReference,
                   idempotency_key AS IdempotencyKey, last_error_code AS LastErrorCode, created_at AS CreatedAt
            FROM refunds ORDER BY created_at, id
            """, cancellationToken: cancellationToken));
        var attempts = await connection.QueryAsync<DbAttempt>(new CommandDefinition(
            """
            SELECT id AS Id, payment_id AS PaymentId, operation AS Operation, psp AS Psp, amount AS Amount, refund_id AS RefundId,
                   status AS Status, psp_reference AS PspReference, error_code AS ErrorCode, error_message AS ErrorMessage,
                   started_at AS StartedAt, completed_at AS CompletedAt, resolve_count AS ResolveCount
            FROM payment_attempts ORDER BY started_at, id
            """, cancellationToken: cancellationToken));
        var events = await connection.QueryAsync<DbEvent>(new CommandDefinition(
            """
            SELECT payment_id AS PaymentId, sequence AS Sequence, type AS Type, from_status AS FromStatus, to_status AS ToStatus,
                   source AS Source, data AS Data, created_at AS CreatedAt
            FROM payment_events ORDER BY payment_id, sequence
            """, cancellationToken: cancellationToken));

        var payable = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var currency in currencies)
        {
            var accounts = await api.GetAsync<Page<LedgerAccountView>>($"/v1/ledger/accounts?code=merchant_payable:{currency}&currency={currency}", cancellationToken);
            if (accounts.Data.Count > 0)
            {
                payable[currency] = accounts.Data.Sum(a => a.Balance);
            }
        }

        return new ObolSnapshot
        {
            Payments = payments.ToList(),
            Refunds = refunds.ToLookup(r => r.PaymentId, StringComparer.Ordinal),
            Attempts = attempts.ToLookup(a => a.PaymentId, StringComparer.Ordinal),
            Events = events.ToLookup(e => e.PaymentId, StringComparer.Ordinal),
            MerchantPayable = payable,
            LedgerVerification = await api.GetAsync<LedgerVerificationView>("/v1/ledger/verify", cancellationToken),
        };
    }
}
