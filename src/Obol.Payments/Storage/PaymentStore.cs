using System.Text.Json;
using Obol.Core;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Payments.Domain;

namespace Obol.Payments.Storage;

/// <summary>The payments module's SQL. Every write happens inside the caller's unit of work.</summary>
internal sealed class PaymentStore(IdGenerator ids, TimeProvider clock)
{
    private const string PaymentColumns = """
        id AS Id, merchant_id AS MerchantId, idempotency_key AS IdempotencyKey, amount AS Amount, currency AS Currency,
        capture_method AS CaptureMethod, payment_method AS PaymentMethod, description AS Description, metadata AS Metadata,
        status AS Status, amount_capturable AS AmountCapturable, amount_captured AS AmountCaptured, amount_refunded AS AmountRefunded,
        amount_refunding AS AmountRefunding, psp AS Psp, psp_reference AS PspReference, last_error_code AS LastErrorCode,
        last_error_message AS LastErrorMessage, operation_in_flight AS OperationInFlight, ledger_hold_transfer_id AS LedgerHoldTransferId,
        fx_quote_id AS FxQuoteId, fx_rate AS FxRate, settlement_currency AS SettlementCurrency, settlement_amount AS SettlementAmount,
        settlement_amount_refunded AS SettlementAmountRefunded, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string AttemptColumns = """
        id AS Id, payment_id AS PaymentId, merchant_id AS MerchantId, operation AS Operation, psp AS Psp, amount AS Amount,
        refund_id AS RefundId, idempotency_key AS IdempotencyKey, status AS Status, psp_reference AS PspReference, error_code AS ErrorCode,
        error_message AS ErrorMessage, started_at AS StartedAt, completed_at AS CompletedAt, resolve_after AS ResolveAfter, resolve_count AS ResolveCount
        """;

    private const string RefundColumns = """
        id AS Id, payment_id AS PaymentId, merchant_id AS MerchantId, amount AS Amount, currency AS Currency, status AS Status,
        reason AS Reason, psp_reference AS PspReference, last_error_code AS LastErrorCode, last_error_message AS LastErrorMessage,
        settlement_amount AS SettlementAmount, settlement_currency AS SettlementCurrency, fx_rate AS FxRate, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Now, to the microsecond: what both databases store, so a payment in memory equals the one read back.</summary>
    public DateTimeOffset Now() => StoredInstant.Of(clock.GetUtcNow());

    public string NewId(string prefix) => ids.New(prefix);

    public Task InsertPaymentAsync(DbSession session, Payment payment) =>
        session.ExecuteAsync(
            """
            INSERT INTO payments (id, merchant_id, idempotency_key, amount, currency, capture_method, payment_method, description, metadata,
                status, amount_capturable, amount_captured, amount_refunded, amount_refunding, psp, psp_reference, last_error_code,
                last_error_message, operation_in_flight, fx_quote_id, fx_rate, settlement_currency, created_at, updated_at)
            VALUES (@Id, @MerchantId, @IdempotencyKey, @Amount, @Currency, @CaptureMethod, @PaymentMethod, @Description, @Metadata,
                @Status, @AmountCapturable, @AmountCaptured, @AmountRefunded, @AmountRefunding, @Psp, @PspReference, @LastErrorCode,
                @LastErrorMessage, @OperationInFlight, @FxQuoteId, @FxRate, @SettlementCurrency, @CreatedAt, @UpdatedAt)
            """,
            PaymentRow.From(payment));

    public Task UpdatePaymentAsync(DbSession session, Payment payment) =>
        session.ExecuteAsync(
            """
            UPDATE payments SET status = @Status, amount_capturable = @AmountCapturable, amount_captured = @AmountCaptured,
                amount_refunded = @AmountRefunded, amount_refunding = @AmountRefunding, psp = @Psp, psp_reference = @PspReference,
                last_error_code = @LastErrorCode, last_error_message = @LastErrorMessage, operation_in_flight = @OperationInFlight,
                ledger_hold_transfer_id = @LedgerHoldTransferId, settlement_amount = @SettlementAmount,
                settlement_amount_refunded = @SettlementAmountRefunded, updated_at = @UpdatedAt
            WHERE id = @Id
            """,
            PaymentRow.From(payment));

