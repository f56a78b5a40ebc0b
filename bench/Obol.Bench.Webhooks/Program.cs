using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Obol.Bench;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Server;

// Merchant webhooks on PostgreSQL, three figures, each beside a baseline measured in the same run:
// 1. throughput: 10 endpoints, 1,000 objects with 10 events each (100,000 deliveries), drained by one node's dispatcher
//    from a loopback receiver; baseline: the same receiver's POSTs per second from a plain HttpClient at the same
//    concurrency (what loopback HTTP on this machine allows at all);
// 2. latency: commit to first arrival, at half the measured throughput, p50 and p99;
// 3. cost: CPU per payment of a payments run with an endpoint taking every event, enabled against disabled.
if (args is ["receiver"])
{
    long count = 0;
    var app = await StartReceiverAsync(_ => Interlocked.Increment(ref count), () => Interlocked.Read(ref count));
    Console.WriteLine(app.Urls.First());
    await Console.In.ReadToEndAsync(); // until the parent closes our input
    await app.StopAsync();
    return;
}

var postgres = Environment.GetEnvironmentVariable("OBOL_BENCH_POSTGRES") ?? throw new InvalidOperationException("OBOL_BENCH_POSTGRES is required.");
var objects = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_OBJECTS") ?? "1000", CultureInfo.InvariantCulture);
const int EventsPerObject = 10;
const int Endpoints = 10;
var InFlight = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_IN_FLIGHT") ?? "128", CultureInfo.InvariantCulture);
const string Key = "sk_test_benchmarkkey00000000000000000001";
var rounds = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_ROUNDS") ?? "10", CultureInfo.InvariantCulture);
var phases = (Environment.GetEnvironmentVariable("OBOL_BENCH_PHASES") ?? "throughput,latency,payments").Split(',');

var arrivals = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
long received = 0;
var receiver = await StartReceiverAsync(id =>
{
    Interlocked.Increment(ref received);
    arrivals.TryAdd(id, Stopwatch.GetTimestamp());
});
var receiverUrl = receiver.Urls.First();

// Baseline: plain POSTs of an event-sized body to the receiver, at the dispatcher's concurrency.
var body = new string('x', 700);
double baseline;
using (var plain = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = InFlight }))
{
    var count = 0;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
    {
        while (watch.Elapsed < TimeSpan.FromSeconds(8))
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            content.Headers.Add("webhook-id", "baseline");
            using var response = await plain.PostAsync(receiverUrl + "/baseline", content);
            Interlocked.Increment(ref count);
        }
    }));
    baseline = count / watch.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline: plain_posts_per_second={baseline:F0} concurrency={InFlight}"));
}

// 1. Throughput: events written with the dispatcher off, then a node with the dispatcher on drains them.
var database = await CreateDatabaseAsync(postgres);
await using (var writer = await StartObolAsync(database, dispatcher: false, InFlight))
{
    using var client = Client(writer);
    for (var e = 0; e < Endpoints; e++)
    {
        await CreateEndpointAsync(client, $"{receiverUrl}/e{e}");
    }

    var db = writer.Services.GetRequiredService<Database>();
    var outbox = writer.Services.GetRequiredService<IEventOutbox>();
    for (var round = 0; round < EventsPerObject; round++)
    {
        for (var start = 0; start < objects; start += 100)
        {
            await db.WriteAsync(async s =>
            {
                for (var o = start; o < Math.Min(objects, start + 100); o++)
                {
                    await outbox.AppendAsync(s, new MerchantEvent("mer_default", "payment.captured", $"pay_bench_{o}", new { id = $"pay_bench_{o}", amount = 1999, currency = "USD", status = "captured" }));
                }
            }, CancellationToken.None);
        }
    }
}

var deliveries = (long)objects * EventsPerObject * Endpoints;
Interlocked.Exchange(ref received, 0);
double throughput;
await using (var dispatcher = await StartObolAsync(database, dispatcher: true, InFlight))
{
    var (cpu, pg) = (ProcessCpu.Self(), ProcessCpu.PostgresBackends(new NpgsqlConnectionStringBuilder(database).Database!));
    var watch = Stopwatch.StartNew();
    while (Interlocked.Read(ref received) < deliveries)
    {
        await Task.Delay(20);
    }

    throughput = deliveries / watch.Elapsed.TotalSeconds;
    var (cpuUsed, pgUsed) = (ProcessCpu.Self() - cpu, ProcessCpu.PostgresBackends(new NpgsqlConnectionStringBuilder(database).Database!) - pg);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"throughput: deliveries={deliveries} deliveries_per_second={throughput:F0} ratio_to_plain_posts={throughput / baseline:F2} process_cpu_us_per_delivery={cpuUsed.TotalMicroseconds / deliveries:F0} postgres_cpu_us_per_delivery={pgUsed.TotalMicroseconds / deliveries:F0}"));
}

