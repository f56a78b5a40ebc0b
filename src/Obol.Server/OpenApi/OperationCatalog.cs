namespace Obol.Server.OpenApi;

/// <summary>A problem an operation can answer with, beyond the ones every operation of its kind can (see <see cref="ObolOperationTransformer"/>).</summary>
internal sealed record ProblemCase(int Status, string Code);

/// <summary>What the document says about one operation that its endpoint's code does not carry.</summary>
internal sealed record OperationEntry(string OperationId, string Summary, string? Description = null, IReadOnlyList<ProblemCase>? Problems = null);

/// <summary>
/// Every operation's id, summary and the problems its handler throws (read from the code it calls; the codes each module
/// throws are listed in its problem catalogue, e.g. LedgerProblems.cs). Kept here, beside the transformers, rather than
/// on each endpoint mapping, so that the endpoint files hold code and the document's wording reads in one place; a test
/// checks that every operation has an entry and every entry an operation. Descriptions of handlers with XML comments
/// come from those comments.
/// </summary>
internal static class OperationCatalog
{
    private static ProblemCase P(int status, string code) => new(status, code);

    private static readonly ProblemCase[] LedgerBooking =
    [
        P(400, "same_account"), P(400, "invalid_amount"), P(403, "account_kept_by_obol"), P(409, "external_id_reused"),
        P(422, "account_not_found"), P(422, "currency_mismatch"), P(422, "balance_limit_exceeded"), P(422, "amount_overflow"),
    ];

    private static readonly ProblemCase[] TransferResolution =
    [
        P(403, "account_kept_by_obol"), P(409, "transfer_not_pending"), P(409, "transfer_already_posted"), P(409, "transfer_already_voided"),
        P(409, "transfer_expired"), P(409, "external_id_reused"), P(422, "balance_limit_exceeded"),
    ];

    private static readonly ProblemCase[] Operator = [P(403, "forbidden")];

