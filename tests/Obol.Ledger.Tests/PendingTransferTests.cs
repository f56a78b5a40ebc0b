using Microsoft.Extensions.Logging.Abstractions;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Ledger.Expiry;
using Obol.Testing;

namespace Obol.Ledger.Tests;

public class PendingTransferTests
{
    [Theory]
    [BothDatabases]
    public async Task A_hold_counts_against_the_limit_until_posted(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var (wallet, shop, funding) = await AccountsAsync(ledger);
        await ledger.TransferAsync(funding.Id, wallet.Id, 1000);

        var hold = await ledger.TransferAsync(wallet.Id, shop.Id, 800, pending: true);
        var overdraw = await Assert.ThrowsAsync<ProblemException>(() => ledger.TransferAsync(wallet.Id, shop.Id, 201));

        Assert.Equal("balance_limit_exceeded", overdraw.Code);
        var walletNow = await ledger.ReloadAsync(wallet.Id);
        Assert.Equal((1000L, 800L, 1000L, 200L), (walletNow.CreditsPosted, walletNow.DebitsPending, walletNow.Balance, walletNow.AvailableBalance));
        Assert.Equal(TransferStatus.Pending, Assert.Single(hold.Transaction.Transfers).Status);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Posting_less_than_the_hold_releases_the_rest_exactly(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var (wallet, shop, funding) = await AccountsAsync(ledger);
        await ledger.TransferAsync(funding.Id, wallet.Id, 1000);
        var hold = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 800, pending: true)).Transaction.Transfers);

        var posted = await ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, hold.Id, 650));

        Assert.Equal(TransferStatus.Posted, posted.Status);
        Assert.Equal(650, posted.PostedAmount);
        Assert.NotNull(posted.ResolvedByTransferId);
        var walletNow = await ledger.ReloadAsync(wallet.Id);
        var shopNow = await ledger.ReloadAsync(shop.Id);
        Assert.Equal((650L, 0L, 350L), (walletNow.DebitsPosted, walletNow.DebitsPending, walletNow.Balance));
        Assert.Equal((650L, 0L, 650L), (shopNow.CreditsPosted, shopNow.CreditsPending, shopNow.Balance));
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_hold_ends_once_and_never_books_twice(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var (wallet, shop, funding) = await AccountsAsync(ledger);
        await ledger.TransferAsync(funding.Id, wallet.Id, 1000);
        var posted = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 300, pending: true)).Transaction.Transfers);
        var voided = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 200, pending: true)).Transaction.Transfers);
        var single = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 1)).Transaction.Transfers);

        await ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, posted.Id));
        var voidedNow = await ledger.WriteAsync(s => ledger.Ledger.VoidPendingTransferAsync(s, LedgerFixture.Merchant, voided.Id));

        Assert.Equal(TransferStatus.Voided, voidedNow.Status);
        Assert.Equal("transfer_already_posted", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, posted.Id))));
        Assert.Equal("transfer_already_posted", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.VoidPendingTransferAsync(s, LedgerFixture.Merchant, posted.Id))));
        Assert.Equal("transfer_already_voided", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, voided.Id))));
        Assert.Equal("transfer_already_voided", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.VoidPendingTransferAsync(s, LedgerFixture.Merchant, voided.Id))));
        Assert.Equal("transfer_not_pending", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, single.Id))));
        Assert.Equal("not_found", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, "mer_other", voided.Id))));
        var walletNow = await ledger.ReloadAsync(wallet.Id);
        Assert.Equal((301L, 0L, 699L), (walletNow.DebitsPosted, walletNow.DebitsPending, walletNow.Balance));
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Posting_more_than_the_hold_or_nothing_is_refused(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var (wallet, shop, funding) = await AccountsAsync(ledger);
        await ledger.TransferAsync(funding.Id, wallet.Id, 1000);
        var hold = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 300, pending: true)).Transaction.Transfers);

        Assert.Equal("amount_exceeds_pending", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, hold.Id, 301))));
        Assert.Equal("invalid_amount", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, hold.Id, 0))));
        Assert.Equal(TransferStatus.Pending, (await ledger.ReadAsync(s => ledger.Ledger.GetTransferAsync(s, LedgerFixture.Merchant, hold.Id)))!.Status);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task The_sweep_expires_holds_past_their_timeout_on_the_injected_clock(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var (wallet, shop, funding) = await AccountsAsync(ledger);
        await ledger.TransferAsync(funding.Id, wallet.Id, 1000);
        var shortHold = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 400, pending: true, timeout: TimeSpan.FromMinutes(10))).Transaction.Transfers);
        var longHold = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 100, pending: true, timeout: TimeSpan.FromHours(1))).Transaction.Transfers);
        var sweeper = new PendingTransferExpiryService(ledger.Database, ledger.Ledger, ledger.Clock, new PendingTransferExpiryOptions(),
            NullLogger<PendingTransferExpiryService>.Instance);

        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
        ledger.Clock.Advance(TimeSpan.FromMinutes(10));

        // Due but not yet swept: it can no longer be posted, and verification reports it.
        Assert.Equal("transfer_expired", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, shortHold.Id))));
        var report = await ledger.ReadAsync(s => ledger.Ledger.VerifyAsync(s, null));
        Assert.Equal("pending_transfer_overdue", Assert.Single(report.Problems).Code);

        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));

        Assert.Equal(TransferStatus.Expired, (await ledger.ReadAsync(s => ledger.Ledger.GetTransferAsync(s, LedgerFixture.Merchant, shortHold.Id)))!.Status);
        Assert.Equal(TransferStatus.Pending, (await ledger.ReadAsync(s => ledger.Ledger.GetTransferAsync(s, LedgerFixture.Merchant, longHold.Id)))!.Status);
        Assert.Equal("transfer_expired", await CodeAsync(() => ledger.WriteAsync(s => ledger.Ledger.VoidPendingTransferAsync(s, LedgerFixture.Merchant, shortHold.Id))));
        Assert.Equal(100, (await ledger.ReloadAsync(wallet.Id)).DebitsPending);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task The_background_service_sweeps_when_the_fake_clock_moves(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var (wallet, shop, funding) = await AccountsAsync(ledger);
        await ledger.TransferAsync(funding.Id, wallet.Id, 1000);
        var hold = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 400, pending: true, timeout: TimeSpan.FromSeconds(30))).Transaction.Transfers);
        using var service = new PendingTransferExpiryService(ledger.Database, ledger.Ledger, ledger.Clock,
            new PendingTransferExpiryOptions { Interval = TimeSpan.FromSeconds(5) }, NullLogger<PendingTransferExpiryService>.Instance);
        await service.StartAsync(CancellationToken.None);

        for (var i = 0; i < 200 && (await ledger.ReadAsync(s => ledger.Ledger.GetTransferAsync(s, LedgerFixture.Merchant, hold.Id)))!.Status == TransferStatus.Pending; i++)
        {
            ledger.Clock.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(20);
        }

        await service.StopAsync(CancellationToken.None);
        Assert.Equal(TransferStatus.Expired, (await ledger.ReadAsync(s => ledger.Ledger.GetTransferAsync(s, LedgerFixture.Merchant, hold.Id)))!.Status);
        Assert.Equal(0, (await ledger.ReloadAsync(wallet.Id)).DebitsPending);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Concurrent_posts_of_one_hold_book_it_once(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var (wallet, shop, funding) = await AccountsAsync(ledger);
        await ledger.TransferAsync(funding.Id, wallet.Id, 1000);
        var hold = Assert.Single((await ledger.TransferAsync(wallet.Id, shop.Id, 500, pending: true)).Transaction.Transfers);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await ledger.WriteAsync(s => i % 2 == 0
                    ? ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, hold.Id)
                    : ledger.Ledger.VoidPendingTransferAsync(s, LedgerFixture.Merchant, hold.Id));
                return "ok";
            }
            catch (ProblemException problem)
            {
                return problem.Code;
            }
        })));

        Assert.Single(attempts, a => a == "ok");
        Assert.All(attempts.Where(a => a != "ok"), a => Assert.Contains(a, new[] { "transfer_already_posted", "transfer_already_voided" }));
        await ledger.AssertVerifiedAsync();
    }

    private static async Task<(LedgerAccount Wallet, LedgerAccount Shop, LedgerAccount Funding)> AccountsAsync(LedgerFixture ledger) =>
        (await ledger.AccountAsync("wallet", AccountType.Liability, new AccountFlags(DebitsMustNotExceedCredits: true, false)),
         await ledger.AccountAsync("shop", AccountType.Liability),
         await ledger.AccountAsync("funding", AccountType.Asset));

    private static async Task<string> CodeAsync(Func<Task> action) => (await Assert.ThrowsAsync<ProblemException>(action)).Code;
}