    /// <summary>Reads a payment; with <paramref name="forUpdate"/> its row stays locked until the unit of work ends (Postgres).</summary>
    public async Task<Payment?> GetPaymentAsync(DbSession session, string merchantId, string paymentId, bool forUpdate = false)
    {
        var sql = $"SELECT {PaymentColumns} FROM payments WHERE id = @paymentId AND merchant_id = @merchantId";
        var row = await session.QuerySingleOrDefaultAsync<PaymentRow>(forUpdate && session.IsPostgres ? sql + " FOR UPDATE" : sql, new { paymentId, merchantId });
        return row?.ToDomain();
    }

    /// <summary>For PSP webhooks, which know our payment id but not the merchant.</summary>
    public async Task<Payment?> GetPaymentForUpdateAsync(DbSession session, string paymentId)
    {
        var sql = $"SELECT {PaymentColumns} FROM payments WHERE id = @paymentId";
        var row = await session.QuerySingleOrDefaultAsync<PaymentRow>(session.IsPostgres ? sql + " FOR UPDATE" : sql, new { paymentId });
        return row?.ToDomain();
    }

    /// <summary>Records a verified webhook; false when this event id was seen before.</summary>
    public async Task<bool> RecordWebhookAsync(DbSession session, string psp, string eventId, string type, string? paymentId, string payload) =>
        await session.ExecuteAsync(
            """
            INSERT INTO psp_webhook_events (psp, event_id, type, payment_id, applied, payload, received_at)
            VALUES (@psp, @eventId, @type, @paymentId, 0, @payload, @now)
            ON CONFLICT (psp, event_id) DO NOTHING
            """,
            new { psp, eventId, type, paymentId, payload, now = clock.GetUtcNow() }) == 1;

    public Task MarkWebhookAppliedAsync(DbSession session, string psp, string eventId) =>
        session.ExecuteAsync("UPDATE psp_webhook_events SET applied = 1 WHERE psp = @psp AND event_id = @eventId", new { psp, eventId });

    public async Task<Payment?> FindByIdempotencyKeyAsync(DbSession session, string merchantId, string idempotencyKey, bool forUpdate = false)
    {
        var sql = $"SELECT {PaymentColumns} FROM payments WHERE merchant_id = @merchantId AND idempotency_key = @idempotencyKey";
        var row = await session.QuerySingleOrDefaultAsync<PaymentRow>(forUpdate && session.IsPostgres ? sql + " FOR UPDATE" : sql, new { merchantId, idempotencyKey });
        return row?.ToDomain();
    }

    public async Task<Page<Payment>> ListPaymentsAsync(DbSession session, string merchantId, PaymentStatus? status, PageRequest page)
    {
        var rows = await session.QueryAsync<PaymentRow>(
            $"""
            SELECT {PaymentColumns} FROM payments
            WHERE merchant_id = @merchantId AND (@status IS NULL OR status = @status) AND (@startingAfter IS NULL OR id < @startingAfter)
            ORDER BY id DESC LIMIT @take
            """,
            new { merchantId, status = status is { } s ? EnumText.ToSnake(s) : null, startingAfter = page.StartingAfter, take = page.Limit + 1 });
        return page.ToPage(rows.Select(r => r.ToDomain()).ToList());
    }

    public Task InsertAttemptAsync(DbSession session, PaymentAttempt attempt) =>
        session.ExecuteAsync(
            """
            INSERT INTO payment_attempts (id, payment_id, merchant_id, operation, psp, amount, refund_id, idempotency_key, status, psp_reference,
                error_code, error_message, started_at, completed_at, resolve_after, resolve_count)
            VALUES (@Id, @PaymentId, @MerchantId, @Operation, @Psp, @Amount, @RefundId, @IdempotencyKey, @Status, @PspReference,
                @ErrorCode, @ErrorMessage, @StartedAt, @CompletedAt, @ResolveAfter, @ResolveCount)
            """,
            AttemptRow.From(attempt));

