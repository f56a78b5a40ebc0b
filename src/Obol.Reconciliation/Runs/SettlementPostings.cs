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
/// <c>psp_fee_expense</c>; a refund takes its gross back out of <c>bank_cash</c>. A row paid out in another currency goes
/// through the <c>fx_position</c> accounts of both currencies. The external id is the PSP's row id, so a row is booked once
/// whichever run sees it first.
/// </summary>
internal sealed class SettlementPostings(ILedger ledger)
{
    private readonly Dictionary<(string MerchantId, string Code, string Currency), string> _accounts = [];

    public async Task<NewTransaction> TransactionAsync(DbSession session, string psp, string runId, SettlementLine line, LineMatch match)
    {
        var payment = match.Payment!;
        var transfers = line.Converted is { } converted
            ? await ConvertedTransfersAsync(session, payment.MerchantId, line, converted)
            : await TransfersAsync(session, payment.MerchantId, line);

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

    private async Task<List<NewTransfer>> TransfersAsync(DbSession session, string merchantId, SettlementLine line)
    {
        var currency = Currency.FromCode(line.Currency);
        var receivable = await AccountAsync(session, merchantId, "psp_receivable", currency);
        var bank = await AccountAsync(session, merchantId, "bank_cash", currency);
        var transfers = new List<NewTransfer>
        {
            line.Kind == SettlementLineKind.Capture
                ? new NewTransfer(bank, receivable, line.Gross, currency)
                : new NewTransfer(receivable, bank, line.Gross, currency),
        };
        await AddFeeAsync(session, merchantId, transfers, bank, line.Fee, currency);
        return transfers;
    }

    /// <summary>
    /// A row the PSP paid out in another currency: the receivable in the payment's currency is settled through the FX
    /// position in that currency, and the bank receives (or pays, for a refund) the converted gross through the FX position
    /// in the payout currency, where the fee is also charged. Each currency balances on its own.
    /// </summary>
    private async Task<List<NewTransfer>> ConvertedTransfersAsync(DbSession session, string merchantId, SettlementLine line, ConvertedSettlement converted)
    {
        var currency = Currency.FromCode(line.Currency);
        var payout = Currency.FromCode(converted.Currency);
        var receivable = await AccountAsync(session, merchantId, "psp_receivable", currency);
        var position = await AccountAsync(session, merchantId, "fx_position", currency);
        var payoutPosition = await AccountAsync(session, merchantId, "fx_position", payout);
        var bank = await AccountAsync(session, merchantId, "bank_cash", payout);
        var capture = line.Kind == SettlementLineKind.Capture;
        var transfers = new List<NewTransfer>
        {
            capture ? new NewTransfer(position, receivable, line.Gross, currency) : new NewTransfer(receivable, position, line.Gross, currency),
        };
        if (converted.Gross > 0)
        {
            transfers.Add(capture ? new NewTransfer(bank, payoutPosition, converted.Gross, payout) : new NewTransfer(payoutPosition, bank, converted.Gross, payout));
        }

        await AddFeeAsync(session, merchantId, transfers, bank, line.Fee, payout);
        return transfers;
    }

    /// <summary>What the PSP kept goes from the bank to the fee expense; a fee it gave back goes the other way.</summary>
    private async Task AddFeeAsync(DbSession session, string merchantId, List<NewTransfer> transfers, string bank, long fee, Currency currency)
    {
        if (fee == 0)
        {
            return;
        }

        var fees = await AccountAsync(session, merchantId, "psp_fee_expense", currency);
        transfers.Add(fee > 0 ? new NewTransfer(fees, bank, fee, currency) : new NewTransfer(bank, fees, checked(-fee), currency));
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