if (phases.Contains("latency"))
{
    // 2. Latency at half load: events written at half the throughput (10 endpoints each), commit to first arrival.
    var latencyDatabase = await CreateDatabaseAsync(postgres);
    await using (var node = await StartObolAsync(latencyDatabase, dispatcher: true, InFlight))
    {
        using var client = Client(node);
        for (var e = 0; e < Endpoints; e++)
        {
            await CreateEndpointAsync(client, $"{receiverUrl}/l{e}");
        }

        arrivals.Clear();
        var db = node.Services.GetRequiredService<Database>();
        var outbox = node.Services.GetRequiredService<IEventOutbox>();
        var committed = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var eventsPerSecond = throughput / 2 / Endpoints;
        var total = (int)Math.Max(200, eventsPerSecond * 10);
        var watch = Stopwatch.StartNew();
        var writers = Enumerable.Range(0, 8).Select(async w =>
        {
            for (var i = w; i < total; i += 8)
            {
                var due = TimeSpan.FromSeconds(i / eventsPerSecond);
                if (due > watch.Elapsed)
                {
                    await Task.Delay(due - watch.Elapsed);
                }

                var id = await db.WriteAsync(s => outbox.AppendAsync(s, new MerchantEvent("mer_default", "payment.captured", $"pay_latency_{i % 500}", new { id = $"pay_latency_{i % 500}" })), CancellationToken.None);
                committed[id] = Stopwatch.GetTimestamp();
            }
        }).ToList();
        await Task.WhenAll(writers);
        while (committed.Keys.Count(arrivals.ContainsKey) < committed.Count && watch.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(50);
        }

        var latencies = committed.Where(c => arrivals.ContainsKey(c.Key))
            .Select(c => Stopwatch.GetElapsedTime(c.Value, arrivals[c.Key]).TotalMilliseconds).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency: events={committed.Count} events_per_second={eventsPerSecond:F0} (x{Endpoints} endpoints) first_arrival_p50_ms={Percentile(latencies, 0.5):F1} p99_ms={Percentile(latencies, 0.99):F1} max_ms={latencies.LastOrDefault():F1}"));
    }
}

if (phases.Contains("payments"))
{
    // 3. CPU per payment with the endpoint disabled and enabled, alternated in short windows on one node and database
    //    (OBOL_BENCH_ROUNDS pairs): the machine's speed drifts over minutes, so each enabled window is compared with the
    //    disabled one just before it. The receiver runs in a process of its own (this program with the argument
    //    "receiver"): its CPU is the merchant's, not Obol's.
    await using var separate = await ReceiverProcess.StartAsync();
    var payments = await CreateDatabaseAsync(postgres);
    var name = new NpgsqlConnectionStringBuilder(payments).Database!;
    await using var node = await StartObolAsync(payments, dispatcher: true, InFlight);
    using var client = Client(node);
    var endpoint = await CreateEndpointAsync(client, $"{separate.Url}/p");
    await PayAsync(client, TimeSpan.FromSeconds(3));
    await DrainAsync(payments);
    var overheads = new List<double>();
    for (var round = 0; round < rounds; round++)
    {
        var perPayment = new double[2];
        foreach (var enabled in new[] { false, true })
        {
            using var patch = new StringContent($$"""{"disabled":{{(enabled ? "false" : "true")}}}""", Encoding.UTF8, "application/json");
            (await client.PatchAsync($"/v1/webhook-endpoints/{endpoint}", patch)).EnsureSuccessStatusCode();
            var (cpu, pg, delivered) = (ProcessCpu.Self(), ProcessCpu.PostgresBackends(name), await separate.CountAsync());
            var count = await PayAsync(client, TimeSpan.FromSeconds(6));
            await DrainAsync(payments);
            var (cpuUsed, pgUsed) = (ProcessCpu.Self() - cpu, ProcessCpu.PostgresBackends(name) - pg);
            delivered = await separate.CountAsync() - delivered;
            perPayment[enabled ? 1 : 0] = (cpuUsed + pgUsed).TotalMilliseconds / count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"payments_endpoint_{(enabled ? "enabled" : "disabled")}: payments={count} deliveries={delivered} process_cpu_ms_per_payment={cpuUsed.TotalMilliseconds / count:F2} postgres_cpu_ms_per_payment={pgUsed.TotalMilliseconds / count:F2}"));
        }

        overheads.Add(perPayment[1] / perPayment[0] - 1);
    }

    overheads.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"payments: dispatcher_cpu_overhead median={overheads[overheads.Count / 2] * 100:F1}% min={overheads[0] * 100:F1}% max={overheads[^1] * 100:F1}% (pairs={overheads.Count}) receiver_process_cpu_s={separate.Cpu.TotalSeconds:F1}"));
}

