using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Obol.Core.Http;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Ledger.Tests;

public class LedgerHttpTests
{
    [Theory]
    [BothDatabases]
    public async Task Accounts_transactions_and_entries_over_http(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability", debitsLimited: true);

        var created = await client.PostAsJsonAsync("/v1/ledger/transactions", new
        {
            externalId = "topup-1",
            description = "Top-up",
            metadata = new Dictionary<string, string> { ["orderId"] = "o-1" },
            transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 500, currency = "USD" } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var transaction = await created.Content.ReadFromJsonAsync<JsonElement>();
        var transactionId = transaction.GetProperty("id").GetString()!;
        Assert.Equal("posted", transaction.GetProperty("transfers")[0].GetProperty("status").GetString());

        var account = await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}");
        Assert.Equal(500, account.GetProperty("balance").GetInt64());
        Assert.Equal(500, account.GetProperty("creditsPosted").GetInt64());
        Assert.True(account.GetProperty("flags").GetProperty("debitsMustNotExceedCredits").GetBoolean());

        var entries = await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}/entries");
        Assert.Equal(1, entries.GetProperty("data")[0].GetProperty("sequence").GetInt64());
        Assert.Equal("credit", entries.GetProperty("data")[0].GetProperty("side").GetString());

        var byMetadata = await client.GetFromJsonAsync<JsonElement>("/v1/ledger/transactions?metadata[orderId]=o-1");
        Assert.Equal(transactionId, byMetadata.GetProperty("data")[0].GetProperty("id").GetString());
        var none = await client.GetFromJsonAsync<JsonElement>("/v1/ledger/transactions?metadata[orderId]=o-2");
        Assert.Equal(0, none.GetProperty("data").GetArrayLength());

