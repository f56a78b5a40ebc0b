using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

public sealed record CreateCounterRequest(string? Name, int? Size);

public sealed record CounterResponse(string Id, string Name, DateTimeOffset CreatedAt);

/// <summary>Lets a test hold the first request inside its transaction until it says go.</summary>
public sealed class CounterGate
{
    private int _entered;

    public TaskCompletionSource FirstEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool Enabled { get; set; }

    public async Task PassAsync()
    {
        if (Enabled && Interlocked.Increment(ref _entered) == 1)
        {
            FirstEntered.SetResult();
            await Release.Task;
        }
    }
}

/// <summary>
/// A test-only module, composed into the real server by the tests alone: a tiny resource whose creation is
/// one row, so a test can count effects.
/// </summary>
public static class TestCounters
{
    public static Task<ObolTestServer> StartServerAsync(
        DatabaseProvider provider, Action<WebApplicationBuilder>? configure = null, DatabaseOptions? database = null) =>
        ObolTestServer.StartAsync(
            provider,
            builder =>
            {
                builder.Services.AddSingleton(new MigrationSource("test", typeof(TestCounters).Assembly));
                builder.Services.AddSingleton<CounterGate>();
                configure?.Invoke(builder);
            },
            app => app.MapTestCounters(),
            database);

    public static void MapTestCounters(this WebApplication app)
    {
        var group = app.MapGroup("/v1/test/counters").RequireAuthorization();

        group.MapPost("/", CreateAsync).WithUnitOfWork();
        group.MapPost("/strict", CreateAsync).WithUnitOfWork(IdempotencyKeyRule.Required);
        group.MapGet("/{id}", async Task<Ok<CounterResponse>> (string id, HttpContext http, Database database) =>
        {
            var counter = await database.ReadAsync(s => s.QuerySingleOrDefaultAsync<CounterRow>(
                "SELECT id AS Id, name AS Name, created_at AS CreatedAt FROM test_counters WHERE id = @id AND merchant_id = @merchantId",
                new { id, merchantId = http.MerchantId() }), http.RequestAborted) ?? throw Problems.NotFound("counter", id);
            return TypedResults.Ok(new CounterResponse(counter.Id, counter.Name, counter.CreatedAt));
        });
    }

    public static Task<long> CountAsync(ObolTestServer server) =>
        server.GetRequiredService<Database>().ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM test_counters"), CancellationToken.None);

    private static async Task<Created<CounterResponse>> CreateAsync(
        CreateCounterRequest request, HttpContext http, RequestUnitOfWork work, IdGenerator ids, TimeProvider clock, CounterGate gate)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors.Add("name", "Required.");
        }

        if (request.Size is < 0)
        {
            errors.Add("size", "Must not be negative.");
        }

        errors.ThrowIfAny();
        var counter = new CounterResponse(ids.New("ctr"), request.Name!, clock.GetUtcNow());
        await work.Session.ExecuteAsync(
            "INSERT INTO test_counters (id, merchant_id, name, created_at) VALUES (@Id, @merchantId, @Name, @CreatedAt)",
            new { counter.Id, merchantId = http.MerchantId(), counter.Name, counter.CreatedAt });
        await gate.PassAsync();

        switch (request.Name)
        {
            case "reject-after-write":
                throw Problems.InvalidStateTransition("Rejected after a write; the write must not be kept.");
            case "boom":
                throw new InvalidOperationException("secret internal detail: connection string Password=hunter2");
            case "commit-unknown":
                throw new CommitOutcomeUnknownException(new IOException("connection reset while committing"));
        }

        return TypedResults.Created($"/v1/test/counters/{counter.Id}", counter);
    }

    private sealed class CounterRow
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
    }
}