    public Task UpdateAttemptAsync(DbSession session, PaymentAttempt attempt) =>
        session.ExecuteAsync(
            """
            UPDATE payment_attempts SET status = @Status, psp_reference = @PspReference, error_code = @ErrorCode, error_message = @ErrorMessage,
                completed_at = @CompletedAt, resolve_after = @ResolveAfter, resolve_count = @ResolveCount
            WHERE id = @Id
            """,
            AttemptRow.From(attempt));

    public async Task<PaymentAttempt?> GetAttemptAsync(DbSession session, string attemptId) =>
        (await session.QuerySingleOrDefaultAsync<AttemptRow>($"SELECT {AttemptColumns} FROM payment_attempts WHERE id = @attemptId", new { attemptId }))?.ToDomain();

    public async Task<IReadOnlyList<PaymentAttempt>> GetAttemptsAsync(DbSession session, string paymentId) =>
        (await session.QueryAsync<AttemptRow>($"SELECT {AttemptColumns} FROM payment_attempts WHERE payment_id = @paymentId ORDER BY started_at, id", new { paymentId }))
            .Select(r => r.ToDomain()).ToList();

    /// <summary>Attempts whose outcome must be found out: unknown, pending, or started by a request that died.</summary>
    public async Task<IReadOnlyList<PaymentAttempt>> DueForResolutionAsync(DbSession session, DateTimeOffset now, int limit) =>
        (await session.QueryAsync<AttemptRow>(
            $"""
            SELECT {AttemptColumns} FROM payment_attempts
            WHERE status IN ('started', 'unknown', 'pending') AND resolve_after <= @now
            ORDER BY resolve_after LIMIT @limit
            """,
            new { now, limit })).Select(r => r.ToDomain()).ToList();

    /// <summary>
    /// Takes an attempt for resolution until <paramref name="until"/>; false when another node took it first. A started attempt
    /// becomes unknown: its request is about to be sent again, so the answer to its first send can no longer prove that the
    /// PSP never saw it.
    /// </summary>
    public async Task<bool> ClaimForResolutionAsync(DbSession session, PaymentAttempt attempt, DateTimeOffset until) =>
        await session.ExecuteAsync(
            """
            UPDATE payment_attempts SET resolve_after = @until, status = CASE WHEN status = 'started' THEN 'unknown' ELSE status END
            WHERE id = @Id AND resolve_after = @ResolveAfter AND status = @Status
            """,
            new { until, attempt.Id, attempt.ResolveAfter, Status = EnumText.ToSnake(attempt.Status) }) == 1;

    /// <summary>Inserts a refund, with the Idempotency-Key it was asked for under (if any) for <see cref="FindRefundIdByIdempotencyKeyAsync"/>.</summary>
    public Task InsertRefundAsync(DbSession session, Refund refund, string? idempotencyKey) =>
        session.ExecuteAsync(
            """
            INSERT INTO refunds (id, payment_id, merchant_id, amount, currency, status, reason, psp_reference, last_error_code, last_error_message, created_at, updated_at,
                                 idempotency_key)
            VALUES (@Id, @PaymentId, @MerchantId, @Amount, @Currency, @Status, @Reason, @PspReference, @LastErrorCode, @LastErrorMessage, @CreatedAt, @UpdatedAt,
                    @IdempotencyKey)
            """,
            RefundRow.From(refund, idempotencyKey));

    /// <summary>
    /// The payment a PSP's reference of ours belongs to: our payment id itself, or the refund id or attempt id we sent as a
    /// modification's reference (Adyen reports the modification's reference back as the notification's merchant reference).
    /// </summary>
    public Task<string?> FindPaymentIdByOurReferenceAsync(DbSession session, string reference) =>
        session.QuerySingleOrDefaultAsync<string?>(
            """
            SELECT id FROM payments WHERE id = @reference
            UNION ALL SELECT payment_id FROM refunds WHERE id = @reference
            UNION ALL SELECT payment_id FROM payment_attempts WHERE id = @reference
            LIMIT 1
            """,
            new { reference });

