using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Obol.Server.OpenApi;

/// <summary>Examples of the main operations' requests and responses (the linter checks them against their schemas).</summary>
internal static class OperationExamples
{
    private static readonly (string Path, string Method, string? Status, string Json)[] Examples =
    [
        ("/v1/payments", "POST", null, """
            {"amount": 2500, "currency": "USD", "paymentMethod": "pm_card_visa", "captureMethod": "manual",
             "description": "Order 1001", "metadata": {"order_id": "1001"}}
            """),
        ("/v1/payments", "POST", "201", """
            {"id": "pay_01JD5Q9W8X2M3N4P5R6S7T8V9W", "status": "authorized", "amount": 2500, "currency": "USD",
             "captureMethod": "manual", "amountCapturable": 2500, "amountCaptured": 0, "amountRefunded": 0, "psp": "stripe",
             "pspReference": "pi_3QF2", "description": "Order 1001", "metadata": {"order_id": "1001"},
             "createdAt": "2026-11-25T14:03:00.123456Z", "updatedAt": "2026-11-25T14:03:00.456789Z"}
            """),
        ("/v1/payments/{id}/capture", "POST", null, """{"amount": 2000}"""),
        ("/v1/payments/{id}/refunds", "POST", null, """{"amount": 500, "reason": "requested_by_customer"}"""),
        ("/v1/ledger/accounts", "POST", null, """{"code": "cash", "type": "asset", "currency": "USD"}"""),
        ("/v1/ledger/transactions", "POST", null, """
            {"externalId": "invoice-1001", "description": "Invoice 1001 paid",
             "transfers": [{"debitAccountId": "acc_01JD5Q9W8X2M3N4P5R6S7T8V9W", "creditAccountId": "acc_01JD5QA1B2C3D4E5F6G7H8J9K0",
                            "amount": 2500, "currency": "USD"}]}
            """),
        ("/v1/scheduled-payments", "POST", null, """
            {"amount": 1500, "currency": "EUR", "paymentMethod": "pm_card_visa", "localDateTime": "2027-03-14T09:00:00",
             "timeZone": "Europe/Paris", "recurrence": {"frequency": "monthly", "count": 12}}
            """),
        ("/v1/couriers/{id}", "PUT", null, """
            {"timeZone": "America/New_York", "currency": "USD", "basePayRate": 30, "bonusPay": 500, "deliveriesPerBonus": 10,
             "cancellationPay": 200, "payPeriodStartDay": "monday"}
            """),
        ("/v1/delivery-events", "POST", null, """
            {"events": [{"eventId": "evt-1", "courierId": "courier-7", "orderId": "order-42", "status": "accepted", "occurredAt": "2026-11-25T14:03:00Z"},
                        {"eventId": "evt-2", "courierId": "courier-7", "orderId": "order-42", "status": "fulfilled", "occurredAt": "2026-11-25T14:31:00Z"}]}
            """),
        ("/v1/reconciliation/runs", "POST", null, """{"psp": "stripe", "date": "2026-11-24"}"""),
    ];

    public static void Apply(OpenApiDocument document)
    {
        foreach (var (path, method, status, json) in Examples)
        {
            if (document.Paths.GetValueOrDefault(path)?.Operations?.GetValueOrDefault(new HttpMethod(method)) is not { } operation)
            {
                continue;
            }

            IOpenApiResponse? response = null;
            var content = status is null ? operation.RequestBody?.Content : operation.Responses?.TryGetValue(status, out response) == true ? response.Content : null;
            if (content is not null && content.TryGetValue("application/json", out var found) && found is OpenApiMediaType media)
            {
                media.Example = JsonNode.Parse(json);
            }
        }
    }
}