await receiver.StopAsync();
return;

static async Task<string> CreateDatabaseAsync(string admin)
{
    var name = $"obol_bench_{Guid.NewGuid():N}";
    await using var connection = new NpgsqlConnection(admin);
    await connection.OpenAsync();
    await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
    await create.ExecuteNonQueryAsync();
    return new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 100 }.ConnectionString;
}

static async Task<WebApplication> StartObolAsync(string connectionString, bool dispatcher, int inFlight)
{
    var builder = ObolApplication.CreateBuilder(
    [
        "--urls=http://127.0.0.1:0", "--environment=Production", "--Obol:Database:Provider=postgres",
        $"--ConnectionStrings:Obol={connectionString}", $"--Obol:BootstrapApiKey={Key}", "--Obol:PrintDevelopmentKey=false",
        "--Logging:LogLevel:Default=Warning", "--Obol:PspSimulator:Enabled=true", "--Obol:Webhooks:AllowHttp=true", "--Obol:Webhooks:AllowPrivateNetworks=true",
        $"--Obol:Webhooks:Dispatcher:Enabled={dispatcher}", $"--Obol:Webhooks:Dispatcher:MaxInFlight={inFlight}",
        "--Obol:Reconciliation:Schedule:Enabled=false",
        .. (Environment.GetEnvironmentVariable("OBOL_BENCH_SETTINGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
    ]);
    builder.Logging.ClearProviders();
    var app = ObolApplication.Build(builder);
    await ObolApplication.PrepareAsync(app);
    await app.StartAsync();
    return app;
}

static HttpClient Client(WebApplication app)
{
    var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    return client;
}

static async Task<string> CreateEndpointAsync(HttpClient client, string url)
{
    using var content = new StringContent($$"""{"url":"{{url}}","enabledEvents":["*"]}""", Encoding.UTF8, "application/json");
    using var response = await client.PostAsync("/v1/webhook-endpoints", content);
    response.EnsureSuccessStatusCode();
    using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    return json.RootElement.GetProperty("id").GetString()!;
}

static async Task<int> PayAsync(HttpClient client, TimeSpan duration)
{
    var count = 0;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
    {
        while (watch.Elapsed < duration)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/payments")
            {
                Content = new StringContent("""{"amount":1999,"currency":"USD","paymentMethod":"pm_card_visa"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            using var response = await client.SendAsync(request);
            response.EnsureSuccessStatusCode();
            Interlocked.Increment(ref count);
        }
    }));
    return count;
}

static async Task DrainAsync(string connectionString)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var pending = new NpgsqlCommand("SELECT count(*) FROM webhook_deliveries WHERE status IN ('ready', 'waiting')", connection);
    while ((long)(await pending.ExecuteScalarAsync())! > 0)
    {
        await Task.Delay(50);
    }
}

static async Task<WebApplication> StartReceiverAsync(Action<string> onDelivery, Func<long>? count = null)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    var app = builder.Build();
    app.MapPost("/{path}", async (HttpContext http) =>
    {
        await http.Request.Body.CopyToAsync(Stream.Null);
        onDelivery(http.Request.Headers["webhook-id"].ToString());
        return Results.Ok();
    });
    if (count is not null)
    {
        app.MapGet("/count", () => count());
    }

    await app.StartAsync();
    return app;
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