    /// <summary>The payment a PSP knows by <paramref name="pspReference"/>, for a notification that names it only by that.</summary>
    public Task<string?> FindPaymentIdByPspReferenceAsync(DbSession session, string psp, string pspReference) =>
        session.QuerySingleOrDefaultAsync<string?>("SELECT id FROM payments WHERE psp = @psp AND psp_reference = @pspReference LIMIT 1", new { psp, pspReference });

    public Task<string?> FindRefundIdByIdempotencyKeyAsync(DbSession session, string merchantId, string idempotencyKey) =>
        session.QuerySingleOrDefaultAsync<string?>("SELECT id FROM refunds WHERE merchant_id = @merchantId AND idempotency_key = @idempotencyKey",
            new { merchantId, idempotencyKey });

    public Task UpdateRefundAsync(DbSession session, Refund refund) =>
        session.ExecuteAsync(
            """
            UPDATE refunds SET status = @Status, psp_reference = @PspReference, last_error_code = @LastErrorCode,
                last_error_message = @LastErrorMessage, settlement_amount = @SettlementAmount, settlement_currency = @SettlementCurrency, fx_rate = @FxRate, updated_at = @UpdatedAt
            WHERE id = @Id
            """,
            RefundRow.From(refund));

    public async Task<Refund?> GetRefundAsync(DbSession session, string merchantId, string refundId) =>
        (await session.QuerySingleOrDefaultAsync<RefundRow>($"SELECT {RefundColumns} FROM refunds WHERE id = @refundId AND merchant_id = @merchantId", new { refundId, merchantId }))?.ToDomain();

    public async Task<PaymentEvent> AppendEventAsync(DbSession session, string paymentId, string type, PaymentStatus? from, PaymentStatus? to, EventSource source, object? data = null)
    {
        var id = ids.New("evt");
        var json = data is null ? null : JsonSerializer.Serialize(data, ObolJson.Options);
        var createdAt = Now();

        // The next sequence number and the row in one statement; the payment row is locked by the caller's unit of work.
        var sequence = await session.ExecuteScalarAsync<long>(
            """
            INSERT INTO payment_events (id, payment_id, sequence, type, from_status, to_status, source, data, created_at)
            SELECT @id, @paymentId, coalesce(max(sequence), 0) + 1, @type, @fromStatus, @toStatus, @source, @json, @createdAt
            FROM payment_events WHERE payment_id = @paymentId
            RETURNING sequence
            """,
            new
            {
                id, paymentId, type,
                fromStatus = from is { } f ? EnumText.ToSnake(f) : null,
                toStatus = to is { } t ? EnumText.ToSnake(t) : null,
                source = EnumText.ToSnake(source), json, createdAt,
            });
        var evt = new PaymentEvent
        {
            Id = id,
            PaymentId = paymentId,
            Sequence = sequence,
            Type = type,
            FromStatus = from,
            ToStatus = to,
            Source = source,
            Data = json,
            CreatedAt = createdAt,
        };
        return evt;
    }

    public async Task<IReadOnlyList<PaymentEvent>> GetEventsAsync(DbSession session, string paymentId) =>
        (await session.QueryAsync<EventRow>(
            """
            SELECT id AS Id, payment_id AS PaymentId, sequence AS Sequence, type AS Type, from_status AS FromStatus, to_status AS ToStatus,
                source AS Source, data AS Data, created_at AS CreatedAt
            FROM payment_events WHERE payment_id = @paymentId ORDER BY sequence
            """,
            new { paymentId })).Select(r => r.ToDomain()).ToList();

    private static string? Snake<TEnum>(TEnum? value)
        where TEnum : struct, Enum => value is { } v ? EnumText.ToSnake(v) : null;