        var asOf = await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}?asOf=2000-01-01T00:00:00Z");
        Assert.Equal(0, asOf.GetProperty("balance").GetInt64());
        var inAnotherZone = DateTimeOffset.UtcNow.AddMinutes(1).ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var asOfWithOffset = await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}?asOf={Uri.EscapeDataString(inAnotherZone)}");
        Assert.Equal(500, asOfWithOffset.GetProperty("balance").GetInt64());
        var entriesWithOffset = await client.GetFromJsonAsync<JsonElement>(
            $"/v1/ledger/accounts/{wallet}/entries?from={Uri.EscapeDataString("2000-01-01T02:00:00+02:00")}&to={Uri.EscapeDataString(inAnotherZone)}");
        Assert.Equal(1, entriesWithOffset.GetProperty("data").GetArrayLength());

        var accounts = await client.GetFromJsonAsync<JsonElement>("/v1/ledger/accounts?limit=1");
        Assert.True(accounts.GetProperty("hasMore").GetBoolean());

        var reversed = await client.PostAsync($"/v1/ledger/transactions/{transactionId}/reverse", null);
        Assert.Equal(HttpStatusCode.Created, reversed.StatusCode);
        await AssertProblemAsync(await client.PostAsync($"/v1/ledger/transactions/{transactionId}/reverse", null), 409, "transaction_already_reversed");

        var verify = await client.GetFromJsonAsync<JsonElement>("/v1/ledger/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
    }

    [Theory]
    [BothDatabases]
    public async Task Each_rejection_has_its_problem_code_and_books_nothing(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var other = await CreateAccountAsync(client, "other", "asset");
        var euro = await CreateAccountAsync(client, "euro", "asset", currency: "EUR");
        var wallet = await CreateAccountAsync(client, "wallet", "liability", debitsLimited: true);

        Task<HttpResponseMessage> Post(object transfer) =>
            client.PostAsJsonAsync("/v1/ledger/transactions", new { transfers = new[] { transfer } });

        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = cash, amount = 1, currency = "USD" }), 400, "same_account");
        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = euro, amount = 1, currency = "USD" }), 422, "currency_mismatch");
        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = other, amount = 0, currency = "USD" }), 400, "invalid_amount");
        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = other, amount = -3, currency = "USD" }), 400, "invalid_amount");
        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = other, amount = 1.5, currency = "USD" }), 400, "invalid_amount");
        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = other, amount = 9223372036854775808m, currency = "USD" }), 422, "amount_overflow");
        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = "acc_nope", amount = 1, currency = "USD" }), 422, "account_not_found");
        await AssertProblemAsync(await Post(new { debitAccountId = wallet, creditAccountId = cash, amount = 1, currency = "USD" }), 422, "balance_limit_exceeded");
        await AssertProblemAsync(await Post(new { debitAccountId = cash, creditAccountId = other, amount = 1, currency = "usd" }), 400, "validation_failed");
        Assert.Equal(HttpStatusCode.Created, (await Post(new { debitAccountId = other, creditAccountId = cash, amount = long.MaxValue, currency = "USD" })).StatusCode);
        await AssertProblemAsync(await Post(new { debitAccountId = other, creditAccountId = cash, amount = 1, currency = "USD" }), 422, "amount_overflow");

        var list = await client.GetFromJsonAsync<JsonElement>("/v1/ledger/transactions");
        Assert.Equal(1, list.GetProperty("data").GetArrayLength());
        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/accounts", new { code = "cash", type = "asset", currency = "USD" }), 409, "account_code_taken");
    }

    [Theory]
    [BothDatabases]
    public async Task Pending_transfers_are_posted_or_voided_once_over_http(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability", debitsLimited: true);
        var shop = await CreateAccountAsync(client, "shop", "liability");
        await client.PostAsJsonAsync("/v1/ledger/transactions", new { transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 1000, currency = "USD" } } });

        async Task<string> HoldAsync(long amount)
        {
            var response = await client.PostAsJsonAsync("/v1/ledger/transactions",
                new { transfers = new[] { new { debitAccountId = wallet, creditAccountId = shop, amount, currency = "USD", pending = true, timeoutSeconds = 3600 } } });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("transfers")[0].GetProperty("id").GetString()!;
        }

        var first = await HoldAsync(600);
        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/transactions",
            new { transfers = new[] { new { debitAccountId = wallet, creditAccountId = shop, amount = 401, currency = "USD" } } }), 422, "balance_limit_exceeded");

        await AssertProblemAsync(await client.PostAsJsonAsync($"/v1/ledger/transfers/{first}/post", new { amount = 601 }), 422, "amount_exceeds_pending");
        var posted = await client.PostAsJsonAsync($"/v1/ledger/transfers/{first}/post", new { amount = 250 });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var postedBody = await posted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("posted", postedBody.GetProperty("status").GetString());
        Assert.Equal(250, postedBody.GetProperty("postedAmount").GetInt64());
        await AssertProblemAsync(await client.PostAsync($"/v1/ledger/transfers/{first}/post", null), 409, "transfer_already_posted");
        await AssertProblemAsync(await client.PostAsync($"/v1/ledger/transfers/{first}/void", null), 409, "transfer_already_posted");

        var second = await HoldAsync(100);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/v1/ledger/transfers/{second}/void", null)).StatusCode);
        await AssertProblemAsync(await client.PostAsync($"/v1/ledger/transfers/{second}/void", null), 409, "transfer_already_voided");
        await AssertProblemAsync(await client.PostAsync($"/v1/ledger/transfers/{second}/post", null), 409, "transfer_already_voided");

        var walletNow = await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}");
        Assert.Equal(750, walletNow.GetProperty("balance").GetInt64());
        Assert.Equal(0, walletNow.GetProperty("debitsPending").GetInt64());
        Assert.True((await client.GetFromJsonAsync<JsonElement>("/v1/ledger/verify")).GetProperty("ok").GetBoolean());
    }

    [Theory]
    [BothDatabases]
    public async Task The_same_idempotency_key_replays_the_same_transaction(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability");
        var body = new { transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 42, currency = "USD" } } };

        async Task<HttpResponseMessage> SendAsync(object content)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/ledger/transactions") { Content = JsonContent.Create(content) };
            request.Headers.Add("Idempotency-Key", "txn-key-1");
            return await client.SendAsync(request);
        }

        var first = await SendAsync(body);
        var second = await SendAsync(body);
        var reused = await SendAsync(new { transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 43, currency = "USD" } } });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.True(second.Headers.Contains(UnitOfWorkFilter.ReplayedHeader));
        var firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.Equal(firstId, (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        await AssertProblemAsync(reused, 422, "idempotency_key_reused");
        Assert.Equal(42, (await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}")).GetProperty("balance").GetInt64());
    }

    [Theory]
    [BothDatabases]
    public async Task A_batch_books_each_transaction_or_rejects_it_in_its_place(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability", debitsLimited: true);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/ledger/transactions", new
        {
            externalId = "topup-1",
            transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 100, currency = "USD" } },
        })).StatusCode);
        // A field is given or left out, never null (JsonNullRule).
        object Move(string from, string to, long amount, string? externalId = null) => externalId is null
            ? new { transfers = new[] { new { debitAccountId = from, creditAccountId = to, amount, currency = "USD" } } }
            : new { externalId, transfers = new[] { new { debitAccountId = from, creditAccountId = to, amount, currency = "USD" } } };
        var batch = new
        {
            transactions = new[]
            {
                Move(cash, wallet, 50, "topup-2"),
                Move(cash, wallet, 0),
                Move(cash, wallet, 100, "topup-1"),
                Move(wallet, cash, 500),
                Move(cash, "acc_unknown", 5),
                new { transfers = Array.Empty<object>() },
                Move(wallet, cash, 150),
            },
        };

        async Task<HttpResponseMessage> SendAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/ledger/transactions/batch") { Content = JsonContent.Create(batch) };
            request.Headers.Add("Idempotency-Key", "batch-1");
            return await client.SendAsync(request);
        }

        var response = await SendAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        var items = result.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([201, 400, 200, 422, 422, 400, 201], items.Select(i => i.GetProperty("status").GetInt32()));
        Assert.Equal((3, 4), (result.GetProperty("booked").GetInt32(), result.GetProperty("rejected").GetInt32()));
        Assert.Equal(["invalid_amount", "balance_limit_exceeded", "account_not_found", "validation_failed"],
            items.Where(i => i.TryGetProperty("problem", out var p) && p.ValueKind == JsonValueKind.Object)
                .Select(i => i.GetProperty("problem").GetProperty("code").GetString()));
        Assert.Equal("topup-1", items[2].GetProperty("transaction").GetProperty("externalId").GetString());

        // 100 + 50 in, then 150 out: the 500 was refused by the wallet's limit before the 150 was booked.
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}")).GetProperty("balance").GetInt64());
        var replay = await SendAsync();
        Assert.True(replay.Headers.Contains(UnitOfWorkFilter.ReplayedHeader));
        Assert.Equal(result.GetRawText(), (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetRawText());
        Assert.Equal(3, (await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}")).GetProperty("entryCount").GetInt64());
        Assert.True((await client.GetFromJsonAsync<JsonElement>("/v1/ledger/verify")).GetProperty("ok").GetBoolean());

        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/transactions/batch", new { transactions = Array.Empty<object>() }), 400, "validation_failed");
        var withNull = await client.PostAsJsonAsync("/v1/ledger/transactions/batch", new { transactions = new[] { Move(cash, wallet, 1), null } });
        await AssertProblemAsync(withNull, 400, "validation_failed");
        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/transactions/batch",
            new { transactions = Enumerable.Repeat(Move(cash, wallet, 1), LedgerEndpoints.MaxBatchTransactions + 1) }), 400, "validation_failed");
    }

    [Theory]
    [BothDatabases]
    public async Task Parallel_identical_batches_with_external_ids_book_each_transaction_once(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability");
        var batch = new
        {
            transactions = Enumerable.Range(1, 3).Select(i => new
            {
                externalId = $"import-{i}",
                transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = i * 10, currency = "USD" } },
            }).ToArray(),
        };

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostAsJsonAsync("/v1/ledger/transactions/batch", batch)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var results = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<JsonElement>()));
        var statuses = results.SelectMany(r => r.GetProperty("results").EnumerateArray().Select(i => i.GetProperty("status").GetInt32())).ToList();
        Assert.Equal(3, statuses.Count(s => s == 201));
        Assert.Equal(21, statuses.Count(s => s == 200));
        Assert.Single(results.Select(r => string.Join(",", r.GetProperty("results").EnumerateArray()
            .Select(i => i.GetProperty("transaction").GetProperty("id").GetString()))).Distinct());
        var account = await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}");
        Assert.Equal((60L, 3L), (account.GetProperty("balance").GetInt64(), account.GetProperty("entryCount").GetInt64()));
        Assert.True((await client.GetFromJsonAsync<JsonElement>("/v1/ledger/verify")).GetProperty("ok").GetBoolean());
    }

    [Theory]
    [BothDatabases]
    public async Task Another_merchants_ledger_objects_are_not_found(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability");
        var created = await client.PostAsJsonAsync("/v1/ledger/transactions",
            new { transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 5, currency = "USD", pending = true } } });
        var transaction = await created.Content.ReadFromJsonAsync<JsonElement>();
        var transactionId = transaction.GetProperty("id").GetString();
        var transferId = transaction.GetProperty("transfers")[0].GetProperty("id").GetString();

        var apiKeys = server.GetRequiredService<ApiKeys>();
        var database = server.GetRequiredService<Database>();
        var otherKey = await database.WriteAsync(async s =>
        {
            await s.ExecuteAsync("INSERT INTO merchants (id, name, created_at) VALUES ('mer_other', 'Other', @now)", new { now = DateTimeOffset.UtcNow });
            return (await apiKeys.IssueAsync(s, "mer_other", "test", "other")).Secret;
        }, CancellationToken.None);
        using var other = server.CreateClient(otherKey);

        await AssertProblemAsync(await other.GetAsync($"/v1/ledger/accounts/{cash}"), 404, "not_found");
        await AssertProblemAsync(await other.GetAsync($"/v1/ledger/accounts/{cash}/entries"), 404, "not_found");
        await AssertProblemAsync(await other.GetAsync($"/v1/ledger/transactions/{transactionId}"), 404, "not_found");
        await AssertProblemAsync(await other.PostAsync($"/v1/ledger/transfers/{transferId}/post", null), 404, "not_found");
        await AssertProblemAsync(await other.PostAsync($"/v1/ledger/transactions/{transactionId}/reverse", null), 404, "not_found");
        var theirs = await CreateAccountAsync(other, "theirs", "asset");
        await AssertProblemAsync(await other.PostAsJsonAsync("/v1/ledger/transactions",
            new { transfers = new[] { new { debitAccountId = theirs, creditAccountId = wallet, amount = 5, currency = "USD" } } }), 422, "account_not_found");
        Assert.Equal(1, (await other.GetFromJsonAsync<JsonElement>("/v1/ledger/accounts")).GetProperty("data").GetArrayLength());
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.CreateClient(apiKey: null).GetAsync("/v1/ledger/verify")).StatusCode);
    }

    /// <summary>PostgreSQL text cannot hold U+0000: an id or value holding it must never reach a statement and fail the request's transaction.</summary>
    [Theory]
    [BothDatabases]
    public async Task A_U0000_in_an_id_or_query_is_refused_or_not_found_and_fails_nothing_else(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability");

        var response = await client.PostAsJsonAsync("/v1/ledger/transactions/batch", new
        {
            transactions = new[]
            {
                new { transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 5, currency = "USD" } } },
                new { transfers = new[] { new { debitAccountId = cash + "\u0000", creditAccountId = wallet, amount = 5, currency = "USD" } } },
            },
        });
        // Text no field may hold makes the whole request malformed (one rule for every request body, RequestText): the
        // batch is refused with the field named, and none of it is booked.
        var refused = await response.ReadProblemAsync(400, "validation_failed");
        Assert.True(refused.GetProperty("errors").TryGetProperty("transactions[1].transfers[0].debitAccountId", out _), refused.ToString());

        await AssertProblemAsync(await client.GetAsync("/v1/ledger/accounts?code=a%00b"), 400, "validation_failed");
        await AssertProblemAsync(await client.GetAsync("/v1/ledger/transactions?startingAfter=txn_%00"), 400, "validation_failed");
        // Kestrel itself refuses a path holding U+0000, before any middleware.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/v1/ledger/transfers/tr_%00")).StatusCode);
        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/accounts", new
        {
            code = "courier-x",
            type = "liability",
            currency = "USD",
            owner = new { type = "courier", id = "c\u00001" },
        }), 400, "validation_failed");
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}")).GetProperty("balance").GetInt64());
        Assert.True((await client.GetFromJsonAsync<JsonElement>("/v1/ledger/verify")).GetProperty("ok").GetBoolean());
    }

    [Theory]
    [BothDatabases]
    public async Task The_codes_and_external_ids_of_obols_own_modules_are_reserved(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "customer:42", "liability");

        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/accounts", new { code = "psp_receivable:USD", type = "asset", currency = "USD" }),
            400, "validation_failed");
        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/transactions", new
        {
            externalId = "settlement:stripe:1",
            transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 5, currency = "USD" } },
        }), 400, "validation_failed");
        await AssertProblemAsync(await client.PostAsJsonAsync("/v1/ledger/transactions", new
        {
            externalId = "att_01m8997dg0hm7kr2ymvysaht25",
            transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 5, currency = "USD" } },
        }), 400, "validation_failed");
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}")).GetProperty("entryCount").GetInt64());

        // A merchant's own code with a ':' is not one of those: it books as any other.
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/ledger/transactions", new
        {
            externalId = "order-42",
            transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 5, currency = "USD" } },
        })).StatusCode);
    }

    [Theory]
    [BothDatabases]
    public async Task A_reversal_repeated_under_its_external_id_answers_200_with_the_first(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient();
        var cash = await CreateAccountAsync(client, "cash", "asset");
        var wallet = await CreateAccountAsync(client, "wallet", "liability");
        var booked = await (await client.PostAsJsonAsync("/v1/ledger/transactions", new
        {
            transfers = new[] { new { debitAccountId = cash, creditAccountId = wallet, amount = 7, currency = "USD" } },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var id = booked.GetProperty("id").GetString();

        var first = await client.PostAsJsonAsync($"/v1/ledger/transactions/{id}/reverse", new { externalId = "undo-1" });
        var again = await client.PostAsJsonAsync($"/v1/ledger/transactions/{id}/reverse", new { externalId = "undo-1" });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString(),
            (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>($"/v1/ledger/accounts/{wallet}")).GetProperty("balance").GetInt64());
    }

    private static async Task<string> CreateAccountAsync(HttpClient client, string code, string type, bool debitsLimited = false, string currency = "USD")
    {
        var response = await client.PostAsJsonAsync("/v1/ledger/accounts", new
        {
            code,
            type,
            currency,
            flags = new { debitsMustNotExceedCredits = debitsLimited },
            metadata = new Dictionary<string, string> { ["purpose"] = "test" },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var account = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("acc_", account.GetProperty("id").GetString(), StringComparison.Ordinal);
        return account.GetProperty("id").GetString()!;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, int status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }
}
