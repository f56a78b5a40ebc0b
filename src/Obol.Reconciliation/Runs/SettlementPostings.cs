using Obol.Core;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Reconciliation.Matching;
using Obol.Reconciliation.Reports;

namespace Obol.Reconciliation.Runs;

/// <summary>
/// What a settled row books, in the books of the payment's merchant. Capture and refund already moved the money
/// between <c>psp_receivable</c> and <c>merchant_payable</c>; settlement is the PSP paying it out:
/// a capture moves its gross from <c>psp_receivable</c> to <c>bank_cash</c> and its fee from <c>bank_cash</c> to
/// <c>psp_fee_expense</c>; a refund takes its gross back out of <c>bank_cash</c>. The external id is the PSP's row id,
/// so a row is booked once whichever run sees it first.
/// </summary>
internal sealed class SettlementPostings(ILedger ledger)
{
    private readonly Dictionary<(string MerchantId, string Code, string Currency), string> _accounts = [];

    public async Task<NewTransaction> TransactionAsync(DbSession session, string psp, string runId, SettlementLine line, LineMatch match)
    {
        var payment = match.Payment!;
        var currency = Currency.FromCode(line.Currency);
        var receivable = await AccountAsync(session, payment.MerchantId, "psp_receivable", currency);
        var bank = await AccountAsync(session, payment.MerchantId, "bank_cash", currency);
        var fees = await AccountAsync(session, payment.MerchantId, "psp_fee_expense", currency);

        var transfers = new List<NewTransfer>
        {
            line.Kind == SettlementLineKind.Capture
                ? new NewTransfer(bank, receivable, line.Gross, currency)
                : new NewTransfer(receivable, bank, line.Gross, currency),
        };
        if (line.Fee > 0)
        {
            transfers.Add(new NewTransfer(fees, bank, line.Fee, currency));
        }
        else if (line.Fee < 0)
        {
            transfers.Add(new NewTransfer(bank, fees, checked(-line.Fee), currency));
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["psp"] = psp,
            ["settlement_line_id"] = line.LineId,
            ["reconciliation_run_id"] = runId,
            ["payment_id"] = payment.Id,
        };
        if (match.Refund is { } refund)
        {
            metadata["refund_id"] = refund.Id;
        }

        return new NewTransaction(transfers)
        {
            ExternalId = ExternalId(psp, line.LineId),
            Description = line.Kind == SettlementLineKind.Capture
                ? $"Settlement of {payment.Id} by {psp}"
                : $"Settlement of refund {match.Refund!.Id} of {payment.Id} by {psp}",
            Metadata = metadata,
            EffectiveAt = line.OccurredAt,
        };
    }

    public static string ExternalId(string psp, string lineId) => $"settlement:{psp}:{lineId}";

    private async Task<string> AccountAsync(DbSession session, string merchantId, string code, Currency currency)
    {
        var key = (merchantId, code, currency.Code);
        if (!_accounts.TryGetValue(key, out var id))
        {
            id = (await ledger.GetOrCreatePlatformAccountAsync(session, merchantId, code, currency)).Id;
            _accounts[key] = id;
        }

        return id;
    }
}
