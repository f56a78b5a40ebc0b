using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Http;
using Obol.Core.Storage;
using Obol.Core.Time;
using Obol.Ledger.Booking;
using Obol.Ledger.Http;

namespace Obol.Ledger;

public sealed record AccountOwnerRequest(string? Type, string? Id);

public sealed record AccountFlagsRequest(bool? DebitsMustNotExceedCredits, bool? CreditsMustNotExceedDebits);

public sealed record CreateAccountRequest(string? Code, string? Type, string? Currency, AccountOwnerRequest? Owner, Dictionary<string, string>? Metadata, AccountFlagsRequest? Flags);

/// <summary><c>amount</c> is read as a decimal so that a fraction or a value beyond 64 bits gets its own problem code.</summary>
public sealed record TransferRequest(
    string? DebitAccountId, string? CreditAccountId, [property: JsonConverter(typeof(WholeAmountConverter))] decimal? Amount, string? Currency, bool? Pending, long? TimeoutSeconds);

public sealed record CreateTransactionRequest(List<TransferRequest>? Transfers, string? ExternalId, string? Description, Dictionary<string, string>? Metadata, DateTimeOffset? EffectiveAt);

/// <summary>A bulk import: up to <see cref="LedgerEndpoints.MaxBatchTransactions"/> transactions, each booked or rejected on its own, all in one commit.</summary>
public sealed record CreateTransactionBatchRequest(List<CreateTransactionRequest?>? Transactions);

/// <summary>
/// One requested transaction's result, in request order: <c>status</c> 201 (booked), 200 (its external id was booked
/// before: that transaction) or a problem's status, with the problem+json fields of what rejected it.
/// </summary>
public sealed record TransactionBatchItem(int Status, LedgerTransaction? Transaction, BatchProblem? Problem);

public sealed record BatchProblem(string Type, string Title, int Status, string? Detail, string Code, IReadOnlyDictionary<string, string[]>? Errors);

public sealed record TransactionBatchResult(int Booked, int Rejected, IReadOnlyList<TransactionBatchItem> Results);

public sealed record PostTransferRequest(
    [property: JsonConverter(typeof(WholeAmountConverter))] decimal? Amount, string? ExternalId, string? Description, Dictionary<string, string>? Metadata);

public sealed record ResolutionRequest(string? ExternalId, string? Description, Dictionary<string, string>? Metadata);

public static class LedgerEndpoints
{
    public const int MaxBatchTransactions = 1000;

    /// <summary>What booking a transaction can be refused with (<see cref="LedgerProblems"/>).</summary>
    private static readonly ProblemCase[] BookingProblems =
    [
        new(400, "same_account"), new(400, "invalid_amount"), new(403, "account_kept_by_obol"), new(409, "external_id_reused"),
        new(422, "account_not_found"), new(422, "currency_mismatch"), new(422, "balance_limit_exceeded"), new(422, "amount_overflow"),
    ];

    /// <summary>What posting or voiding a pending transfer can be refused with (<see cref="LedgerProblems"/>).</summary>
    private static readonly ProblemCase[] ResolutionProblems =
    [
        new(403, "account_kept_by_obol"), new(409, "transfer_not_pending"), new(409, "transfer_already_posted"), new(409, "transfer_already_voided"),
        new(409, "transfer_expired"), new(409, "external_id_reused"), new(422, "balance_limit_exceeded"),
    ];