    public static IReadOnlyDictionary<string, OperationEntry> Entries { get; } = new Dictionary<string, OperationEntry>(StringComparer.Ordinal)
    {
        ["GET /healthz"] = new("getHealth", "Liveness: the process answers", "Needs no key and touches no database."),
        ["GET /readyz"] = new("getReadiness", "Readiness: the database answers and every migration is applied",
            "Needs no key. 503 with the same body while the database is unreachable or migrations are pending."),

        ["GET /v1/api-keys"] = new("listApiKeys", "List the calling merchant's secret keys"),
        ["POST /v1/api-keys"] = new("createApiKey", "Issue a secret key (the secret is shown once)",
            "The response holds the secret, which is never stored and so cannot be replayed: an Idempotency-Key is refused."),
        ["POST /v1/api-keys/{id}/revoke"] = new("revokeApiKey", "Revoke a secret key"),

        ["POST /v1/payments"] = new("createPayment", "Create a payment",
            "Authorizes the payment method with the PSP that routing picks (failing over to the next when one is down) and, "
            + "with captureMethod automatic, captures it. A declined card is a payment with status declined and lastError, "
            + "not an error. When the PSP's answer is unknown (a timeout) the payment is processing until the resolver finds out. "
            + "Needs an Idempotency-Key.",
            [P(409, "invalid_state_transition")]),
        ["GET /v1/payments"] = new("listPayments", "List payments, newest first"),
        ["GET /v1/payments/{id}"] = new("getPayment", "Get a payment"),
        ["GET /v1/payments/{id}/events"] = new("listPaymentEvents", "A payment's history, oldest first"),
        ["POST /v1/payments/{id}/capture"] = new("capturePayment", "Capture an authorized payment, in full or in part",
            "502 when the PSP refused the capture: the problem carries the payment (still authorized) as `payment`.",
            [P(400, "amount_exceeds_capturable"), P(409, "invalid_state_transition"), P(502, "psp_refused")]),
        ["POST /v1/payments/{id}/cancel"] = new("cancelPayment", "Cancel an authorized payment (release the hold)",
            "502 when the PSP refused the cancellation: the problem carries the payment (still authorized) as `payment`.",
            [P(409, "invalid_state_transition"), P(502, "psp_refused")]),
        ["POST /v1/payments/{id}/refunds"] = new("refundPayment", "Refund a captured payment, in full or in part",
            null, [P(400, "amount_exceeds_refundable"), P(409, "invalid_state_transition")]),
        ["GET /v1/refunds/{id}"] = new("getRefund", "Get a refund"),

        ["POST /webhooks/psp/stripe"] = new("receiveStripeWebhook", "Receive a Stripe event",
            "Authenticated by the Stripe-Signature header (HMAC-SHA256 of the payload with the webhook secret, 5 minutes' tolerance), "
            + "not by a secret key. Stored once by the event's id; a repeat is a fast 200.",
            [P(400, "invalid_signature"), P(400, "malformed_webhook")]),
        ["POST /webhooks/psp/adyen"] = new("receiveAdyenWebhook", "Receive an Adyen notification",
            "Authenticated by each item's additionalData.hmacSignature (Adyen's notification HMAC with the configured key), "
            + "not by a secret key. Stored once per item; answered `[accepted]` as Adyen expects.",
            [P(400, "invalid_signature"), P(400, "malformed_webhook")]),

        ["POST /v1/ledger/accounts"] = new("createLedgerAccount", "Create a ledger account", null, [P(409, "account_code_taken")]),
        ["GET /v1/ledger/accounts"] = new("listLedgerAccounts", "List ledger accounts"),
        ["GET /v1/ledger/accounts/{id}"] = new("getLedgerAccount", "Get a ledger account with its balances, now or as of an instant"),
        ["GET /v1/ledger/accounts/{id}/entries"] = new("listLedgerEntries", "List an account's entries"),
        ["POST /v1/ledger/transactions"] = new("createLedgerTransaction", "Book a balanced transaction",
            "201 when booked; 200 with the transaction booked before under the same externalId.", LedgerBooking),
        ["GET /v1/ledger/transactions"] = new("listLedgerTransactions", "List transactions, newest first",
            "Filter by one metadata pair with `metadata[key]=value`."),
        ["POST /v1/ledger/transactions/batch"] = new("createLedgerTransactionBatch", "Book up to 1,000 transactions in one commit",
            "Each transaction is booked or rejected on its own; the result lists each one's status, in request order."),
        ["GET /v1/ledger/transactions/{id}"] = new("getLedgerTransaction", "Get a transaction"),
        ["POST /v1/ledger/transactions/{id}/reverse"] = new("reverseLedgerTransaction", "Reverse a transaction",
            "201 with the reversing transaction; 200 with the one booked before under the same externalId.",
            [P(403, "account_kept_by_obol"), P(409, "transaction_already_reversed"), P(409, "transaction_not_reversible"),
                P(409, "external_id_reused"), P(422, "balance_limit_exceeded")]),
        ["GET /v1/ledger/transfers/{id}"] = new("getLedgerTransfer", "Get a transfer"),
        ["POST /v1/ledger/transfers/{id}/post"] = new("postLedgerTransfer", "Post a pending transfer, in full or in part",
            null, [.. TransferResolution, P(422, "amount_exceeds_pending")]),
        ["POST /v1/ledger/transfers/{id}/void"] = new("voidLedgerTransfer", "Void a pending transfer", null, TransferResolution),
        ["GET /v1/ledger/verify"] = new("verifyLedger", "Verify the books' invariants"),

        ["PUT /v1/couriers/{id}"] = new("putCourier", "Create a courier or give it new terms",
            "201 for a new courier; 200 for new terms (a new version) or the same terms again.", [P(409, "courier_terms_immutable")]),
        ["GET /v1/couriers/{id}"] = new("getCourier", "Get a courier's current terms"),
        ["GET /v1/couriers/{id}/earnings"] = new("getCourierEarnings", "A courier's earnings over local dates"),
        ["GET /v1/couriers/{id}/anomalies"] = new("listCourierAnomalies", "List a courier's delivery anomalies"),
        ["POST /v1/couriers/{id}/anomalies/{anomalyId}/resolve"] = new("resolveCourierAnomaly", "Resolve a delivery anomaly",
            null, [P(409, "invalid_state_transition")]),
        ["POST /v1/couriers/{id}/recompute"] = new("recomputeCourierEarnings", "Recompute a courier's earnings over local dates"),
        ["POST /v1/delivery-events"] = new("ingestDeliveryEvents", "Send up to 1,000 delivery events",
            "Each event is taken, recognised as a duplicate, or rejected on its own.", [P(400, "too_many_events")]),
        ["GET /v1/pay-periods"] = new("listPayPeriods", "List a courier's pay periods, newest first"),
        ["GET /v1/pay-periods/{id}"] = new("getPayPeriod", "Get a pay period"),
        ["POST /v1/pay-periods/{id}/close"] = new("closePayPeriod", "Close an ended pay period and book its earnings",
            null, [P(409, "pay_period_not_ended"), P(409, "invalid_state_transition")]),

        ["POST /v1/scheduled-payments"] = new("createScheduledPayment", "Schedule a payment, once or recurring",
            "At an instant (executeAt) or at a local date-time in a time zone. Needs an Idempotency-Key.",
            [P(400, "execute_at_in_past"), P(400, "execute_at_too_far"), P(400, "schedule_time_conflict"), P(400, "schedule_time_required"),
                P(400, "time_zone_required"), P(400, "local_date_time_required"), P(400, "unknown_time_zone")]),
        ["GET /v1/scheduled-payments"] = new("listScheduledPayments", "List scheduled payments, newest first"),
        ["GET /v1/scheduled-payments/{id}"] = new("getScheduledPayment", "Get a scheduled payment"),
        ["GET /v1/scheduled-payments/{id}/history"] = new("listScheduledPaymentHistory", "A scheduled payment's history, oldest first"),
        ["POST /v1/scheduled-payments/{id}/cancel"] = new("cancelScheduledPayment", "Cancel a scheduled payment",
            null, [P(409, "invalid_state_transition")]),
        ["POST /v1/scheduled-payments/{id}/retry"] = new("retryScheduledPayment", "Retry a dead-lettered scheduled payment",
            null, [P(409, "invalid_state_transition")]),

        ["POST /v1/reconciliation/reports"] = new("uploadSettlementReport", "Upload a PSP settlement report and reconcile it",
            "The report as the PSP publishes it (CSV). Operator keys only.",
            [.. Operator, P(400, "invalid_settlement_report"), P(400, "settlement_report_date_mismatch")]),
        ["POST /v1/reconciliation/runs"] = new("startReconciliationRun", "Fetch a day's settlement report from the PSP and reconcile it",
            "Operator keys only.", [.. Operator, P(400, "invalid_settlement_report"), P(502, "settlement_report_unavailable")]),
        ["GET /v1/reconciliation/runs"] = new("listReconciliationRuns", "List reconciliation runs", "Operator keys only.", Operator),
        ["GET /v1/reconciliation/runs/{id}"] = new("getReconciliationRun", "Get a reconciliation run", "Operator keys only.", Operator),
        ["GET /v1/reconciliation/discrepancies"] = new("listDiscrepancies", "List reconciliation discrepancies", "Operator keys only.", Operator),
        ["GET /v1/reconciliation/discrepancies/{id}"] = new("getDiscrepancy", "Get a discrepancy", "Operator keys only.", Operator),
        ["POST /v1/reconciliation/discrepancies/{id}/resolve"] = new("resolveDiscrepancy", "Mark a discrepancy dealt with",
            "Books nothing. Resolving again with the same note answers the same. Operator keys only.",
            [.. Operator, P(409, "discrepancy_already_resolved")]),

        ["POST /v1/webhook-endpoints"] = new("createWebhookEndpoint", "Create a webhook endpoint",
            "The answer holds the signing secret (whsec_…); it is shown only here and after a rotation."),
        ["GET /v1/webhook-endpoints"] = new("listWebhookEndpoints", "List webhook endpoints, newest first"),
        ["GET /v1/webhook-endpoints/{id}"] = new("getWebhookEndpoint", "Get a webhook endpoint and its backlog"),
        ["PATCH /v1/webhook-endpoints/{id}"] = new("updateWebhookEndpoint", "Change a webhook endpoint's URL, events, description or disabled flag"),
        ["DELETE /v1/webhook-endpoints/{id}"] = new("deleteWebhookEndpoint", "Delete a webhook endpoint", "Its pending deliveries are not sent."),
        ["POST /v1/webhook-endpoints/{id}/rotate-secret"] = new("rotateWebhookEndpointSecret", "Issue a new signing secret",
            "The previous secret keeps signing beside the new one for Obol:Webhooks:SecretOverlap (24 h by default)."),
        ["POST /v1/webhook-endpoints/{id}/test"] = new("sendTestWebhook", "Send a webhook_endpoint.test event to this endpoint alone",
            null, [P(409, "webhook_endpoint_disabled")]),
        ["POST /v1/webhook-endpoints/{id}/replay"] = new("replayWebhooks", "Send the events of a time range to this endpoint again, in order"),
        ["GET /v1/webhook-endpoints/{id}/delivery-attempts"] = new("listEndpointDeliveryAttempts", "The delivery log of an endpoint, newest first"),
        ["GET /v1/events"] = new("listEvents", "List events, newest first"),
        ["GET /v1/events/{id}"] = new("getEvent", "Get an event as it was delivered"),
        ["POST /v1/events/{id}/redeliver"] = new("redeliverEvent", "Send an event again to one endpoint or to every endpoint that takes it"),
        ["GET /v1/events/{id}/delivery-attempts"] = new("listEventDeliveryAttempts", "The delivery log of an event, newest first"),
        ["GET /v1/event-types"] = new("listEventTypes", "The event types Obol sends"),
    };
}
