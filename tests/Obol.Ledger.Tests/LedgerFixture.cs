using Microsoft.Extensions.Time.Testing;
using Obol.Core;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger.Booking;
using Obol.Testing;

namespace Obol.Ledger.Tests;

/// <summary>A fresh migrated database of one provider and the ledger on it, with a fake clock.</summary>
internal sealed class LedgerFixture : IAsyncDisposable
{
    public const string Merchant = "mer_test";
    public static readonly Currency Usd = Currency.FromCode("USD");
    public static readonly Currency Eur = Currency.FromCode("EUR");

    private readonly DatabaseOptions _options;

    private LedgerFixture(DatabaseOptions options, FakeTimeProvider clock)
    {
        _options = options;
        Database = Database.Create(options);
        Clock = clock;
        Bookkeeper = new Bookkeeper(clock);
        Ledger = new Ledger(Bookkeeper, new IdGenerator(clock), clock);
    }

    public Database Database { get; }
    public FakeTimeProvider Clock { get; }
    internal Bookkeeper Bookkeeper { get; }
    internal Ledger Ledger { get; }

    /// <param name="migrate">false: an empty database, for a test that applies the ledger's migrations itself.</param>
    public static async Task<LedgerFixture> CreateAsync(DatabaseProvider provider, bool migrate = true)
    {
        var options = migrate
            ? await TestDatabases.CreateMigratedAsync(provider,
                [new MigrationSource("core", typeof(Database).Assembly), new MigrationSource("ledger", typeof(ILedger).Assembly)])
            : await TestDatabases.CreateAsync(provider);
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        return new LedgerFixture(options, clock);
    }

    public Task<T> WriteAsync<T>(Func<DbSession, Task<T>> work) => Database.WriteAsync(work, CancellationToken.None);

    public Task<T> ReadAsync<T>(Func<DbSession, Task<T>> work) => Database.ReadAsync(work, CancellationToken.None);

    public Task<LedgerAccount> AccountAsync(string code, AccountType type = AccountType.Asset, AccountFlags flags = default, Currency? currency = null, string merchant = Merchant) =>
        WriteAsync(s => Ledger.CreateAccountAsync(s, merchant, new NewAccount(code, type, currency ?? Usd) { Flags = flags }));

    public Task<LedgerAccount> ReloadAsync(string accountId) =>
        ReadAsync(async s => (await Ledger.GetAccountAsync(s, Merchant, accountId))!);

    public Task<BookedTransaction> TransferAsync(string debit, string credit, long amount, bool pending = false, TimeSpan? timeout = null, string? externalId = null) =>
        WriteAsync(s => Ledger.CreateTransactionAsync(s, Merchant,
            new NewTransaction([new NewTransfer(debit, credit, amount, Usd) { Pending = pending, Timeout = timeout }]) { ExternalId = externalId }));

    public async Task AssertVerifiedAsync()
    {
        var report = await ReadAsync(s => Ledger.VerifyAsync(s, null));
        Assert.True(report.Ok, string.Join("\n", report.Problems.Select(p => $"{p.Code} {p.AccountId}: {p.Detail}")));
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        await TestDatabases.DropAsync(_options);
    }
}