    /// <summary>The ledger under <c>/v1/ledger</c>: the calling merchant's own books only.</summary>
    public static IEndpointRouteBuilder MapLedgerEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var ledger = endpoints.MapGroup("/v1/ledger").WithTags("Ledger").RequireAuthorization();
        ledger.MapPost("/accounts", CreateAccountAsync).WithUnitOfWork()
            .WithName("createLedgerAccount").WithSummary("Create a ledger account")
            .ProducesProblems(new ProblemCase(409, "account_code_taken"));
        ledger.MapGet("/accounts", ListAccountsAsync)
            .WithName("listLedgerAccounts").WithSummary("List ledger accounts");
        ledger.MapGet("/accounts/{id}", GetAccountAsync)
            .WithName("getLedgerAccount").WithSummary("Get a ledger account with its balances, now or as of an instant");
        ledger.MapGet("/accounts/{id}/entries", ListEntriesAsync)
            .WithName("listLedgerEntries").WithSummary("List an account's entries");
        ledger.MapPost("/transactions", CreateTransactionAsync).WithUnitOfWork()
            .WithName("createLedgerTransaction").WithSummary("Book a balanced transaction")
            .WithDescription("201 when booked; 200 with the transaction booked before under the same externalId.")
            .ProducesProblems(BookingProblems);
        ledger.MapPost("/transactions/batch", CreateTransactionBatchAsync).WithUnitOfWork().WithMetadata(new RequestBodyLimit(8 * 1024 * 1024))
            .WithName("createLedgerTransactionBatch").WithSummary("Book up to 1,000 transactions in one commit")
            .WithDescription("Each transaction is booked or rejected on its own; the result lists each one's status, in request order.");
        ledger.MapGet("/transactions", ListTransactionsAsync)
            .WithName("listLedgerTransactions").WithSummary("List transactions, newest first")
            .WithDescription("Filter by one metadata pair with `metadata[key]=value`.");
        ledger.MapGet("/transactions/{id}", GetTransactionAsync)
            .WithName("getLedgerTransaction").WithSummary("Get a transaction");
        ledger.MapPost("/transactions/{id}/reverse", ReverseTransactionAsync).WithUnitOfWork()
            .WithName("reverseLedgerTransaction").WithSummary("Reverse a transaction")
            .WithDescription("201 with the reversing transaction; 200 with the one booked before under the same externalId.")
            .ProducesProblems(
                new ProblemCase(403, "account_kept_by_obol"), new ProblemCase(409, "transaction_already_reversed"),
                new ProblemCase(409, "transaction_not_reversible"), new ProblemCase(409, "external_id_reused"), new ProblemCase(422, "balance_limit_exceeded"));
        ledger.MapGet("/transfers/{id}", GetTransferAsync)
            .WithName("getLedgerTransfer").WithSummary("Get a transfer");
        ledger.MapPost("/transfers/{id}/post", PostTransferAsync).WithUnitOfWork()
            .WithName("postLedgerTransfer").WithSummary("Post a pending transfer, in full or in part")
            .ProducesProblems([.. ResolutionProblems, new(422, "amount_exceeds_pending")]);
        ledger.MapPost("/transfers/{id}/void", VoidTransferAsync).WithUnitOfWork()
            .WithName("voidLedgerTransfer").WithSummary("Void a pending transfer")
            .ProducesProblems(ResolutionProblems);
        ledger.MapGet("/verify", VerifyAsync)
            .WithName("verifyLedger").WithSummary("Verify the books' invariants");
        return endpoints;
    }

    private static async Task<Created<LedgerAccount>> CreateAccountAsync(CreateAccountRequest request, HttpContext http, Ledger books, RequestUnitOfWork work)
    {
        var account = await books.CreateAccountAsync(work.Session, http.MerchantId(), ToNewAccount(request));
        return TypedResults.Created($"/v1/ledger/accounts/{account.Id}", account);
    }

    private static async Task<Ok<Page<LedgerAccount>>> ListAccountsAsync(HttpContext http, Database database, int? limit, string? startingAfter, string? code, string? currency)
    {
        var page = PageRequest.From(limit, startingAfter);
        return TypedResults.Ok(await database.ReadAsync(s => LedgerQueries.ListAccountsAsync(s, http.MerchantId(), page, code, currency), http.RequestAborted));
    }

    private static async Task<Ok<LedgerAccount>> GetAccountAsync(string id, HttpContext http, Database database, string? asOf)
    {
        var errors = new ValidationErrors();
        var at = ApiTime.OptionalInstant(errors, "asOf", asOf);
        errors.ThrowIfAny();
        var account = await database.ReadAsync(s => LedgerQueries.GetAccountAsync(s, Ledger.OwnBooks(http.MerchantId()), id, at), http.RequestAborted);
        return TypedResults.Ok(account ?? throw Problems.NotFound("ledger account", id));
    }

    private static async Task<Ok<Page<LedgerEntry>>> ListEntriesAsync(
        string id, HttpContext http, Database database, int? limit, string? startingAfter, string? from, string? to)
    {
        var page = PageRequest.From(limit, startingAfter);
        var errors = new ValidationErrors();
        var (since, until) = (ApiTime.OptionalInstant(errors, "from", from), ApiTime.OptionalInstant(errors, "to", to));
        errors.ThrowIfAny();
        return TypedResults.Ok(await database.ReadAsync(async s =>
        {
            var account = await LedgerQueries.GetAccountRowAsync(s, Ledger.OwnBooks(http.MerchantId()), id) ?? throw Problems.NotFound("ledger account", id);
            return await LedgerQueries.ListEntriesAsync(s, account, page, since, until);
        }, http.RequestAborted));
    }

    private static async Task<Results<Created<LedgerTransaction>, Ok<LedgerTransaction>>> CreateTransactionAsync(
        CreateTransactionRequest request, HttpContext http, Ledger books, RequestUnitOfWork work) =>
        Booked(await books.CreateTransactionAsync(work.Session, Ledger.OwnBooks(http.MerchantId()), ToNewTransaction(request)));

    private static async Task<Ok<TransactionBatchResult>> CreateTransactionBatchAsync(
        CreateTransactionBatchRequest request, HttpContext http, Ledger books, RequestUnitOfWork work)
    {
        if (request.Transactions is not { Count: > 0 and <= MaxBatchTransactions })
        {
            throw Problems.Validation("transactions", $"1 to {MaxBatchTransactions} transactions.");
        }

        var results = new TransactionBatchItem[request.Transactions.Count];
        var valid = new List<(int Index, NewTransaction Transaction)>(results.Length);
        for (var i = 0; i < results.Length; i++)
        {
            try
            {
                valid.Add((i, ToNewTransaction(request.Transactions[i] ?? throw Problems.Validation($"transactions[{i}]", "Required."))));
            }
            catch (ProblemException problem)
            {
                results[i] = Rejected(problem);
            }
        }

        var outcomes = await books.CreateTransactionsAsync(work.Session, Ledger.OwnBooks(http.MerchantId()), valid.Select(v => v.Transaction).ToList());
        for (var k = 0; k < outcomes.Count; k++)
        {
            results[valid[k].Index] = outcomes[k] is { Booked: { } booked }
                ? new TransactionBatchItem(booked.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK, booked.Transaction, null)
                : Rejected(outcomes[k].Rejection!);
        }

        var rejected = results.Count(r => r.Problem is not null);
        return TypedResults.Ok(new TransactionBatchResult(results.Length - rejected, rejected, results));

        static TransactionBatchItem Rejected(ProblemException problem) => new(problem.Status, null,
            new BatchProblem(ProblemResponses.TypeOf(problem.Code), problem.Title, problem.Status, problem.Detail, problem.Code, problem.Errors));
    }

    private static async Task<Ok<Page<LedgerTransaction>>> ListTransactionsAsync(HttpContext http, Database database, int? limit, string? startingAfter)
    {
        var page = PageRequest.From(limit, startingAfter);
        var (key, value) = MetadataFilter(http.Request.Query);
        return TypedResults.Ok(await database.ReadAsync(s => LedgerQueries.ListTransactionsAsync(s, http.MerchantId(), page, key, value), http.RequestAborted));
    }

    private static async Task<Ok<LedgerTransaction>> GetTransactionAsync(string id, HttpContext http, Database database)
    {
        var transaction = await database.ReadAsync(s => LedgerQueries.GetTransactionAsync(s, http.MerchantId(), id), http.RequestAborted);
        return TypedResults.Ok(transaction ?? throw Problems.NotFound("ledger transaction", id));
    }

    private static async Task<Results<Created<LedgerTransaction>, Ok<LedgerTransaction>>> ReverseTransactionAsync(
        string id, ResolutionRequest? request, HttpContext http, Ledger books, RequestUnitOfWork work) =>
        Booked(await books.ReverseAsync(work.Session, Ledger.OwnBooks(http.MerchantId()), id, ToResolution(request?.ExternalId, request?.Description, request?.Metadata)));

    /// <summary>201 with a transaction booked now; 200 with the one booked before under the same external id.</summary>
    private static Results<Created<LedgerTransaction>, Ok<LedgerTransaction>> Booked(BookedTransaction booked) =>
        booked.Created
            ? TypedResults.Created($"/v1/ledger/transactions/{booked.Transaction.Id}", booked.Transaction)
            : TypedResults.Ok(booked.Transaction);

    private static async Task<Ok<LedgerTransfer>> GetTransferAsync(string id, HttpContext http, Database database)
    {
        var transfer = await database.ReadAsync(s => LedgerQueries.GetTransferAsync(s, http.MerchantId(), id), http.RequestAborted);
        return TypedResults.Ok(transfer ?? throw Problems.NotFound("transfer", id));
    }

    private static async Task<Ok<LedgerTransfer>> PostTransferAsync(string id, PostTransferRequest? request, HttpContext http, Ledger books, RequestUnitOfWork work)
    {
        long? amount = request?.Amount is { } a ? ToAmount(a, "amount") : null;
        return TypedResults.Ok(await books.ResolveAsync(work.Session, Ledger.OwnBooks(http.MerchantId()), id, TransferKind.PostPending, amount,
            ToResolution(request?.ExternalId, request?.Description, request?.Metadata)));
    }

    private static async Task<Ok<LedgerTransfer>> VoidTransferAsync(string id, ResolutionRequest? request, HttpContext http, Ledger books, RequestUnitOfWork work) =>
        TypedResults.Ok(await books.ResolveAsync(work.Session, Ledger.OwnBooks(http.MerchantId()), id, TransferKind.VoidPending, null,
            ToResolution(request?.ExternalId, request?.Description, request?.Metadata)));

    private static async Task<Ok<VerificationReport>> VerifyAsync(HttpContext http, Database database, ILedger books) =>
        TypedResults.Ok(await database.ReadAsync(s => books.VerifyAsync(s, http.MerchantId()), http.RequestAborted));

    private static NewAccount ToNewAccount(CreateAccountRequest request)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrEmpty(request.Code))
        {
            errors.Add("code", "Required.");
        }
        else if (LedgerNames.IsKeptByObol(request.Code))
        {
            errors.Add("code", $"'{request.Code}' is the code of an account Obol's own modules keep (a platform account's name, ':' and a currency).");
        }

        if (!LedgerNames.TryParseAccountType(request.Type, out var type))
        {
            errors.Add("type", "One of asset, liability, equity, revenue, expense.");
        }

        if (!Currency.TryFromCode(request.Currency, out var currency))
        {
            errors.Add("currency", "An ISO 4217 currency code in upper case.");
        }

        AccountOwner? owner = null;
        if (request.Owner is { } o)
        {
            if (!LedgerNames.TryParseOwnerType(o.Type, out var ownerType))
            {
                errors.Add("owner.type", "One of platform, merchant, courier.");
            }

            owner = new AccountOwner(ownerType, o.Id);
        }

        errors.ThrowIfAny();
        return new NewAccount(request.Code!, type, currency)
        {
            Owner = owner,
            Metadata = request.Metadata,
            Flags = new AccountFlags(request.Flags?.DebitsMustNotExceedCredits ?? false, request.Flags?.CreditsMustNotExceedDebits ?? false),
        };
    }

    private static NewTransaction ToNewTransaction(CreateTransactionRequest request)
    {
        var errors = new ValidationErrors();
        if (request.Transfers is not { Count: > 0 })
        {
            errors.Add("transfers", "At least one transfer is required.");
            errors.ThrowIfAny();
        }

        var transfers = new List<NewTransfer>(request.Transfers!.Count);
        for (var i = 0; i < request.Transfers.Count; i++)
        {
            var t = request.Transfers[i];
            var field = $"transfers[{i}]";
            if (t is null)
            {
                errors.Add(field, "Required.");
                continue;
            }

            if (string.IsNullOrEmpty(t.DebitAccountId))
            {
                errors.Add($"{field}.debitAccountId", "Required.");
            }

            if (string.IsNullOrEmpty(t.CreditAccountId))
            {
                errors.Add($"{field}.creditAccountId", "Required.");
            }

            if (!Currency.TryFromCode(t.Currency, out var currency))
            {
                errors.Add($"{field}.currency", "An ISO 4217 currency code in upper case.");
            }

            if (t.Amount is null)
            {
                errors.Add($"{field}.amount", "Required.");
            }

            if (t.TimeoutSeconds is <= 0 || t.TimeoutSeconds > (long)BookingRules.MaxTimeout.TotalSeconds)
            {
                errors.Add($"{field}.timeoutSeconds", "Between 1 second and 366 days.");
            }

            if (errors.IsEmpty)
            {
                transfers.Add(new NewTransfer(t.DebitAccountId!, t.CreditAccountId!, ToAmount(t.Amount!.Value, $"The amount of transfer {i}"), currency)
                {
                    Pending = t.Pending ?? false,
                    Timeout = t.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                });
            }
        }

        errors.ThrowIfAny();
        return new NewTransaction(transfers)
        {
            ExternalId = request.ExternalId,
            Description = request.Description,
            Metadata = request.Metadata,
            EffectiveAt = request.EffectiveAt?.ToUniversalTime(),
        };
    }

    /// <summary>
    /// Whole minor units in 1..2^63-1, written as an integer: a fraction, a fraction or exponent notation (a scale, see
    /// <see cref="WholeAmountConverter"/>) or a non-positive value is invalid, anything larger overflows.
    /// </summary>
    private static long ToAmount(decimal amount, string what)
    {
        if (amount <= 0 || amount.Scale != 0)
        {
            throw LedgerProblems.InvalidAmount(what);
        }

        return amount > long.MaxValue
            ? throw LedgerProblems.AmountOverflow($"{what} is larger than the largest amount the ledger holds ({long.MaxValue}).")
            : (long)amount;
    }

    private static TransferResolution? ToResolution(string? externalId, string? description, Dictionary<string, string>? metadata) =>
        externalId is null && description is null && metadata is null ? null : new TransferResolution
        {
            ExternalId = externalId,
            Description = description,
            Metadata = metadata,
        };

    /// <summary>One <c>metadata[key]=value</c> pair from the query string, as Stripe spells it.</summary>
    private static (string? Key, string? Value) MetadataFilter(IQueryCollection query)
    {
        (string? Key, string? Value) filter = (null, null);
        foreach (var (name, values) in query)
        {
            if (name.StartsWith("metadata[", StringComparison.Ordinal) && name.EndsWith(']'))
            {
                if (filter.Key is not null)
                {
                    throw Problems.Validation("metadata", "Filter by one metadata key at a time.");
                }

                filter = (name["metadata[".Length..^1], values.ToString());
            }
        }

        return filter;
    }
}