    /// <summary>Rates are kept as decimal text on both databases, exactly as computed.</summary>
    private static string? RateText(decimal? rate) => rate?.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static decimal? ParseRate(string? text) => text is null ? null : decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private sealed class PaymentRow
    {
        public string Id { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public string? IdempotencyKey { get; init; }
        public long Amount { get; init; }
        public string Currency { get; init; } = "";
        public string CaptureMethod { get; init; } = "";
        public string PaymentMethod { get; init; } = "";
        public string? Description { get; init; }
        public string Metadata { get; init; } = "{}";
        public string Status { get; init; } = "";
        public long AmountCapturable { get; init; }
        public long AmountCaptured { get; init; }
        public long AmountRefunded { get; init; }
        public long AmountRefunding { get; init; }
        public string? Psp { get; init; }
        public string? PspReference { get; init; }
        public string? LastErrorCode { get; init; }
        public string? LastErrorMessage { get; init; }
        public string? OperationInFlight { get; init; }
        public string? LedgerHoldTransferId { get; init; }
        public string? FxQuoteId { get; init; }
        public string? FxRate { get; init; }
        public string? SettlementCurrency { get; init; }
        public long SettlementAmount { get; init; }
        public long SettlementAmountRefunded { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public static PaymentRow From(Payment p) => new()
        {
            Id = p.Id, MerchantId = p.MerchantId, IdempotencyKey = p.IdempotencyKey, Amount = p.Amount, Currency = p.Currency,
            CaptureMethod = EnumText.ToSnake(p.CaptureMethod), PaymentMethod = p.PaymentMethod, Description = p.Description,
            Metadata = JsonSerializer.Serialize(p.Metadata), Status = EnumText.ToSnake(p.Status), AmountCapturable = p.AmountCapturable,
            AmountCaptured = p.AmountCaptured, AmountRefunded = p.AmountRefunded, AmountRefunding = p.AmountRefunding, Psp = p.Psp,
            PspReference = p.PspReference, LastErrorCode = p.LastError?.Code, LastErrorMessage = p.LastError?.Message,
            OperationInFlight = Snake(p.OperationInFlight), LedgerHoldTransferId = p.LedgerHoldTransferId, FxQuoteId = p.FxQuoteId,
            FxRate = RateText(p.FxRate), SettlementCurrency = p.SettlementCurrency, SettlementAmount = p.SettlementAmount,
            SettlementAmountRefunded = p.SettlementAmountRefunded, CreatedAt = p.CreatedAt, UpdatedAt = p.UpdatedAt,
        };

        public Payment ToDomain() => Payment.Restored(new()
        {
            Id = Id, MerchantId = MerchantId, IdempotencyKey = IdempotencyKey, Amount = Amount, Currency = Currency,
            CaptureMethod = EnumText.Parse<CaptureMethod>(CaptureMethod), PaymentMethod = PaymentMethod, Description = Description,
            Metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(Metadata) ?? [],
            AmountCapturable = AmountCapturable, AmountCaptured = AmountCaptured, AmountRefunded = AmountRefunded, AmountRefunding = AmountRefunding,
            Psp = Psp, PspReference = PspReference, LastError = LastErrorCode is null ? null : new PaymentError(LastErrorCode, LastErrorMessage ?? ""),
            OperationInFlight = OperationInFlight is null ? null : EnumText.Parse<PaymentOperation>(OperationInFlight),
            LedgerHoldTransferId = LedgerHoldTransferId, FxQuoteId = FxQuoteId, FxRate = ParseRate(FxRate), SettlementCurrency = SettlementCurrency,
            SettlementAmount = SettlementAmount, SettlementAmountRefunded = SettlementAmountRefunded, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        }, EnumText.Parse<PaymentStatus>(Status));
    }

    private sealed class AttemptRow
    {
        public string Id { get; init; } = "";
        public string PaymentId { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public string Operation { get; init; } = "";
        public string Psp { get; init; } = "";
        public long Amount { get; init; }
        public string? RefundId { get; init; }
        public string? IdempotencyKey { get; init; }
        public string Status { get; init; } = "";
        public string? PspReference { get; init; }
        public string? ErrorCode { get; init; }
        public string? ErrorMessage { get; init; }
        public DateTimeOffset StartedAt { get; init; }
        public DateTimeOffset? CompletedAt { get; init; }
        public DateTimeOffset? ResolveAfter { get; init; }
        public long ResolveCount { get; init; }

        public static AttemptRow From(PaymentAttempt a) => new()
        {
            Id = a.Id, PaymentId = a.PaymentId, MerchantId = a.MerchantId, Operation = EnumText.ToSnake(a.Operation), Psp = a.Psp,
            Amount = a.Amount, RefundId = a.RefundId, IdempotencyKey = a.IdempotencyKey, Status = EnumText.ToSnake(a.Status), PspReference = a.PspReference,
            ErrorCode = a.ErrorCode, ErrorMessage = a.ErrorMessage, StartedAt = a.StartedAt, CompletedAt = a.CompletedAt,
            ResolveAfter = a.ResolveAfter, ResolveCount = a.ResolveCount,
        };

        public PaymentAttempt ToDomain() => new()
        {
            Id = Id, PaymentId = PaymentId, MerchantId = MerchantId, Operation = EnumText.Parse<PaymentOperation>(Operation), Psp = Psp,
            Amount = Amount, RefundId = RefundId, IdempotencyKey = IdempotencyKey, Status = EnumText.Parse<AttemptStatus>(Status), PspReference = PspReference,
            ErrorCode = ErrorCode, ErrorMessage = ErrorMessage, StartedAt = StartedAt, CompletedAt = CompletedAt,
            ResolveAfter = ResolveAfter, ResolveCount = (int)ResolveCount,
        };
    }

    private sealed class RefundRow
    {
        public string Id { get; init; } = "";
        public string PaymentId { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public long Amount { get; init; }
        public string Currency { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Reason { get; init; }
        public string? PspReference { get; init; }
        public string? LastErrorCode { get; init; }
        public string? LastErrorMessage { get; init; }
        public long? SettlementAmount { get; init; }
        public string? SettlementCurrency { get; init; }
        public string? FxRate { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public string? IdempotencyKey { get; init; }

        public static RefundRow From(Refund r, string? idempotencyKey = null) => new()
        {
            Id = r.Id, PaymentId = r.PaymentId, MerchantId = r.MerchantId, Amount = r.Amount, Currency = r.Currency,
            Status = EnumText.ToSnake(r.Status), Reason = r.Reason, PspReference = r.PspReference,
            LastErrorCode = r.LastError?.Code, LastErrorMessage = r.LastError?.Message, SettlementAmount = r.SettlementAmount,
            SettlementCurrency = r.SettlementCurrency, FxRate = RateText(r.FxRate), CreatedAt = r.CreatedAt, UpdatedAt = r.UpdatedAt, IdempotencyKey = idempotencyKey,
        };

        public Refund ToDomain() => new()
        {
            Id = Id, PaymentId = PaymentId, MerchantId = MerchantId, Amount = Amount, Currency = Currency,
            Status = EnumText.Parse<RefundStatus>(Status), Reason = Reason, PspReference = PspReference,
            LastError = LastErrorCode is null ? null : new PaymentError(LastErrorCode, LastErrorMessage ?? ""),
            SettlementAmount = SettlementAmount, SettlementCurrency = SettlementCurrency, FxRate = ParseRate(FxRate), CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }

    private sealed class EventRow
    {
        public string Id { get; init; } = "";
        public string PaymentId { get; init; } = "";
        public long Sequence { get; init; }
        public string Type { get; init; } = "";
        public string? FromStatus { get; init; }
        public string? ToStatus { get; init; }
        public string Source { get; init; } = "";
        public string? Data { get; init; }
        public DateTimeOffset CreatedAt { get; init; }

        public PaymentEvent ToDomain() => new()
        {
            Id = Id, PaymentId = PaymentId, Sequence = Sequence, Type = Type,
            FromStatus = FromStatus is null ? null : EnumText.Parse<PaymentStatus>(FromStatus),
            ToStatus = ToStatus is null ? null : EnumText.Parse<PaymentStatus>(ToStatus),
            Source = EnumText.Parse<EventSource>(Source), Data = Data, CreatedAt = CreatedAt,
        };
    }
}
