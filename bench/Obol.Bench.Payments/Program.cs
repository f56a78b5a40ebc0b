using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Obol.Bench;
using Obol.Core.Merchants;
using Obol.Server;

// Payments created and captured per second through HTTP (automatic capture, in-process simulator with no
// latency), on SQLite and PostgreSQL, from concurrent clients, with the CPU each payment costs this process (client,
// Obol and the simulator) and the PostgreSQL backends, in two mixes: every client paying for one merchant (whose ledger
// accounts every booking then shares), and each client paying for a merchant of its own. bench/payments.sh runs
// pgbench's TPC-B on the same PostgreSQL cluster in the same run as the yardstick.
var seconds = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_SECONDS") ?? "10", CultureInfo.InvariantCulture);
var clients = int.Parse(Environment.GetEnvironmentVariable("OBOL_BENCH_CLIENTS") ?? "16", CultureInfo.InvariantCulture);
var postgres = Environment.GetEnvironmentVariable("OBOL_BENCH_POSTGRES");
const string Key = "sk_test_benchmarkkey00000000000000000001";

var databases = new List<(string Provider, string ConnectionString)>();
if (Environment.GetEnvironmentVariable("OBOL_BENCH_SKIP_SQLITE") is not "1")
{
    databases.Add(("sqlite", $"Data Source={TemporarySqliteFile.NewPath()}"));
}

if (!string.IsNullOrEmpty(postgres))
{
    var name = $"obol_bench_{Guid.NewGuid():N}";
    await using (var admin = new NpgsqlConnection(postgres))
    {
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
        await create.ExecuteNonQueryAsync();
    }

    databases.Add(("postgres", new NpgsqlConnectionStringBuilder(postgres) { Database = name, MaxPoolSize = 100 }.ConnectionString));
}

Console.WriteLine($"clients={clients} seconds={seconds}");
foreach (var (provider, connectionString) in databases)
{
    var builder = ObolApplication.CreateBuilder(
    [
        "--urls=http://127.0.0.1:0", "--environment=Production", $"--Obol:Database:Provider={provider}",
        $"--ConnectionStrings:Obol={connectionString}", $"--Obol:BootstrapApiKey={Key}", "--Obol:PrintDevelopmentKey=false",
        "--Logging:LogLevel:Default=Warning", "--Obol:PspSimulator:Enabled=true",
    ]);

    // The host lets Microsoft.AspNetCore log at Information whatever the default; a benchmark logs nothing.
    builder.Logging.ClearProviders();
    await using var app = ObolApplication.Build(builder);
    await ObolApplication.PrepareAsync(app);
    await app.StartAsync();
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 };
    var keys = app.Services.GetRequiredService<ApiKeys>();
    var oneMerchant = Enumerable.Repeat(Key, clients).ToArray();
    var manyMerchants = new string[clients];
    for (var i = 0; i < clients; i++)
    {
        var merchant = await keys.CreateMerchantAsync($"Bench merchant {i}", CancellationToken.None);
        manyMerchants[i] = (await keys.IssueAsync(merchant.Id, "test", null, CancellationToken.None)).Secret;
    }

    var database = provider == "postgres" ? new NpgsqlConnectionStringBuilder(connectionString).Database! : "";
    foreach (var (mix, secrets) in new[] { ("one_merchant", oneMerchant), ("many_merchants", manyMerchants) })
    {
        var http = secrets.Select(secret => new HttpClient(handler, disposeHandler: false)
        {
            BaseAddress = new Uri(app.Urls.First()),
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", secret) },
        }).ToArray();
        await RunAsync(http, TimeSpan.FromSeconds(2), record: null);
        var latencies = Enumerable.Range(0, clients).Select(_ => new List<double>()).ToArray();
        var (cpuBefore, postgresBefore) = (ProcessCpu.Self(), ProcessCpu.PostgresBackends(database));
        var elapsed = await RunAsync(http, TimeSpan.FromSeconds(seconds), latencies);
        var (cpu, postgresCpu) = (ProcessCpu.Self() - cpuBefore, ProcessCpu.PostgresBackends(database) - postgresBefore);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{provider}/{mix}: payments_per_second={all.Length / elapsed.TotalSeconds:F0} payments={all.Length} p50_ms={Percentile(all, 0.50):F1} p99_ms={Percentile(all, 0.99):F1} process_cpu_ms_per_payment={cpu.TotalMilliseconds / all.Length:F2} postgres_cpu_ms_per_payment={postgresCpu.TotalMilliseconds / all.Length:F2}"));
        foreach (var client in http)
        {
            client.Dispose();
        }
    }

    await app.StopAsync();
}

static async Task<TimeSpan> RunAsync(HttpClient[] http, TimeSpan duration, List<double>[]? record)
{
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, http.Length).Select(async client =>
    {
        while (stopwatch.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/payments")
            {
                Content = new StringContent("""{"amount":1999,"currency":"USD","paymentMethod":"pm_card_visa"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            using var response = await http[client].SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Create failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            record?[client].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }));
    return stopwatch.Elapsed;
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
